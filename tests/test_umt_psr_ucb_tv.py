"""Tests of the UCB-on-TV planner of UMT-PSR (docs/theory/umt_psr.md) and of its proof check C11."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import proofs_checks.umt_psr as C
from proofs_checks import _harness as H
from theoryrl.agents.base import TaskBatch
from theoryrl.agents.umt_psr import (
    UMTPSR,
    class_rank_gamma,
    predictive_states,
    ucb_tv_alpha,
    ucb_tv_bonus,
)
from theoryrl.envs.pomdp_families import (
    E_EASY,
    SharedSpecificClass,
    random_task_rewards,
    sample_truth,
    shared_transition_family,
    two_state_grid,
)
from theoryrl.experiment.pomdp_driver import run_pomdp
from theoryrl.models.pomdp import (
    POMDP,
    decode_trajectories,
    encode_trajectories,
    exploration_tensor,
    reward_tensor,
)

SETTINGS = settings(derandomize=True, deadline=None, max_examples=25)
STAY_SWITCH = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])  # a=0 stays


@functools.cache
def _small() -> SharedSpecificClass:
    """N = 2 tasks, H = 2 (F = 36): 2 transitions x 2 emissions of the shared-transition family."""
    c = shared_transition_family(2, 2, T_grid=two_state_grid([0.2, 0.35])[[0, 3]],
                                 emissions=E_EASY[:2])
    c.dmax()
    return c


@pytest.fixture(scope="module")
def small() -> SharedSpecificClass:
    return _small()


def _flip_class() -> SharedSpecificClass:
    """Two models that differ only in which action stays: a=0 stays (model 0) or switches."""
    mu = np.array([0.8, 0.2])
    models = [[POMDP(T, E_EASY[0], horizon=2, mu=mu)] for T in (STAY_SWITCH, STAY_SWITCH[::-1])]
    P = np.stack([[m.traj_probs().ravel() for m in row] for row in models])
    return SharedSpecificClass(P, 2, 3, 2, 2, name="action_flip", models=models)


def _bonus_direct(psi, counts, alpha, lam, O, A, H) -> np.ndarray:
    """Slow reference: explicit U_h by a loop over histories, explicit inverse, per trajectory."""
    Uinv = []
    for h in range(H):
        U = lam * np.eye(O)
        for i in range((O * A) ** h):
            U = U + counts[h][i] * np.outer(psi[h][i], psi[h][i])
        Uinv.append(np.linalg.inv(U))
    F = (O * A) ** H
    obs, act = decode_trajectories(np.arange(F), O, A, H)
    out = np.empty(F)
    for f in range(F):
        tot = 0.0
        for h in range(H):
            i = int(encode_trajectories(obs[f, :h], act[f, :h], O, A))  # prefix tau_h
            tot += psi[h][i] @ Uinv[h] @ psi[h][i]
        out[f] = min(alpha * math.sqrt(tot), 1.0)
    return out


# ------------------------------------------------------------ validation
def test_validation_names_the_argument(small):
    R = np.zeros((2, small.F))
    with pytest.raises(ValueError, match=r"planner must be one of \['pairwise', 'uniform', "
                                         r"'ucb_tv'\], got 'ucb'"):
        UMTPSR(small, R, planner="ucb")
    with pytest.raises(ValueError, match=r"alpha must be >= 0 and finite, got -1.0"):
        UMTPSR(small, R, planner="ucb_tv", alpha=-1.0)
    with pytest.raises(ValueError, match=r"lam must be positive and finite, got -0.5"):
        UMTPSR(small, R, planner="ucb_tv", lam=-0.5)
    with pytest.raises(ValueError, match=r"lam must be positive and finite, got 0.0"):
        UMTPSR(small, R, planner="ucb_tv", lam=0.0)
    with pytest.raises(ValueError, match=r"p_min must be >= 0 and finite"):
        UMTPSR(small, R, planner="ucb_tv", p_min=-1e-6)
    bare = SharedSpecificClass(small.P, 2, 3, 2, 2)  # no POMDPs behind: gamma unknown
    with pytest.raises(ValueError, match=r"alpha must be given for planner='ucb_tv'"):
        UMTPSR(bare, R, planner="ucb_tv")
    assert UMTPSR(bare, R, planner="ucb_tv", alpha=2.0).alpha == 2.0
    psi, _ = predictive_states(small)
    cnt = [np.zeros((small.O * small.A) ** h) for h in range(2)]
    with pytest.raises(ValueError, match=r"psi and counts must hold H=2 arrays"):
        ucb_tv_bonus(psi[:1], cnt, 1.0, 1.0, 3, 2, 2)
    with pytest.raises(ValueError, match=r"alpha must be >= 0"):
        ucb_tv_bonus([p[0] for p in psi], cnt, -1.0, 1.0, 3, 2, 2)
    with pytest.raises(ValueError, match=r"psi\[1\] must have shape \(6, 3\)"):
        ucb_tv_bonus([psi[0][0], psi[1][0][:5]], cnt, 1.0, 1.0, 3, 2, 2)


def test_alpha_formula_and_class_constants(small):
    # (sqrt 1 + 1 * sqrt 4 / 0.5) * sqrt 4 = 10
    assert ucb_tv_alpha(4.0, 1, 1, 4, 0.5) == pytest.approx(10.0)
    assert ucb_tv_alpha(9.0, 1, 1, 4, 0.5) == pytest.approx(15.0)  # sqrt(beta) scaling
    r, g = class_rank_gamma(small)
    assert r == 2  # two latent states, observable rank 2
    want = min(1 / np.abs(np.linalg.pinv(E.T)).sum(axis=0).max() for E in E_EASY[:2])
    assert g == pytest.approx(want)  # gamma = 1 / ||O^+||_{1->1}
    ag = UMTPSR(small, np.zeros((2, small.F)), planner="ucb_tv")
    assert ag.alpha == pytest.approx(ucb_tv_alpha(ag.beta, 2, 1, 2, g))
    assert ag.p_min == pytest.approx(ag.delta / (ag.K_max * 2 * small.F))


# ------------------------------------------------------ predictive states
def test_predictive_states_are_next_observation_laws():
    """Distributions where the prefix has probability > 0, zero rows elsewhere; = Bayes filter."""
    T = np.array([np.eye(2), [[0.3, 0.7], [0.6, 0.4]]])  # a=0 keeps the state for sure
    E = np.array([[0.9, 0.1, 0.0], [0.0, 0.5, 0.5]])  # o=2 impossible in state 0
    models = [[POMDP(T, E, horizon=3, mu=[1.0, 0.0]), POMDP(T[::-1], E, horizon=3,
                                                             mu=[0.5, 0.5])]]
    P = np.stack([[m.traj_probs().ravel() for m in row] for row in models])
    c = SharedSpecificClass(P, 1, 3, 2, 3, models=models)
    psi, pre = predictive_states(c)
    assert any((pre[h] == 0).any() for h in range(3))  # the zero branch is exercised
    for h in range(3):
        assert psi[h].shape == (2, 6 ** h, 3) and pre[h].shape == (2, 6 ** h)
        pos = pre[h] > 0
        np.testing.assert_allclose(psi[h][pos].sum(-1), 1.0, atol=1e-12)
        assert (psi[h] >= 0).all() and (psi[h][~pos] == 0).all()
        obs, act = decode_trajectories(np.arange(6 ** h), 3, 2, h)
        for m, model in enumerate(models[0]):
            for i in np.flatnonzero(pos[m]):
                if h == 0:
                    want = model.mu @ model.E[0]
                else:
                    b = model.initial_belief(int(obs[i, 0]))
                    for j in range(1, h):
                        b = model.belief_update(b, int(act[i, j - 1]), int(obs[i, j]), j)
                    want = model.next_obs_probs(b, int(act[i, h - 1]), h)
                np.testing.assert_allclose(psi[h][m, i], want, atol=1e-12)


# ------------------------------------------------------------------ bonus
def test_bonus_matches_direct_per_trajectory_computation(small):
    rng = np.random.default_rng(5)
    psi, _ = predictive_states(small)
    ms = np.array([1, 2])
    counts = [np.array([[30], [12]]),  # tau_0 = empty history: every trajectory
              rng.integers(1, 40, size=(2, 6)) * (rng.random((2, 6)) < 0.5)]
    alpha, lam = 3.5, 0.7
    got = ucb_tv_bonus([psi[h][ms] for h in range(2)], counts, alpha, lam, 3, 2, 2)
    assert got.shape == (2, small.F)
    for n in range(2):
        ref = _bonus_direct([psi[h][ms[n]] for h in range(2)], [c[n] for c in counts],
                            alpha, lam, 3, 2, 2)
        np.testing.assert_allclose(got[n], ref, rtol=1e-12, atol=1e-14)
    assert (got == 1.0).any() and (got < 1.0).any()  # the min(., 1) cap is exercised
    one = ucb_tv_bonus([psi[h][ms[0]] for h in range(2)], [c[0] for c in counts], alpha, lam,
                       3, 2, 2)
    np.testing.assert_allclose(one, got[0])  # batching over leading axes changes nothing


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.floats(0.1, 20.0), st.floats(0.05, 5.0),
       st.booleans())
def test_bonus_non_increasing_when_counts_added(seed, alpha, lam, from_class):
    rng = np.random.default_rng(seed)
    O, A, H = 3, 2, 2
    if from_class:
        psi_all, _ = predictive_states(_small())
        psi = [p[int(rng.integers(p.shape[0]))] for p in psi_all]
    else:
        psi = [rng.dirichlet(np.ones(O), size=(O * A) ** h) for h in range(H)]
    counts = [rng.integers(0, 6, size=(O * A) ** h) for h in range(H)]
    extra = [rng.integers(0, 6, size=(O * A) ** h) * (rng.random((O * A) ** h) < 0.4)
             for h in range(H)]
    b0 = ucb_tv_bonus(psi, counts, alpha, lam, O, A, H)
    b1 = ucb_tv_bonus(psi, [c + x for c, x in zip(counts, extra)], alpha, lam, O, A, H)
    assert ((b0 >= 0) & (b0 <= 1)).all()
    assert (b1 <= b0 + 1e-12).all()


# ------------------------------------------------------------------ agent
def test_update_fills_bonus_data_and_plays_nu_of_the_plan(small):
    """counts / min_logged recounted from the logged plays; plays are nu_h of the bonus plan."""
    O, A, H, N = small.O, small.A, small.H, small.N
    t, e = 1, np.array([0, 1])
    ag = UMTPSR(small, random_task_rewards(N, O, A, H, np.random.default_rng(0)),
                eps=0.5, planner="ucb_tv")
    rng = np.random.default_rng(3)
    logged = []
    for _ in range(6):
        _, _, plan = ag.ucb_tv_values()
        tasks, pis = ag.policy()
        assert tasks.tolist() == [0] * H + [1] * H
        for n in range(N):
            for h in range(1, H + 1):
                np.testing.assert_allclose(
                    pis[n * H + h - 1],
                    exploration_tensor(plan.tensor((n,)), h, O, A, H).ravel())
        idx = np.array([rng.choice(small.F, p=small.P[t, e[n]] * p)
                        for n, p in zip(tasks, pis)])
        ag.update(TaskBatch(tasks, idx))
        logged.append(idx)
    idx = np.array(logged)  # (rounds, N H), play j = n H + h - 1 is nu_h of task n
    for h in range(H):
        want = np.zeros((N, (O * A) ** h))
        for n in range(N):
            np.add.at(want[n], idx[:, n * H + h] // (O * A) ** (H - h), 1)
        np.testing.assert_array_equal(ag.counts[h], want)
        assert (ag.counts[h].sum(1) == 6).all()
    Pf = small.P.reshape(small.M, small.F)
    for n in range(N):
        np.testing.assert_allclose(ag.min_logged[n],
                                   Pf[:, idx[:, n * H:(n + 1) * H].ravel()].min(axis=1))
    assert len(ag.history) == 7 and all(mode == "ucb_tv" for _, mode in ag.history)


def test_runs_to_certified_stop_and_is_eps_optimal_on_average(small):
    eps = 0.5
    rng = np.random.default_rng(21)
    t, e = sample_truth(small, rng)
    R = random_task_rewards(small.N, small.O, small.A, small.H, rng)
    ag = UMTPSR(small, R, eps=eps, planner="ucb_tv")
    run = run_pomdp(ag, small.P[t, e], R, np.random.default_rng(11), record_values=False)
    assert run.stopped and not ag.censored and run.iterations > 0
    assert ag.delta_k <= small.N * eps / 2
    assert run.gaps.mean() <= eps  # exact values from the true model
    tv = small.dmax()[run.output_models, t * small.m_E + e]
    assert (ag.info()["bonus_values"] >= tv - 1e-12).all()  # optimism at the stop
    assert tv.sum() <= small.N * eps / 2
    again = run_pomdp(UMTPSR(small, R, eps=eps, planner="ucb_tv"), small.P[t, e], R,
                      np.random.default_rng(11), record_values=False)
    assert again.iterations == run.iterations  # deterministic given the stream


def test_alpha_zero_stops_at_once_and_is_not_eps_optimal():
    """Broken variant: no bonus, so the certificate is 0 at round 0 and the output is a guess."""
    c = _flip_class()
    r = np.zeros((2, 3))
    r[1, 0] = 1.0  # reward 1/H for o_2 = 0: be in state 0 at step 2
    R = np.stack([reward_tensor(r, 3, 2, 2).ravel()] * 2)
    truth = c.P[1, [0, 0]]  # a=0 switches; the no-data MLE (index 0) believes a=0 stays
    eps = 0.25
    broken = run_pomdp(UMTPSR(c, R, eps=eps, planner="ucb_tv", alpha=0.0), truth, R,
                       np.random.default_rng(0))
    assert broken.stopped and broken.iterations == 0
    # closed form: gap = (1/H)(E[0,0] - E[1,0]) sum_o P(o_1 = o) |2 b_1(0 | o) - 1|
    mu, E = np.array([0.8, 0.2]), E_EASY[0]
    po = mu @ E
    b0 = mu[0] * E[0] / po
    want = 0.5 * (E[0, 0] - E[1, 0]) * float(po @ np.abs(2 * b0 - 1))
    np.testing.assert_allclose(broken.gaps, want, rtol=1e-12)
    assert broken.gaps.mean() > eps
    good = run_pomdp(UMTPSR(c, R, eps=eps, planner="ucb_tv"), truth, R,
                     np.random.default_rng(0), record_values=False)
    assert good.stopped and good.iterations > 0 and good.gaps.mean() <= eps


# ------------------------------------------------------------ proof check
def test_check_ucb_tv_bound_passes_and_fails_on_scaled_alpha():
    check = next(c for c in C.CHECKS if c.name == "ucb_tv_bound")
    ok = H.run_check("umt_psr", check, "quick", overrides={"seeds": 3})
    assert ok.verdict == "pass" and ok.kind == "invariant" and ok.measured == 1.0
    bad = H.run_check("umt_psr", check, "quick",
                      overrides={"seeds": 6, "agent": C.ScaledAlphaUMTPSR})
    assert bad.details["alpha"] == pytest.approx(0.01 * ok.details["alpha"])
    assert bad.verdict == "fail" and bad.measured < 0.5
