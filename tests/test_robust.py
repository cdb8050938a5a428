"""Robust MDPs: inner problems against LP / convex solvers, robust DP, IWOCS."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_checks.iwocs import _l1_lp
from theoryrl.agents.iwocs import iwocs, monte_carlo_values
from theoryrl.envs.robust import random_finite_set, windy_walk
from theoryrl.planning import ConvergenceError, policy_iteration
from theoryrl.robust import (
    FiniteSet,
    KLBall,
    L1Ball,
    ModelFamily,
    kl_worst,
    l1_worst,
    robust_bellman,
    robust_policy_evaluation,
    robust_value_iteration,
    static_value,
)


def test_l1_closed_form_equals_lp():
    rng = np.random.default_rng(0)
    for _ in range(300):
        S = int(rng.integers(2, 12))
        p_hat = rng.dirichlet(np.full(S, 0.5))
        v = rng.normal(size=S) * rng.choice([1.0, 10.0])
        beta = float(rng.uniform(0, 2.2))
        val, p = l1_worst(p_hat, v, beta)
        assert abs(val - _l1_lp(p_hat, v, beta)) <= 1e-9
        assert np.abs(p - p_hat).sum() <= beta + 1e-9
        assert (p >= 0).all() and abs(p.sum() - 1) <= 1e-12


def test_kl_dual_equals_convex_solver():
    cp = pytest.importorskip("cvxpy")
    rng = np.random.default_rng(1)
    for _ in range(40):
        S = int(rng.integers(2, 8))
        p_hat = rng.dirichlet(np.ones(S))
        v = rng.normal(size=S)
        beta = float(rng.uniform(0.01, 0.5))
        val, p, gap = kl_worst(p_hat, v, beta)
        x = cp.Variable(S)
        prob = cp.Problem(cp.Minimize(v @ x), [x >= 0, cp.sum(x) == 1,
                                               cp.sum(cp.kl_div(x, p_hat)) <= beta])
        prob.solve()
        assert abs(val - prob.value) <= 1e-6
        assert gap <= 1e-9  # the certified gap of the bisection itself
        kl = np.sum(p[p > 0] * np.log(p[p > 0] / p_hat[p > 0]))
        assert kl <= beta + 1e-12 and abs(p.sum() - 1) <= 1e-12


def test_kl_corner_case_returns_min_exactly():
    p_hat = np.array([0.5, 0.3, 0.2, 0.0])
    v = np.array([3.0, 1.0, 2.0, -5.0])  # state 3 is outside the support
    beta = -np.log(0.3) + 1e-3  # beyond the corner: all mass on argmin over the support
    val, p, gap = kl_worst(p_hat, v, beta)
    assert val == 1.0 and gap == 0.0
    np.testing.assert_array_equal(p, [0.0, 1.0, 0.0, 0.0])


def test_kl_zero_radius_is_the_centre():
    p_hat = np.array([0.2, 0.8])
    v = np.array([1.0, 0.0])
    val, p, _ = kl_worst(p_hat, v, 0.0)
    np.testing.assert_allclose(p, p_hat)
    assert val == pytest.approx(p_hat @ v)


vec = st.lists(st.floats(-50, 50), min_size=2, max_size=7)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(vec, st.floats(0.0, 3.0), st.floats(0.0, 3.0), st.floats(-20, 20),
       st.integers(0, 2**31 - 1))
def test_inner_problem_properties(v, b1, b2, c, seed):
    v = np.array(v)
    p_hat = np.random.default_rng(seed).dirichlet(np.ones(v.size))
    lo, hi = sorted((b1, b2))
    for solve in (lambda b, w: l1_worst(p_hat, w, b)[0],
                  lambda b, w: kl_worst(p_hat, w, b)[0]):
        # non-increasing in the radius; the centre at radius 0; translation
        assert solve(hi, v) <= solve(lo, v) + 1e-9 * (1 + np.abs(v).max())
        assert solve(0.0, v) == pytest.approx(p_hat @ v, abs=1e-9 * (1 + np.abs(v).max()))
        assert solve(lo, v + c) == pytest.approx(solve(lo, v) + c,
                                                 abs=1e-8 * (1 + np.abs(v).max() + abs(c)))
        # monotone in v
        assert solve(lo, v) <= solve(lo, v + np.abs(v)) + 1e-9 * (1 + np.abs(v).max())
    assert l1_worst(p_hat, v, 2.0)[0] == pytest.approx(v.min())


def _sets(seed):
    inst = random_finite_set(5, 3, 3, gamma=0.9, seed=seed)
    P = inst.uset.C[:, :, 0]
    return inst.R, [inst.uset, L1Ball(P, 0.4), KLBall(P, 0.1)]


@pytest.mark.parametrize("seed", range(3))
def test_robust_bellman_contracts_and_is_monotone(seed):
    R, sets = _sets(seed)
    rng = np.random.default_rng(seed)
    for uset in sets:
        for _ in range(20):
            V, W = rng.normal(size=(2, R.shape[0])) * 5
            LV = robust_bellman(uset, R, 0.9, V)[0].max(axis=1)
            LW = robust_bellman(uset, R, 0.9, W)[0].max(axis=1)
            assert np.abs(LV - LW).max() <= 0.9 * np.abs(V - W).max() + 1e-9
            Lmax = robust_bellman(uset, R, 0.9, np.maximum(V, W))[0].max(axis=1)
            assert (Lmax >= np.maximum(LV, LW) - 1e-9).all()


def _all_static(C):
    """Every static model of a finite rectangular set (K ** (S A) of them)."""
    S, A, K, _ = C.shape
    for choice in itertools.product(range(K), repeat=S * A):
        k = np.array(choice).reshape(S, A)
        yield np.take_along_axis(C, k[..., None, None], axis=2)[:, :, 0]


@pytest.mark.parametrize("seed", range(10))
def test_static_equals_dynamic_and_no_duality_gap_by_brute_force(seed):
    """Iyengar (2005) Lemma 3.3 and Wiesemann et al. (2013) Prop. 9 on 64 static models."""
    inst = random_finite_set(3, 2, 2, gamma=0.9, seed=seed)
    C, R = inst.uset.C, inst.R
    rng = np.random.default_rng(seed)
    pi = rng.integers(2, size=3)
    static = [static_value(T, R, 0.9, pi)[0] for T in _all_static(C)]
    ev = robust_policy_evaluation(inst.uset, R, 0.9, pi)
    assert min(static) == pytest.approx(ev.V[0], abs=1e-8)
    assert ev.error <= 1e-8
    best = [policy_iteration(T, R, 0.9).V[0] for T in _all_static(C)]
    rv = robust_value_iteration(inst.uset, R, 0.9, epsilon=1e-10)
    assert min(best) == pytest.approx(rv.V[0], abs=1e-8)


@pytest.mark.parametrize("make", [lambda P: L1Ball(P, 0.3), lambda P: KLBall(P, 0.2)])
def test_robust_policy_evaluation_certified(make):
    inst = random_finite_set(6, 3, 1, gamma=0.9, seed=4)
    uset = make(inst.uset.C[:, :, 0])
    pi = np.array([0, 1, 2, 0, 1, 2])
    ev = robust_policy_evaluation(uset, inst.R, 0.9, pi)
    assert uset.contains(ev.worst)
    np.testing.assert_allclose(static_value(ev.worst, inst.R, 0.9, pi), ev.V, atol=1e-10)
    # the fixed point of the policy's robust operator, reached by plain iteration
    V = np.zeros(6)
    for _ in range(600):
        V = robust_bellman(uset, inst.R, 0.9, V)[0][np.arange(6), pi]
    assert np.abs(ev.V - V).max() <= ev.error + 1e-9
    assert (ev.V >= V - 1e-9).all()


def test_robust_vi_error_is_certified():
    R, sets = _sets(5)
    for uset in sets:
        rough = robust_value_iteration(uset, R, 0.9, epsilon=1e-3)
        exact = robust_value_iteration(uset, R, 0.9, epsilon=1e-11)
        assert np.abs(rough.V - exact.V).max() <= rough.error + exact.error
        assert rough.error <= 1e-3


def test_robust_vi_raises_past_its_budget():
    R, sets = _sets(0)
    with pytest.raises(ConvergenceError):
        robust_value_iteration(sets[0], R, 0.9, epsilon=1e-12, max_iter=5)


@pytest.mark.parametrize("variant", ["paper", "rect"])
def test_iwocs_invariants(variant):
    """Properties 1-2 and the two-sided certificate, on 20 random finite sets."""
    for seed in range(20):
        inst = random_finite_set(8, 3, 4, gamma=0.9, seed=seed)
        rv = robust_value_iteration(inst.uset, inst.R, 0.9, epsilon=1e-11)
        res = iwocs(inst.uset, inst.R, 0.9, inst.init, variant=variant)
        tol = 1e-8
        assert (np.diff(res.upper) <= tol).all()
        for Q, U, L in zip(res.Q, res.upper, res.lower, strict=True):
            assert (Q >= rv.Q - tol).all()  # Property 1, pointwise
            assert U >= rv.V[0] - tol and L <= rv.V[0] + tol
        for Q0, Q1 in itertools.pairwise(res.Q):
            assert (Q1 <= Q0 + tol).all()  # Property 2
        if res.status == "converged":
            assert rv.V[0] - res.value <= 1e-8 + tol


def test_iwocs_rect_terminates_with_a_robust_optimal_policy():
    for seed in range(20):
        inst = random_finite_set(8, 3, 4, gamma=0.9, seed=seed)
        res = iwocs(inst.uset, inst.R, 0.9, inst.init, variant="rect", epsilon=1e-9)
        assert res.status == "converged"
        assert len(res.models) <= 8 * 3 * 4
        rv = robust_value_iteration(inst.uset, inst.R, 0.9, epsilon=1e-11)
        ev = robust_policy_evaluation(inst.uset, inst.R, 0.9, res.policy)
        np.testing.assert_allclose(ev.V, rv.V, atol=1e-8)  # at every state


def test_iwocs_paper_variant_can_stall_and_says_so():
    """The pointwise-min version stalls on some sparse instances; the rect one never."""
    stalled = []
    for seed in range(100):
        inst = random_finite_set(20, 5, 10, concentration=0.05, gamma=0.9, seed=seed)
        res = iwocs(inst.uset, inst.R, 0.9, inst.init)
        if res.status == "stalled":
            stalled.append(seed)
            assert res.gap > 1e-8  # a stall is reported only with a real gap
            assert iwocs(inst.uset, inst.R, 0.9, inst.init, variant="rect").status == \
                "converged"
    assert stalled  # the case exists on this family (seed list in the theory page)


@pytest.mark.parametrize("make,beta", [(L1Ball, 0.4), (KLBall, 0.1)])
def test_iwocs_on_balls_matches_robust_vi(make, beta):
    for seed in range(3):
        inst = random_finite_set(6, 3, 1, gamma=0.9, seed=seed)
        uset = make(inst.uset.C[:, :, 0], beta)
        res = iwocs(uset, inst.R, 0.9, inst.init, variant="rect", epsilon=1e-7,
                    vi_epsilon=1e-9)
        rv = robust_value_iteration(uset, inst.R, 0.9, epsilon=1e-9)
        assert res.status == "converged"
        assert res.value == pytest.approx(rv.V[0], abs=1e-6)


def test_windy_walk_replica():
    inst = windy_walk()
    res = iwocs(inst.uset, inst.R, inst.gamma, inst.init)
    assert res.status == "converged" and len(res.models) == 2
    np.testing.assert_array_equal(res.models[0], inst.uset.models[0])  # alpha = 0
    np.testing.assert_array_equal(res.models[1], inst.uset.models[-1])  # alpha = 0.5
    rv = robust_value_iteration(inst.uset.hull(), inst.R, inst.gamma, epsilon=1e-10)
    assert res.value == pytest.approx(rv.V[inst.init], abs=1e-8)


def test_non_rectangular_family_hull_is_more_conservative():
    """Two states whose worst cases need opposite parameters: the coupled family's
    static value is above robust VI on its rectangular hull."""
    S, A = 3, 1
    models = np.zeros((2, S, A, S))
    # state 0 moves to 1 or 2 at random; state 1 (2) is good under alpha=0 (1)
    models[:, 0, 0] = [0.0, 0.5, 0.5]
    models[0, 1, 0], models[1, 1, 0] = [0, 1, 0], [1, 0, 0]
    models[0, 2, 0], models[1, 2, 0] = [1, 0, 0], [0, 0, 1]
    R = np.array([[0.0], [1.0], [1.0]])
    fam = ModelFamily(models)
    res = iwocs(fam, R, 0.9, 0)
    hull = robust_value_iteration(fam.hull(), R, 0.9, epsilon=1e-11)
    assert hull.V[0] < res.value - 1e-3


def test_bad_input_names_the_argument():
    inst = random_finite_set(3, 2, 2, seed=0)
    with pytest.raises(ValueError, match="variant"):
        iwocs(inst.uset, inst.R, 0.9, variant="fast")
    with pytest.raises(ValueError, match="R must have shape"):
        iwocs(inst.uset, np.zeros((2, 2)), 0.9)
    with pytest.raises(ValueError, match="gamma"):
        robust_value_iteration(inst.uset, inst.R, 1.0)
    with pytest.raises(ValueError, match="beta"):
        L1Ball(inst.uset.C[:, :, 0], -0.1)
    with pytest.raises(ValueError, match="C"):
        FiniteSet(np.ones((2, 1, 1, 2)))
    with pytest.raises(ValueError, match="policy"):
        robust_policy_evaluation(inst.uset, inst.R, 0.9, np.array([0, 5, 0]))
    with pytest.raises(TypeError, match="uset"):
        robust_value_iteration(None, inst.R, 0.9)


def test_monte_carlo_values_agree_with_exact_values():
    inst = windy_walk(np.linspace(0.0, 0.5, 5))
    pi = policy_iteration(inst.uset.models[0], inst.R, inst.gamma).policy
    exact = np.array([static_value(T, inst.R, inst.gamma, pi)[inst.init]
                      for T in inst.uset.models])
    mean, se = monte_carlo_values(inst.uset.models, inst.R, inst.gamma, pi, inst.init, 400,
                                  np.random.default_rng(3))
    noisy = se > 1e-9  # alpha = 0 is deterministic: every rollout returns the exact value
    assert noisy[1:].all()
    assert np.abs(mean - exact)[~noisy].max() <= 1e-7
    assert (np.abs(mean - exact)[noisy] / se[noisy]).max() <= 4.0


def test_monte_carlo_minimum_is_biased_low_on_near_ties():
    """The paper's min over noisy estimates (Appendix E) is biased: the winner's curse."""
    inst = windy_walk(np.linspace(0.45, 0.5, 25))
    pi = iwocs(inst.uset, inst.R, inst.gamma, inst.init).policy
    exact = min(static_value(T, inst.R, inst.gamma, pi)[inst.init] for T in inst.uset.models)
    rng = np.random.default_rng(11)
    bias = np.array([monte_carlo_values(inst.uset.models, inst.R, inst.gamma, pi, inst.init,
                                        300, rng)[0].min() - exact for _ in range(60)])
    z = bias.mean() / (bias.std(ddof=1) / np.sqrt(bias.size))
    assert z < -4
