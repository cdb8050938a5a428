"""UCBVI: bound formulas, optimism of the L1 bonus, the greedy broken variant, kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import theoryrl as trl
from proofs_checks.variants import GreedyUCBVI
from theoryrl.agents import UCBVI, Trajectory, UCBVIBernstein, UCBVIHoeffding
from theoryrl.agents import _ucbvi_kernels as K
from theoryrl.agents.ucbvi import (
    bonus_log_factor,
    regret_bound_bf,
    regret_bound_ch,
    regret_bound_l1,
)
from theoryrl.envs import random_mdp, riverswim

BOUNDS = [regret_bound_ch, regret_bound_bf, regret_bound_l1]


# -- theorems as data -------------------------------------------------------------------

@pytest.mark.parametrize("bound", BOUNDS)
def test_bound_monotone_in_k_and_sublinear(bound):
    Ks = [2**k for k in range(1, 40)]
    vals = [bound(5, 2, 10, k, 0.05) for k in Ks]
    assert all(b > a for a, b in zip(vals, vals[1:]))
    assert all(bound(5, 2, 10, 4 * k, 0.05) < 4 * bound(5, 2, 10, k, 0.05) for k in Ks)


@pytest.mark.parametrize("bound", BOUNDS)
def test_bound_doubles_up_to_logs_when_k_quadruples(bound):
    # once the sqrt(K) term dominates (K huge for CH/BF, whose second-order terms are
    # H^2 S^2 A L^2 with constants 250 and 2500), K -> 4K multiplies the bound by
    # 2 L(4K) / L(K) up to the vanishing lower-order terms
    S, A, H, delta = 5, 2, 10, 0.05
    k = 10**18
    ratio = bound(S, A, H, 4 * k, delta) / bound(S, A, H, k, delta)
    logs = math.log(5 * S * A * 4 * k * H / delta) / math.log(5 * S * A * k * H / delta)
    assert 2.0 <= ratio <= 2.0 * logs**2 + 1e-9
    assert 1.9 < regret_bound_l1(S, A, H, 4 * 10**6, delta) / regret_bound_l1(
        S, A, H, 10**6, delta) < 2.2


def test_bound_argument_errors():
    with pytest.raises(ValueError, match=r"K must be >= 1"):
        regret_bound_l1(2, 2, 2, 0, 0.1)
    with pytest.raises(ValueError, match=r"delta must be in \(0, 1\)"):
        regret_bound_ch(2, 2, 2, 2, 1.0)
    with pytest.raises(TypeError, match=r"S must be an integer"):
        regret_bound_bf(2.5, 2, 2, 2, 0.1)
    assert bonus_log_factor("l1", 2, 3, 4, 5, 0.5) == pytest.approx(math.log(2 * 3 * 4 * 5 / 0.5))


# -- behaviour --------------------------------------------------------------------------

def test_l1_bonus_is_optimistic_on_riverswim():
    mdp = riverswim(4, horizon=10)
    res = trl.run(UCBVI(mdp.spec, episodes=300, bonus="l1"), mdp, episodes=300, seeds=16)
    # V_bar_0 >= V*_0 in every episode of every seed (w.p. >= 1 - delta per seed)
    assert np.all(res.extras["optimistic_value"] >= res.optimal_value - 1e-12)
    # and the learner learns: the last quarter's mean regret per episode is small
    per = np.diff(res.regret, axis=1, prepend=0.0)
    assert per[:, -75:].mean() < 0.25 * res.optimal_value  # greedy: about 1.0 (below)


def test_greedy_variant_gets_stuck_with_linear_regret():
    mdp = riverswim(4, horizon=10)
    greedy = GreedyUCBVI(mdp.spec, episodes=300, bonus="l1")
    res = trl.run(greedy, mdp, episodes=300, seeds=8)
    per = np.diff(res.regret, axis=1, prepend=0.0)
    # it never leaves the small reward at state 0: the same positive regret every episode
    assert np.all(per[:, -150:] > 0.9 * res.optimal_value)
    slope = np.polyfit(np.arange(300), res.regret.mean(axis=0), 1)[0]
    assert slope > 0.9 * res.optimal_value
    # the optimistic values of the broken learner are not optimistic
    assert np.any(res.extras["optimistic_value"] < res.optimal_value)


def test_variants_and_validation():
    mdp = riverswim(4, horizon=5)
    assert UCBVIHoeffding(mdp.spec, episodes=5).name == "UCBVI-CH"
    assert UCBVIBernstein(mdp.spec, episodes=5).name == "UCBVI-BF"
    assert UCBVI(mdp.spec, episodes=5, bonus="l1").params()["bonus"] == "l1"
    with pytest.raises(ValueError, match=r"spec must be episodic"):
        UCBVI(riverswim(4, gamma=0.9).spec, episodes=5)
    with pytest.raises(ValueError, match=r"bonus must be one of"):
        UCBVI(mdp.spec, episodes=5, bonus="ucb")
    with pytest.raises(ValueError, match=r"delta must be in \(0, 1\)"):
        UCBVI(mdp.spec, episodes=5, delta=0.0)
    with pytest.raises(ValueError, match=r"bonus_scale must be >= 0"):
        UCBVI(mdp.spec, episodes=5, bonus_scale=-1.0)
    with pytest.raises(TypeError, match=r"spec must be an MDPSpec"):
        UCBVI(mdp, episodes=5)


# -- compiled core -------------------------------------------------------------------------

def reference_plan(N, n, nstate, R, H, L, kind, scale, optimistic_init):
    """The per-pair loop of the UCBVI spec in plain Python floats (sums left to right)."""
    S, A = n.shape
    V = np.zeros((H + 1, S))
    Q = np.zeros((H, S, A))
    for h in range(H - 1, -1, -1):
        cap = float(H - h)
        for s in range(S):
            for a in range(A):
                m = int(n[s, a])
                r = float(R[h % R.shape[0], s, a])
                if m == 0:
                    Q[h, s, a] = cap if optimistic_init else r
                    continue
                pv = 0.0
                for t in range(S):
                    pv += float(N[s, a, t]) * float(V[h + 1, t])
                pv /= m
                if kind == K.HOEFFDING:
                    b = 7.0 * H * L / math.sqrt(m)
                elif kind == K.L1:
                    b = 0.5 * (cap - 1.0) * math.sqrt(2.0 * (S * math.log(2.0) + L) / m)
                else:
                    var = corr = 0.0
                    for t in range(S):
                        if N[s, a, t] > 0:
                            p = N[s, a, t] / m
                            var += p * (V[h + 1, t] - pv) ** 2
                            if h + 1 < H:
                                c = 1.0e4 * float(H) ** 3 * float(S) ** 2 * float(A) * L**2 \
                                    / max(nstate[h + 1, t], 1.0)
                                corr += p * min(c, float(H) * H)
                    b = (math.sqrt(8.0 * L * var / m) + 14.0 * H * L / (3.0 * m)
                         + math.sqrt(8.0 * corr / m))
                Q[h, s, a] = min(cap, r + pv + b * scale)
            V[h, s] = Q[h, s].max()
    return V, Q


@given(st.integers(1, 11), st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**32 - 1),
       st.sampled_from([K.HOEFFDING, K.BERNSTEIN, K.L1]), st.booleans())
def test_plan_kernels_agree(S, A, H, seed, kind, optimistic_init):
    rng = np.random.default_rng(seed)
    N = np.floor(rng.exponential(2.0, (S, A, S)) * (rng.random((S, A, 1)) < 0.8))
    n = N.sum(axis=2).astype(np.int64)
    NT = np.ascontiguousarray(N.reshape(S * A, S).T)
    nstate = np.floor(rng.exponential(3.0, (H + 1, S)))
    R = rng.random((1, S, A))
    L, scale = 2.5, 0.01 if kind != K.L1 else 1.0
    outs = []
    for fn, args in ((K.optimistic_plan, (N,)), (K.optimistic_plan_t, (N, NT))):
        V = np.zeros((H + 1, S))
        Q = np.empty((H, S, A))
        pi = np.empty((H, S), dtype=np.int64)
        b = np.empty((H, S, A))
        fn(*args, n, nstate, R, H, L, kind, scale, optimistic_init, V, Q, pi, b)
        outs.append((V, Q, pi))
    np.testing.assert_array_equal(outs[0][1], outs[1][1])  # bit-identical
    np.testing.assert_array_equal(outs[0][2], outs[1][2])
    Vr, Qr = reference_plan(N, n, nstate, R, H, L, kind, scale, optimistic_init)
    np.testing.assert_allclose(outs[1][1], Qr, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(outs[1][0], Vr, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(outs[1][2], outs[1][1].argmax(axis=2))


def test_counts_and_transposed_counts_stay_in_step():
    mdp = random_mdp(5, 3, horizon=4, seed=0)
    agent = UCBVI(mdp.spec, episodes=20, bonus="l1")
    agent.reset(np.random.default_rng(0))
    rng = np.random.default_rng(1)
    for _ in range(20):
        states = rng.integers(0, 5, 5)
        actions = rng.integers(0, 3, 4)
        agent.update(Trajectory(states, actions, np.zeros(4)))
    np.testing.assert_array_equal(agent._NT, agent._N.reshape(15, 5).T)
    np.testing.assert_array_equal(agent._n, agent._N.sum(axis=2))
    assert agent._n.sum() == 80
    v = agent.optimistic_value()
    assert v == agent.info()["optimistic_value"] and v <= 4.0
