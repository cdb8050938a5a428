"""Exact solvers against plain-NumPy references and their defining equations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import discounted_arrays, mdp_arrays, random_kernel, random_policies
from hypothesis import given
from hypothesis import strategies as st

from theoryrl.models import TabularMDP
from theoryrl.planning import (
    ConvergenceError,
    backward_induction,
    evaluate_policy,
    evaluate_policy_discounted,
    is_weakly_communicating,
    maximal_end_components,
    policy_gain_bias,
    policy_iteration,
    relative_value_iteration,
    solve,
    span,
    value_iteration,
)
from theoryrl.planning import _kernels as K


def reference_backward_induction(P, R, H, bonus=None, qmax=None, terminal=None):
    """Slow plain-NumPy backward induction (vectorised per stage, no numba)."""
    S, A = P.shape[-3], P.shape[-2]
    P4 = P if P.ndim == 4 else np.broadcast_to(P, (H, S, A, S))
    R3 = R if R.ndim == 3 else np.broadcast_to(R, (H, S, A))
    B3 = np.zeros((H, S, A)) if bonus is None else np.broadcast_to(bonus, (H, S, A))
    V = np.zeros((H + 1, S))
    if terminal is not None:
        V[H] = terminal
    Q = np.zeros((H, S, A))
    for h in range(H - 1, -1, -1):
        Q[h] = R3[h] + B3[h] + P4[h] @ V[h + 1]
        if qmax is not None:
            Q[h] = np.minimum(Q[h], qmax[h])
        V[h] = Q[h].max(axis=1)
    return V[:H], Q


def plain_loop_backward_induction(P, R, H, bonus, terminal=None):
    """The textbook loop in pure Python floats: sums left to right, no reordering."""
    S, A = P.shape[-3], P.shape[-2]
    V = [[0.0] * S for _ in range(H + 1)]
    if terminal is not None:
        V[H] = [float(x) for x in terminal]
    Q = np.zeros((H, S, A))
    for h in range(H - 1, -1, -1):
        Ph = P[h] if P.ndim == 4 else P
        Rh = R[h] if R.ndim == 3 else R
        for s in range(S):
            best = -np.inf
            for a in range(A):
                acc = 0.0
                for t in range(S):
                    acc += float(Ph[s, a, t]) * V[h + 1][t]
                q = float(Rh[s, a]) + float(bonus[s, a]) + acc
                Q[h, s, a] = q
                best = max(best, q)
            V[h][s] = best
    return np.array(V[:H]), Q


# -- episodic ------------------------------------------------------------------

@given(mdp_arrays(), st.integers(0, 2**32 - 1))
def test_optimal_value_dominates_every_policy(arrays, seed):
    P, R, H, init = arrays
    mdp = TabularMDP(P, R, horizon=H, init=init)
    V = mdp.solve().V
    det, sto = random_policies(np.random.default_rng(seed), H, *R.shape[-2:])
    for pi in (det, sto):
        assert np.all(V >= mdp.evaluate(pi) - 1e-12)
    assert mdp.optimal_value() >= mdp.initial_value(det) - 1e-12


@given(mdp_arrays())
def test_bellman_residual_zero_and_greedy_value_is_optimal(arrays):
    P, R, H, init = arrays
    mdp = TabularMDP(P, R, horizon=H, init=init)
    sol = mdp.solve()
    S = P.shape[-3]
    P4 = P if P.ndim == 4 else np.broadcast_to(P, (H,) + P.shape)
    Vnext = np.vstack([sol.V[1:], np.zeros((1, S))])
    R3 = R if R.ndim == 3 else np.broadcast_to(R, (H,) + R.shape)
    for h in range(H):
        T = (R3[h] + P4[h] @ Vnext[h]).max(axis=1)
        np.testing.assert_allclose(sol.V[h], T, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(mdp.evaluate(sol.policy), sol.V)
    np.testing.assert_array_equal(sol.V, sol.Q.max(axis=2))
    np.testing.assert_array_equal(sol.policy, sol.Q.argmax(axis=2))


@given(mdp_arrays(), st.booleans(), st.booleans(), st.booleans())
def test_backward_induction_matches_numpy_reference(arrays, with_bonus, with_qmax, with_term):
    P, R, H, _ = arrays
    S, A = P.shape[-3], P.shape[-2]
    rng = np.random.default_rng(S * 100 + A * 10 + H)
    bonus = rng.random((S, A)) if with_bonus else None
    qmax = np.arange(H, 0, -1) * 0.7 if with_qmax else None
    term = rng.random(S) if with_term else None
    sol = backward_induction(P, R, H, bonus=bonus, qmax=qmax, terminal=term)
    V, Q = reference_backward_induction(P, R, H, bonus, qmax, term)
    np.testing.assert_allclose(sol.V, V, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sol.Q, Q, rtol=0, atol=1e-12)


@given(mdp_arrays(max_states=9, max_actions=5, max_horizon=7))
def test_backward_induction_bit_identical_to_plain_loop(arrays):
    # the kernels reorder work (8 rows at once, transposed stationary kernels) but never a
    # sum: every product P[s, a] @ V is summed left to right, as the textbook loop does
    P, R, H, _ = arrays
    bonus = np.random.default_rng(H).random(R.shape[-2:])
    sol = backward_induction(P, R, H, bonus=bonus)
    V, Q = plain_loop_backward_induction(P, R, H, bonus)
    np.testing.assert_array_equal(sol.Q, Q)
    np.testing.assert_array_equal(sol.V, V)


@given(mdp_arrays(max_states=12), st.integers(0, 2**32 - 1))
def test_incremental_evaluation_bit_identical(arrays, seed):
    P, R, H, _ = arrays
    S, A = P.shape[-3], P.shape[-2]
    rng = np.random.default_rng(seed)
    P4 = np.ascontiguousarray(P if P.ndim == 4 else P[None])
    R3 = np.ascontiguousarray(R if R.ndim == 3 else R[None])
    V = np.zeros((H + 1, S))
    prev = np.full((H, S), -1, dtype=np.int64)
    pi = rng.integers(0, A, size=(H, S))
    for _ in range(6):
        n = K.evaluate_deterministic_update(P4, R3, pi, prev, V)
        full = np.zeros((H + 1, S))
        K.evaluate_deterministic(P4, R3, pi, full)
        np.testing.assert_array_equal(V, full)
        np.testing.assert_array_equal(prev, pi)
        assert 0 <= n <= H
        assert K.evaluate_deterministic_update(P4, R3, pi, prev, V) == 0  # unchanged policy
        pi = pi.copy()
        h, s = rng.integers(H), rng.integers(S)
        pi[h, s] = rng.integers(A)


def test_backward_induction_docstring_example():
    np.testing.assert_array_equal(
        backward_induction(np.ones((1, 1, 1)), np.ones((1, 1)), 3).V[:, 0], [3.0, 2.0, 1.0])


def test_evaluate_stochastic_is_mixture_of_actions():
    # one stage: V(s) = sum_a pi(a|s) R(s, a)
    P = np.full((2, 2, 2), 0.5)
    R = np.array([[0.0, 1.0], [0.2, 0.4]])
    pi = np.array([[[0.25, 0.75], [0.5, 0.5]]])
    np.testing.assert_allclose(evaluate_policy(P, R, pi)[0], [0.75, 0.3], rtol=1e-15)


# -- discounted -----------------------------------------------------------------

@given(discounted_arrays(), st.sampled_from([1e-2, 1e-6]))
def test_vi_pi_and_linear_solve_agree(arrays, eps):
    P, R, gamma = arrays
    S = P.shape[0]
    pi_sol = policy_iteration(P, R, gamma)
    V_star = pi_sol.V
    # PI's V is the exact value of its policy, and that policy is Bellman-optimal
    np.testing.assert_allclose(V_star, evaluate_policy_discounted(P, R, gamma, pi_sol.policy),
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose(V_star, (R + gamma * P @ V_star).max(axis=1), rtol=0, atol=1e-10)
    # direct linear solve of the optimal policy's equations
    idx = np.arange(S)
    direct = np.linalg.solve(np.eye(S) - gamma * P[idx, pi_sol.policy], R[idx, pi_sol.policy])
    np.testing.assert_allclose(V_star, direct, rtol=0, atol=1e-10)
    vi = value_iteration(P, R, gamma, epsilon=eps)
    assert np.max(np.abs(vi.V - V_star)) <= vi.error + pi_sol.error
    assert vi.error <= eps
    # the greedy policy is within its certified policy_error of V*
    assert np.all(evaluate_policy_discounted(P, R, gamma, vi.policy)
                  >= V_star - vi.policy_error - 1e-10)


def test_discounted_solve_methods_agree():
    from theoryrl.envs import riverswim

    mdp = riverswim(6, gamma=0.95)
    a, b = solve(mdp), solve(mdp, method="vi", epsilon=1e-9)
    assert np.max(np.abs(a.V - b.V)) <= a.error + b.error <= 2e-9
    with pytest.raises(ValueError, match=r"method must be one of \['pi', 'mpi', 'vi'\]"):
        solve(mdp, method="lp")


# -- average reward ---------------------------------------------------------------

def _stationary(P_pi):
    S = P_pi.shape[0]
    M = np.vstack([P_pi.T - np.eye(S), np.ones((1, S))])
    rhs = np.zeros(S + 1)
    rhs[-1] = 1
    return np.linalg.lstsq(M, rhs, rcond=None)[0]


@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_rvi_gain_matches_stationary_distribution(S, A, seed):
    rng = np.random.default_rng(seed)
    P = random_kernel(rng, (S, A), S, sparse=False)  # all entries > 0: ergodic
    R = rng.random((S, A))
    sol = relative_value_iteration(P, R, epsilon=1e-10)
    idx = np.arange(S)
    gains = []
    for pol in itertools.product(range(A), repeat=S):  # every deterministic policy
        pol = np.array(pol)
        gains.append(_stationary(P[idx, pol]) @ R[idx, pol])
    assert sol.gain == pytest.approx(max(gains), abs=1e-9)
    mu = _stationary(P[idx, sol.policy])
    assert mu @ R[idx, sol.policy] == pytest.approx(max(gains), abs=1e-9)
    # the optimality equation g + h = max_a (R + P h)
    np.testing.assert_allclose(sol.gain + sol.bias, (R + P @ sol.bias).max(axis=1),
                               rtol=0, atol=1e-7)
    assert sol.span == pytest.approx(span(sol.bias), abs=0)


@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_policy_gain_bias_equations(S, seed):
    rng = np.random.default_rng(seed)
    P_pi = random_kernel(rng, (S,), S)  # sparse rows: multichain and periodic chains occur
    if S > 2 and seed % 3 == 0:
        P_pi[0] = np.eye(S)[1]
        P_pi[1] = np.eye(S)[0]  # a periodic 2-cycle
    r = rng.random(S)
    g, h = policy_gain_bias(P_pi, r)
    np.testing.assert_allclose(g + h, r + P_pi @ h, rtol=0, atol=1e-9)
    np.testing.assert_allclose(P_pi @ g, g, rtol=0, atol=1e-9)
    # Cesaro limit check: the gain is the long-run average of P^n r
    n = 4000
    avg, x = np.zeros(S), r.copy()
    for _ in range(n):
        avg += x
        x = P_pi @ x
    np.testing.assert_allclose(g, avg / n, rtol=0, atol=5e-3)


def _two_absorbing():
    P = np.zeros((3, 2, 3))
    P[0, 0, 1] = P[0, 1, 2] = 1.0
    P[1, :, 1] = P[2, :, 2] = 1.0
    R = np.zeros((3, 2))
    R[1] = 1.0
    R[2] = 0.5
    return P, R


def test_rvi_rejects_non_weakly_communicating():
    P, R = _two_absorbing()
    assert not is_weakly_communicating(P)
    assert [c.tolist() for c in maximal_end_components(P)] == [[1], [2]]
    with pytest.raises(ValueError, match=r"P is not weakly communicating: 2 maximal end comp"):
        relative_value_iteration(P, R)
    with pytest.raises(ValueError, match=r"not weakly communicating"):
        TabularMDP(P, R).solve()


def test_rvi_convergence_error_and_tau():
    from theoryrl.envs import riverswim

    mdp = riverswim(6)
    with pytest.raises(ConvergenceError, match=r"relative value iteration did not reach"):
        relative_value_iteration(mdp.P, mdp.R, epsilon=1e-12, max_iter=2)
    with pytest.raises(ValueError, match=r"tau must be in \(0, 1\]"):
        relative_value_iteration(mdp.P, mdp.R, tau=0.0)


def test_weakly_communicating_with_transient_states():
    P, _ = _two_absorbing()
    P[2, :, 2] = 0.0
    P[2, :, 1] = 1.0  # state 2 now drains into 1: one closed class plus transients
    assert is_weakly_communicating(P)
    assert span(np.array([1.0, -2.0, 0.5])) == 3.0


@pytest.mark.parametrize("stage_dependent", [False, True])
def test_both_kernel_paths_bit_identical(stage_dependent):
    # S * A = 33 rows: full blocks of 8 plus a remainder; H >= 4 takes the transposed path
    rng = np.random.default_rng(7)
    S, A, H = 11, 3, 5
    P = random_kernel(rng, ((H,) if stage_dependent else ()) + (S, A), S)
    R = rng.random((S, A))
    bonus = rng.random((S, A))
    sol = backward_induction(P, R, H, bonus=bonus)
    V, Q = plain_loop_backward_induction(P, R, H, bonus)
    np.testing.assert_array_equal(sol.Q, Q)
    np.testing.assert_array_equal(sol.V, V)


@pytest.mark.parametrize("with_terminal", [False, True])
def test_zero_stages_and_terminal_values_bit_identical(with_terminal):
    # rewards vanish in the last two stages, so (without terminal values) V_{H-1} and
    # V_{H-2} are zero and their products are skipped; terminal values leave none zero
    rng = np.random.default_rng(11)
    S, A, H = 10, 3, 6
    P = random_kernel(rng, (S, A), S)
    R = rng.random((H, S, A))
    R[H - 2:] = 0.0
    bonus = np.zeros((S, A))
    terminal = rng.standard_normal(S) if with_terminal else None
    sol = backward_induction(P, R, H, terminal=terminal)
    V, Q = plain_loop_backward_induction(P, R, H, bonus, terminal)
    np.testing.assert_array_equal(sol.Q, Q)
    np.testing.assert_array_equal(sol.V, V)
    assert with_terminal or not sol.V[H - 2:].any()


def test_large_stationary_kernel_keeps_textbook_sums():
    # S * A * S = 135200 >= 2**17: a stationary kernel stays in the compiled loop (BLAS
    # would sum in another order and differ in the last bits somewhere)
    rng = np.random.default_rng(12)
    S, A, H = 52, 50, 3
    P = random_kernel(rng, (S, A), S, sparse=False)
    R = rng.random((S, A))
    bonus = rng.random((S, A))
    sol = backward_induction(P, R, H, bonus=bonus)
    V, Q = plain_loop_backward_induction(P, R, H, bonus)
    np.testing.assert_array_equal(sol.Q, Q)
    np.testing.assert_array_equal(sol.V, V)


def test_large_stage_dependent_kernel_matches_reference():
    # a stage-dependent kernel of S * A * S >= 2**17 entries a stage goes to BLAS
    rng = np.random.default_rng(13)
    S, A, H = 52, 50, 3
    P = random_kernel(rng, (H, S, A), S, sparse=False)
    R = rng.random((H, S, A))
    term = rng.random(S)
    sol = backward_induction(P, R, H, terminal=term)
    V, Q = reference_backward_induction(P, R, H, terminal=term)
    np.testing.assert_allclose(sol.Q, Q, rtol=1e-12, atol=0)
    np.testing.assert_allclose(sol.V, V, rtol=1e-12, atol=0)


@pytest.mark.parametrize("H", [1, 2, 5])
def test_entries_of_p_checked_even_when_no_product_is_computed(H):
    # zero rewards keep every V_{h+1} zero, so no stage computes a product; P's bad
    # entry must still be found
    P = np.full((4, 3, 4), 0.25)
    P[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"P\[1, 2, 3\] is not finite"):
        backward_induction(P, np.zeros((4, 3)), H)
