"""Broken variants of the algorithms, as subclasses: every proof check must fail on one.

A variant changes the algorithm (a constant, a method), never the statistic a
check computes. The tests of each paper's checks run a check with its variant
placed in the setting (``agent``) and assert the verdict is not ``"pass"``.
"""

from __future__ import annotations

import numpy as np

from theoryrl.agents.loop import LOOP
from theoryrl.agents.ucbvi import UCBVI

__all__ = ["EpsGreedyLOOP", "FixedPolicyLOOP", "ForgetfulRidgeLOOP", "FrozenLOOP", "GreedyUCBVI",
           "RawSwitchLOOP"]


class GreedyUCBVI(UCBVI):
    """Certainty-equivalent learner: no bonus, unvisited pairs valued at their reward.

    On RiverSwim it settles on the left bank: optimism fails, regret is linear.
    """

    optimistic_init = False

    def __init__(self, spec, episodes, delta=0.05, bonus="l1", bonus_scale=1.0):
        super().__init__(spec, episodes, delta, bonus=bonus, bonus_scale=0.0)


class EpsGreedyLOOP(LOOP):
    """Logs plan pi_k but plays a per-epoch perturbation of it (each state w.p. 0.1):
    a mis-logged plan, which breaks T5 <= 0 of the regret decomposition."""

    def reset(self, rng):
        super().reset(rng)
        self._flip_rng = rng

    def policy(self):
        plan = super().policy()
        pi = plan.pi.copy()
        flip = self._flip_rng.random(pi.size) < 0.1
        pi[flip] = self._flip_rng.integers(0, self.spec.n_actions, flip.sum())
        plan.pi = pi
        return plan


class FixedPolicyLOOP(LOOP):
    """Always plays action 1 (suboptimal on the two-state gadget): linear regret."""

    def policy(self):
        plan = super().policy()
        plan.pi = np.ones_like(plan.pi)
        return plan


class FrozenLOOP(LOOP):
    """Regression data after step 2^9 are discarded: the confidence set freezes,
    so the optimism gap stops shrinking."""

    learn_until = 2 ** 9


class RawSwitchLOOP(LOOP):
    """Switches on the raw residual test with multiplier 4 (no determinant guard):
    more switches than the LOOP rule's bound allows."""

    switching_kinds = (*LOOP.switching_kinds, "raw")

    def __init__(self, spec, **kw):
        kw.update(switching="raw", c_sw=4.0)
        super().__init__(spec, **kw)


class ForgetfulRidgeLOOP(LOOP):
    """Resets every block's Gram matrix to lambda I at each plan, so the ridge
    update forgets the data it has seen: a corrupted ridge update, which breaks the
    elliptical potential bound."""

    def policy(self):
        plan = super().policy()
        rd = self.ridge
        eye = np.eye(rd.dim)
        rd.G[:] = rd.lam * eye
        rd.Ginv[:] = eye / rd.lam
        return plan
