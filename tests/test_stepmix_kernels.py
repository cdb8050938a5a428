"""The blocked knot kernel equals a separate evaluation of every knot, bit for bit.

``stepmix_knots`` evaluates the H mixed policies ``mu^(j)`` of StepMix
(baseline for the first steps, the optimistic policy after them, or the other
way round) together in blocks that share one backward pass. Its docstring
promises that each knot's bound is bit-identical to evaluating ``mu^(j)`` on
its own with ``evaluate_bound``; this module holds it to that promise on
counts gathered by a real StepMix run.
"""

import numpy as np
import pytest

from theoryrl.agents import StepMix, Trajectory
from theoryrl.agents import _stepmix_kernels as K
from theoryrl.envs import random_mdp


def _episode(mdp, behaviour: np.ndarray, rng: np.random.Generator) -> Trajectory:
    """One episode of the stochastic policy ``behaviour`` (H, S, A) on ``mdp``."""
    H = mdp.spec.horizon
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    rewards = np.empty(H)
    states[0] = mdp.sample_init(rng)
    for h in range(H):
        actions[h] = rng.choice(behaviour.shape[2], p=behaviour[h, states[h]])
        states[h + 1], rewards[h] = mdp.step(states[h], actions[h], rng, h)
    return Trajectory(states, actions, rewards)


def _mixture(pib: np.ndarray, pik: np.ndarray, j: int, order: int) -> np.ndarray:
    """``mu^(j)`` as an (H, S, A) float policy."""
    H = pik.shape[0]
    mu = pib.copy()
    if order == 0:  # baseline first: pik on steps H-j..H-1
        mu[H - j:] = pik[H - j:]
    else:  # optimistic first: pik on steps 0..j-1
        mu[:j] = pik[:j]
    return mu


@pytest.mark.parametrize("bonus", ["l1", "bernstein"])
@pytest.mark.parametrize("sign", [-1, 1])
@pytest.mark.parametrize("order", [0, 1])
def test_knots_bit_identical_to_separate_evaluations(bonus, sign, order):
    # Enough steps and states for blocks of several knots, and for pairs both
    # visited often (finite Bernstein widths) and rarely (n < 2) or never.
    mdp = random_mdp(9, 3, horizon=12, seed=3)
    H, S, A = mdp.spec.horizon, mdp.spec.n_states, mdp.spec.n_actions
    agent = StepMix(mdp.spec, 400, baseline=np.zeros((H, S), dtype=np.int64), alpha=0.1,
                    bonus=bonus)
    rng = np.random.default_rng(7)
    agent.reset(rng)
    # Feed trajectories of a random stochastic policy so that counts cover many pairs
    # and the Bernstein widths are finite for some of them.
    behaviour = rng.dirichlet(np.ones(A), size=(H, S))
    for _ in range(30):
        agent.policy()
        agent.update(_episode(mdp, behaviour, rng))

    # A stochastic baseline and a deterministic optimistic policy exercise both
    # branches (one-hot and mixed rows) of the kernels.
    pib = 0.5 * rng.dirichlet(np.ones(A), size=(H, S)) + 0.5 * np.eye(A)[
        rng.integers(A, size=(H, S))]
    pik_int = rng.integers(A - 1, size=(H, S))
    pik_int[0] = 0  # a first step whose pessimistic value has a non-zero continuation,
    pik_int[H // 2:, ::2] = A - 1  # and rarely seen pairs late in the episode only: either
    # otherwise cuts every knot's pessimistic value down to the first reward
    pik = np.eye(A)[pik_int]
    pib_act = np.empty((H, S), dtype=np.int64)
    pik_act = np.empty((H, S), dtype=np.int64)
    K.one_hot_actions(pib, pib_act)
    K.one_hot_actions(pik, pik_act)
    kind = K.L1 if bonus == "l1" else K.BERNSTEIN

    lb = np.full(H + 1, np.nan)
    Vsh = np.zeros((H + 1, S))
    W = np.zeros((2, S, H))
    col = np.zeros((6, H))
    done = K.stepmix_knots(agent._N, agent._n, agent._nxt, agent._nnz, agent._R, pik, pib,
                           pik_act, pib_act, agent._eps, agent._w, agent._w0, kind,
                           agent.bonus_scale, sign, agent._init, order, np.inf, False, Vsh,
                           W, col, lb)
    assert done == H
    assert np.unique(lb[1:]).size > 1  # the knots differ: the comparison is not vacuous
    for j in range(1, H + 1):
        mu = _mixture(pib, pik, j, order)
        V = np.zeros((H + 1, S))
        K.evaluate_bound(agent._N, agent._n, agent._nxt, agent._nnz, agent._R, mu, agent._eps,
                         agent._w, agent._w0, kind, agent.bonus_scale, sign, 0, H, V)
        expected = 0.0
        for s in range(S):  # the kernel's own summation order
            expected += agent._init[s] * V[0, s]
        assert lb[j] == expected, (j, lb[j], expected)
