"""Broken variants of the algorithms, as subclasses: every proof check must fail on one.

A variant changes the algorithm (a constant, a method), never the statistic a
check computes. The tests of each paper's checks run a check with its variant
placed in the setting (``agent``) and assert the verdict is not ``"pass"``.
"""

from __future__ import annotations

import numpy as np

from theoryrl.agents.loop import LOOP
from theoryrl.agents.ucbvi import UCBVI
from theoryrl.evaluation.martingale_td import Paths, stationary_td0, td_lambda_sa

from .martingale_td import PolicyEvaluation

__all__ = ["EpsGreedyLOOP", "EulerDiscountTD1", "FixedPolicyLOOP", "FixedStepDiscountTD0",
           "ForgetfulRidgeLOOP", "FrozenLOOP", "GreedyUCBVI", "MSTDEAsLSTD",
           "PerStepRewardTD", "RawSwitchLOOP", "TD0AsML", "TDLambdaAsML", "UntracedTD1"]


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
        pi = super().policy().copy()
        flip = self._flip_rng.random(pi.size) < 0.1
        pi[flip] = self._flip_rng.integers(0, self.spec.n_actions, flip.sum())
        return pi


class FixedPolicyLOOP(LOOP):
    """Always plays action 1 (suboptimal on the two-state gadget): linear regret."""

    def policy(self):
        return np.ones_like(super().policy())


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
        pi = super().policy()
        rd = self.ridge
        eye = np.eye(rd.dim)
        rd.G[:] = rd.lam * eye
        rd.Ginv[:] = eye / rd.lam
        return pi


# ---------------------------------------------------------------------------
# martingale policy evaluation (Jia & Zhou 2022): PolicyEvaluation's variants
# ---------------------------------------------------------------------------

class MSTDEAsLSTD(PolicyEvaluation):
    """Minimises the mean-square TD error where LSTD(0) is asked for: the method
    the paper shows to be wrong in continuous time (biased as dt -> 0)."""

    def lstd(self, st):
        return st.mstde()


class TDLambdaAsML(PolicyEvaluation):
    """A TD(0.1) fit wired in as the martingale-loss fit: no longer the L2
    projection of the discretised value."""

    lam = 0.1

    def ml(self, st):
        return st.lstd(self.lam)

    def ml_lams(self):
        return (self.lam,)


class TD0AsML(TDLambdaAsML):
    """TD(0) in place of ML: it converges to its own fixed point, not to the
    projection of the continuous value."""

    lam = 0.0


class UntracedTD1(PolicyEvaluation):
    """TD(1) without its trace (trace parameter 0): TD(0) under TD(1)'s name."""

    td1_lam = 0.0


class EulerDiscountTD1(PolicyEvaluation):
    """TD(1) with Euler increments: with discounting (beta > 0) its fixed point
    leaves ML's, so the identity TD(1) = ML needs an instance with beta > 0 to fail."""

    discount = "euler"


class _RatesAsStepRewards:
    """``model`` seen by a learner that reads reward rates as per-step rewards:
    the rates come out divided by dt of the K-step grid."""

    def __init__(self, model, K: int) -> None:
        self._model = model
        t = model.grid(K)
        self._dt = float(t[1] - t[0])

    def __getattr__(self, name: str):
        return getattr(self._model, name)

    def reward(self, t, x):
        return self._model.reward(t, x) / self._dt


class PerStepRewardTD(PolicyEvaluation):
    """Feeds reward rates as per-step rewards (not times dt): every estimate
    scales like 1/dt, so nothing converges as dt -> 0."""

    def paths(self, model, X):
        p = Paths.from_model(model, X)
        return Paths(p.t, p.X, p.r / p.dt, p.h, p.beta, p.terminal)

    def td0_sa(self, model, f, *, online, rng, **kw):
        return td_lambda_sa(_RatesAsStepRewards(model, kw["K"]), f, online=online, rng=rng,
                            **kw).theta


class _FixedStepDiscount:
    """``model`` with the discount rate that makes ``exp(-beta dt)`` equal the
    per-step factor ``exp(-model.beta * step)`` at every dt."""

    def __init__(self, model, dt: float, step: float) -> None:
        self._model = model
        self.beta = model.beta * step / dt

    def __getattr__(self, name: str):
        return getattr(self._model, name)


class FixedStepDiscountTD0(PolicyEvaluation):
    """Discounts every step by a fixed gamma = exp(-beta * 0.1), whatever dt: the
    discounting is no longer exp(-beta dt), so the error stops shrinking with dt."""

    step = 0.1

    def stationary_td0(self, model, dt, discount):
        return stationary_td0(_FixedStepDiscount(model, dt, self.step), dt, discount="exact")
