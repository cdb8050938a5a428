"""Discounted solvers: certified bounds against exact rational arithmetic, and input checks."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from conftest import random_kernel
from hypothesis import given
from hypothesis import strategies as st

from theoryrl.envs import random_mdp, riverswim
from theoryrl.models import TabularMDP
from theoryrl.planning import (
    ConvergenceError,
    PrecisionError,
    backward_induction,
    evaluate_policy,
    evaluate_policy_discounted,
    modified_policy_iteration,
    policy_iteration,
    solve,
    value_iteration,
)

GAMMAS = [0.0, 0.5, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12]


def exact_values(P, R, gamma, pol):
    """V^pi of the given float arrays, exactly, by Gaussian elimination over the rationals."""
    S = P.shape[0]
    g = Fraction(gamma)
    M = [[(Fraction(int(i == j)) - g * Fraction(P[i, pol[i], j])) for j in range(S)]
         + [Fraction(R[i, pol[i]])] for i in range(S)]
    for col in range(S):
        piv = next(r for r in range(col, S) if M[r][col] != 0)
        M[col], M[piv] = M[piv], M[col]
        for r in range(S):
            if r != col and M[r][col] != 0:
                f = M[r][col] / M[col][col]
                M[r] = [a - f * b for a, b in zip(M[r], M[col])]
    return [M[i][S] / M[i][i] for i in range(S)]


def exact_optimum(P, R, gamma):
    """V* exactly: an optimal deterministic policy attains the maximum in every state."""
    S, A = R.shape
    vals = [exact_values(P, R, gamma, pol) for pol in itertools.product(range(A), repeat=S)]
    return [max(v[s] for v in vals) for s in range(S)], vals


def _max_gap(V, exact):
    return max(abs(Fraction(float(v)) - e) for v, e in zip(V, exact))


@st.composite
def small_problems(draw):
    S = draw(st.integers(1, 3))
    A = draw(st.integers(1, 3))
    gamma = draw(st.sampled_from(GAMMAS))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return random_kernel(rng, (S, A), S), rng.random((S, A)), gamma


@given(small_problems(), st.sampled_from(["pi", "mpi", "vi"]), st.sampled_from([None, 1e-3]))
def test_certified_bounds_hold_exactly(problem, method, rel_eps):
    # |V - V*| <= error and V* - V^pi <= policy_error, with V* and V^pi computed in exact
    # rational arithmetic from the very floats given (rows need not sum exactly to one)
    P, R, gamma = problem
    scale = max(1.0, float(np.abs(R).max()) / (1 - gamma))
    eps = None if rel_eps is None else rel_eps * scale
    sol = {"pi": policy_iteration, "mpi": modified_policy_iteration,
           "vi": value_iteration}[method](P, R, gamma, epsilon=eps)
    vstar, _ = exact_optimum(P, R, gamma)
    assert _max_gap(sol.V, vstar) <= Fraction(sol.error)
    assert sol.error <= (1e-9 * scale if eps is None else eps)
    vpi = exact_values(P, R, gamma, sol.policy)
    assert max(vs - vp for vs, vp in zip(vstar, vpi)) <= Fraction(sol.policy_error)
    assert sol.method == method


@given(small_problems())
def test_policy_iteration_finds_an_optimal_policy(problem):
    P, R, gamma = problem
    if gamma > 0.99:
        gamma = 0.99  # ties between optimal policies then show as exact equalities
    vstar, _ = exact_optimum(P, R, gamma)
    sol = policy_iteration(P, R, gamma)
    vpi = exact_values(P, R, gamma, sol.policy)
    scale = max(1.0, float(np.abs(R).max()) / (1 - gamma))
    assert max(vs - vp for vs, vp in zip(vstar, vpi)) <= Fraction(1e-12 * scale)


def test_near_one_discount_returns_the_gain_optimal_policy_or_raises():
    # gamma = 1 - 1e-12: the values are about 7e11, so the old policy iteration (a plain
    # linear solve of a system with condition number 1e12) returned a policy of gain 0.574
    # against an optimum of 0.6775 and called it exact
    mdp = random_mdp(30, 3, gamma=1 - 1e-12, seed=1)
    avg = TabularMDP(mdp.P, mdp.R)
    g_star = avg.solve().gain
    for method in ("pi", "mpi", "vi"):
        sol = solve(mdp, method=method, epsilon=1.0)
        assert sol.error <= 1.0
        assert avg.evaluate(sol.policy).min() == pytest.approx(g_star, abs=1e-9)
    with pytest.raises(PrecisionError, match=r"epsilon=1e-06 is below the resolution"):
        solve(mdp, epsilon=1e-6)
    with pytest.raises(PrecisionError, match=r"epsilon=0.001 cannot be certified"):
        solve(mdp, epsilon=1e-3)


def test_methods_agree_within_their_bounds():
    mdp = random_mdp(40, 4, gamma=0.95, seed=3)
    sols = [solve(mdp, method=m, epsilon=1e-8) for m in (None, "pi", "mpi", "vi")]
    assert sols[0].method == "pi"
    for a, b in itertools.combinations(sols, 2):
        assert np.max(np.abs(a.V - b.V)) <= a.error + b.error
    np.testing.assert_allclose(sols[0].Q, mdp.R + mdp.gamma * mdp.P @ sols[0].V, rtol=0,
                               atol=1e-9)


def test_reference_quantecon_when_installed():
    qe = pytest.importorskip("quantecon")
    mdp = random_mdp(60, 5, gamma=0.99, seed=4)
    ref = qe.markov.DiscreteDP(mdp.R, mdp.P, 0.99).solve(method="policy_iteration")
    sol = solve(mdp)
    np.testing.assert_array_equal(sol.policy, ref.sigma)
    assert np.max(np.abs(sol.V - ref.v)) <= sol.error + 1e-10


def test_convergence_error_names_the_budget():
    P = np.full((2, 1, 2), 0.5)
    P[0, 0] = [1.0, 0.0]
    P[1, 0] = [0.0, 1.0]  # two absorbing states: the span of TV - V never shrinks
    R = np.array([[0.0], [1.0]])
    with pytest.raises(ConvergenceError, match=r"value iteration did not reach"):
        value_iteration(P, R, 0.99, epsilon=1e-10, max_iter=3)


# -- input checks ------------------------------------------------------------------------

def _pr():
    mdp = riverswim(4, gamma=0.9)
    return mdp, np.asarray(mdp.P), np.asarray(mdp.R)


@pytest.mark.parametrize("bad", [None, "spec"])
def test_solve_rejects_non_models_with_a_type_error(bad):
    mdp, _, _ = _pr()
    with pytest.raises(TypeError, match=r"mdp must be a TabularMDP, got"):
        solve(mdp.spec if bad == "spec" else None)


@pytest.mark.parametrize("kw", [dict(gamma=0.9), dict(horizon=3), dict()])
def test_unknown_method_rejected_for_every_criterion(kw):
    mdp = riverswim(4, **kw)
    with pytest.raises(ValueError, match=r"method must be"):
        solve(mdp, method="bogus")


@pytest.mark.parametrize("eps", [0.0, -1e-3, float("nan"), float("inf")])
@pytest.mark.parametrize("kw", [dict(gamma=0.9), dict()])
def test_epsilon_validated_up_front(eps, kw):
    mdp = riverswim(4, **kw)
    with pytest.raises(ValueError, match=r"epsilon must be positive and finite"):
        solve(mdp, epsilon=eps)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    for fn in (value_iteration, policy_iteration, modified_policy_iteration):
        with pytest.raises(ValueError, match=r"epsilon must be positive and finite"):
            fn(P, R, 0.9, epsilon=eps)


def test_tolerance_below_resolution_is_reported_at_once():
    _, P, R = _pr()
    with pytest.raises(PrecisionError, match=r"epsilon=1e-20 is below the resolution"):
        value_iteration(P, R, 0.99, epsilon=1e-20, max_iter=1)


@pytest.mark.parametrize("gamma", [Fraction(9, 10), np.array(0.9), np.float32(0.9), 0.9])
def test_discount_accepts_real_numbers_in_any_form(gamma):
    _, P, R = _pr()
    ref = policy_iteration(P, R, float(gamma))
    mdp = TabularMDP(P, R, gamma=gamma)
    assert mdp.gamma == float(gamma)
    np.testing.assert_array_equal(policy_iteration(P, R, gamma).V, ref.V)
    np.testing.assert_array_equal(evaluate_policy_discounted(P, R, gamma, ref.policy),
                                  evaluate_policy_discounted(P, R, float(gamma), ref.policy))


@pytest.mark.parametrize("gamma", [True, "0.9", np.array([0.9]), 1.0, -0.1, float("nan")])
def test_discount_rejects_the_rest(gamma):
    _, P, R = _pr()
    with pytest.raises((TypeError, ValueError), match=r"gamma"):
        policy_iteration(P, R, gamma)
    with pytest.raises((TypeError, ValueError), match=r"gamma"):
        TabularMDP(P, R, gamma=gamma)


def test_huge_horizon_rejected_up_front():
    P = np.full((2, 2, 2), 0.5)
    R = np.zeros((2, 2))
    mdp = TabularMDP(P, R, horizon=10**12)
    with pytest.raises(ValueError, match=r"horizon=1000000000000 is too long"):
        mdp.solve()
    with pytest.raises(ValueError, match=r"horizon=1000000000000 is too long"):
        backward_induction(P, R, 10**12)


def test_low_level_planners_validate_shapes_and_actions():
    P = np.full((3, 2, 3), 1 / 3)
    R = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"policy\[0, 0\] = -1000000 is not an action"):
        evaluate_policy(P, R, np.full((3, 3), -10**6))
    with pytest.raises(ValueError, match=r"policy\[0, 1\] = 2 is not an action"):
        evaluate_policy(P, R, np.array([[0, 2, 0]]))
    with pytest.raises(ValueError, match=r"R must have shape"):
        backward_induction(P, np.zeros((1, 2)), 3)
    with pytest.raises(ValueError, match=r"P must have shape"):
        backward_induction(np.ones((2, 3)), R, 3)
    with pytest.raises(ValueError, match=r"bonus must have shape"):
        backward_induction(P, R, 3, bonus=np.zeros(4))
    with pytest.raises(ValueError, match=r"terminal must have shape"):
        backward_induction(P, R, 3, terminal=np.zeros(2))
    with pytest.raises(TypeError, match=r"horizon must be an integer"):
        backward_induction(P, R, 2.5)
    with pytest.raises(ValueError, match=r"policy\[1\] = 7 is not an action"):
        evaluate_policy_discounted(P, R, 0.9, np.array([0, 7, 1]))
    with pytest.raises(ValueError, match=r"R must have shape"):
        policy_iteration(P, np.zeros((3, 3)), 0.9)
    bad = P.copy()
    bad[1, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"P\[1, 0\] is not finite"):
        value_iteration(bad, R, 0.9)
    bad[1, 0, 0] = -0.1
    with pytest.raises(ValueError, match=r"negative"):
        value_iteration(bad, R, 0.9)


def test_substochastic_rows_are_termination_and_bounds_still_hold():
    rng = np.random.default_rng(5)
    P = random_kernel(rng, (3, 2), 3) * 0.8
    R = rng.random((3, 2))
    vstar, _ = exact_optimum(P, R, 0.9)
    for fn in (policy_iteration, value_iteration):
        sol = fn(P, R, 0.9, epsilon=1e-9)
        assert _max_gap(sol.V, vstar) <= Fraction(sol.error)
    P[0, 1] *= 1.1 / P[0, 1].sum()
    with pytest.raises(ValueError, match=r"P\[0, 1\] sums to 1.1\d* > 1"):
        policy_iteration(P, R, 0.9)


def test_large_backward_induction_uses_blas_and_still_checks_p():
    # S * A * S = 2**17: the BLAS path, whose first stage (V_H = 0) checks P instead of
    # multiplying by zero
    rng = np.random.default_rng(8)
    S, A, H = 64, 32, 5
    P = random_kernel(rng, (S, A), S, sparse=False)
    R = rng.random((S, A))
    sol = backward_induction(P, R, H)
    V = np.zeros(S)
    for h in range(H - 1, -1, -1):
        Q = R + P @ V
        np.testing.assert_allclose(sol.Q[h], Q, rtol=0, atol=1e-12)
        V = Q.max(axis=1)
        np.testing.assert_array_equal(sol.policy[h], Q.argmax(axis=1))
    for value, what in ((np.nan, "not finite"), (np.inf, "not finite"), (-0.5, "negative")):
        bad = P.copy()
        bad[3, 4, 5] = value
        with pytest.raises(ValueError, match=rf"P.* {what}"):
            backward_induction(bad, R, H)
        with pytest.raises(ValueError, match=rf"P.* {what}"):
            backward_induction(bad, R, 1)


def _solve_longdouble(M, b):
    """Gaussian elimination with partial pivoting in extended precision."""
    M = M.astype(np.longdouble)
    b = b.astype(np.longdouble)
    n = len(b)
    for k in range(n):
        p = k + int(np.argmax(np.abs(M[k:, k])))
        M[[k, p]], b[[k, p]] = M[[p, k]], b[[p, k]]
        f = M[k + 1:, k] / M[k, k]
        M[k + 1:] -= f[:, None] * M[k]
        b[k + 1:] -= f * b[k]
    x = np.zeros(n, dtype=np.longdouble)
    for k in range(n - 1, -1, -1):
        x[k] = (b[k] - M[k, k + 1:] @ x[k + 1:]) / M[k, k]
    return x


@pytest.mark.skipif(np.finfo(np.longdouble).eps >= 1e-18, reason="needs extended precision")
@pytest.mark.parametrize("method", ["pi", "mpi", "vi"])
def test_certified_bound_with_blas_products(method):
    # S * S * A >= 2**15: the backups use BLAS. V* is bracketed in extended precision by
    # the value of the returned policy and the McQueen-Porteus upper bound from it.
    S, A, gamma = 60, 12, 0.99
    mdp = random_mdp(S, A, gamma=gamma, seed=6)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    sol = solve(mdp, method=method, epsilon=1e-9)
    idx = np.arange(S)
    g = np.longdouble(gamma)
    Vpi = _solve_longdouble(np.eye(S) - g * P[idx, sol.policy].astype(np.longdouble),
                            R[idx, sol.policy])
    resid = (R.astype(np.longdouble) + g * (P.astype(np.longdouble) @ Vpi)).max(axis=1) - Vpi
    lo, hi = Vpi, Vpi + resid.max() / (1 - g)  # V^pi <= V* <= V^pi + max(T V^pi - V^pi)/(1-g)
    slack = 1e-15 * float(np.abs(Vpi).max())  # the extended-precision reference's own error
    V = sol.V.astype(np.longdouble)
    assert np.all(V >= lo - sol.error - slack) and np.all(V <= hi + sol.error + slack)
    # the policy is optimal here, so the bracket is as narrow as its claimed gap
    assert float((hi - lo).max()) <= sol.policy_error + slack


@pytest.mark.parametrize("H", [2, 6])  # without and with the transposed copy
def test_small_backward_induction_checks_p_entries(H):
    P = np.full((3, 2, 3), 1 / 3)
    R = np.ones((3, 2))
    P[0, 0] = [0.5, 0.5, -0.0]  # negative zero is a probability
    np.testing.assert_allclose(backward_induction(P, R, H).V[0], np.full(3, float(H)))
    for value, what in ((-1e-300, "negative"), (np.nan, "not finite"), (np.inf, "not finite")):
        bad = P.copy()
        bad[2, 1, 0] = value
        with pytest.raises(ValueError, match=rf"P\[2, 1, 0\] is {what}"):
            backward_induction(bad, R, H)
