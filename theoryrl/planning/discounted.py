"""Discounted planning: value iteration, policy iteration, exact evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels

__all__ = ["DiscountedSolution", "ConvergenceError", "value_iteration", "policy_iteration",
           "evaluate_policy_discounted"]


class ConvergenceError(RuntimeError):
    """An iterative solver did not reach its stated accuracy within its budget."""


@dataclass(frozen=True)
class DiscountedSolution:
    """``V`` (S,), ``Q`` (S, A), greedy ``policy`` (S,), sweeps used, and the
    guaranteed sup-norm error bound ``error`` of ``V`` against ``V*``."""

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    iterations: int
    error: float


def _policy_matrices(P, R, policy):
    S = P.shape[0]
    if policy.ndim == 1:
        idx = np.arange(S)
        return P[idx, policy], R[idx, policy]
    return np.einsum("sa,sat->st", policy, P), np.einsum("sa,sa->s", policy, R)


def evaluate_policy_discounted(P: np.ndarray, R: np.ndarray, gamma: float,
                               policy: np.ndarray) -> np.ndarray:
    r"""Exact :math:`V^\pi = (I - \gamma P_\pi)^{-1} r_\pi` by a direct linear solve.

    ``policy`` is an int array (S,) or a float array (S, A), already validated.
    """
    P_pi, r_pi = _policy_matrices(P, R, policy)
    return np.linalg.solve(np.eye(P.shape[0]) - gamma * P_pi, r_pi)


def value_iteration(P: np.ndarray, R: np.ndarray, gamma: float, epsilon: float = 1e-8,
                    max_iter: int = 1_000_000) -> DiscountedSolution:
    r"""Value iteration with a stopping rule that guarantees accuracy ``epsilon``.

    Iterates :math:`V_{n+1} = \max_a [R + \gamma P V_n]` until
    :math:`\|V_{n+1} - V_n\|_\infty < \epsilon (1-\gamma) / (2\gamma)`; then the
    greedy policy is :math:`\epsilon`-optimal and
    :math:`\|V_{n+1} - V^*\|_\infty < \epsilon / 2` (Puterman 1994, Thm 6.3.1).
    The returned ``V`` is the *exact* value of the greedy policy (a linear
    solve), not the last iterate, so it is never shifted by the iteration's
    residual (pymdptoolbox returns the iterate) and satisfies
    :math:`0 \le V^* - V \le \epsilon` entrywise.

    Raises
    ------
    ConvergenceError
        If ``max_iter`` sweeps do not meet the stopping rule.
    """
    S, A = R.shape
    V = np.zeros(S)
    Q = np.empty((S, A))
    tol = epsilon * (1 - gamma) / (2 * gamma) if gamma > 0 else np.inf
    it = _kernels.value_iteration(np.ascontiguousarray(P), np.ascontiguousarray(R),
                                  float(gamma), V, Q, tol, int(max_iter))
    if it < 0:
        raise ConvergenceError(f"value iteration did not reach epsilon={epsilon} in "
                               f"{max_iter} sweeps (gamma={gamma})")
    pi = np.argmax(Q, axis=1)
    Vpi = evaluate_policy_discounted(P, R, gamma, pi)
    Qpi = R + gamma * P @ Vpi
    return DiscountedSolution(Vpi, Qpi, pi, it, float(epsilon))


def policy_iteration(P: np.ndarray, R: np.ndarray, gamma: float,
                     max_iter: int = 10_000) -> DiscountedSolution:
    r"""Howard's policy iteration with exact evaluation; terminates in finitely
    many steps at an optimal policy (Puterman 1994, Thm 6.4.2).

    Improvement switches an action only when it gains more than
    ``1e-12 * (1 + |V|)`` so floating-point ties cannot make it cycle.
    """
    S = P.shape[0]
    pi = np.zeros(S, dtype=np.int64)
    for it in range(1, max_iter + 1):
        V = evaluate_policy_discounted(P, R, gamma, pi)
        Q = R + gamma * P @ V
        cur = Q[np.arange(S), pi]
        best = np.argmax(Q, axis=1)
        improve = Q[np.arange(S), best] > cur + 1e-12 * (1 + np.abs(cur))
        if not improve.any():
            return DiscountedSolution(V, Q, pi, it, 0.0)
        pi = np.where(improve, best, pi)
    raise ConvergenceError(f"policy iteration did not stop in {max_iter} iterations")
