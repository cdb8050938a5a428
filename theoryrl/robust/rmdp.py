r"""Robust dynamic programming on (s, a)-rectangular uncertainty sets.

With rewards :math:`r(s, a)`, discount :math:`\gamma` and a rectangular set
:math:`\mathcal T`, the robust Bellman operator

.. math::

    (L V)(s) = \max_a \Big\{ r(s, a) + \gamma \min_{p \in \mathcal P_{s,a}}
    p^\top V \Big\}

is a :math:`\gamma`-contraction whose fixed point is the robust value
:math:`V^*_{\mathcal T}`, attained by a deterministic stationary policy
(Iyengar 2005, Thm 3.2; Nilim and El Ghaoui 2005, Thm 3). For a stationary
policy the dynamic adversary's best response is a static kernel (Iyengar 2005,
Lemma 3.3), so :func:`robust_policy_evaluation` returns that kernel together
with the exact value of the policy under it.

Every result carries a certified sup-norm error bound; a solver that cannot
reach its tolerance raises :class:`~theoryrl.planning.ConvergenceError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, check_int, check_open_unit, check_positive
from ..planning import ConvergenceError, evaluate_policy_discounted

__all__ = ["RobustEvaluation", "RobustSolution", "robust_bellman",
           "robust_policy_evaluation", "robust_value_iteration", "static_value"]


@dataclass(frozen=True)
class RobustSolution:
    r"""Result of :func:`robust_value_iteration`.

    Attributes
    ----------
    V : ndarray, shape (S,)
        Robust values, within ``error`` of :math:`V^*_{\mathcal T}` in sup norm.
    Q : ndarray, shape (S, A)
        :math:`r + \gamma \sigma(V_{\text{prev}})`, the last robust backup.
    policy : ndarray of int, shape (S,)
        Greedy in ``Q`` (ties: the lowest action).
    worst : ndarray, shape (S, A, S)
        The adversary's kernel in the last backup.
    iterations : int
        Backups performed.
    error : float
        Certified bound on :math:`\|V - V^*_{\mathcal T}\|_\infty`.
    """

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray
    worst: np.ndarray
    iterations: int
    error: float


@dataclass(frozen=True)
class RobustEvaluation:
    r"""Result of :func:`robust_policy_evaluation`.

    Attributes
    ----------
    V : ndarray, shape (S,)
        :math:`V^\pi_{T}` for the static kernel ``worst``, computed exactly;
        :math:`0 \le V - V^\pi_{\mathcal T} \le` ``error``.
    worst : ndarray, shape (S, A, S)
        A static worst-case kernel: on the pairs the policy plays, the kernel
        whose exact value is ``V``; on the others, the inner minimiser at ``V``.
    iterations : int
        Improvement rounds of the adversary.
    error : float
        Certified bound on :math:`V - V^\pi_{\mathcal T}` (sup norm).
    """

    V: np.ndarray
    worst: np.ndarray
    iterations: int
    error: float


def _check_problem(uset, R, gamma) -> tuple[np.ndarray, float]:
    if not hasattr(uset, "worst") or not hasattr(uset, "shape"):
        raise TypeError("uset must be a rectangular uncertainty set (FiniteSet, L1Ball or "
                        f"KLBall), got {type(uset).__name__}")
    R = as_float_array(R, "R")
    if R.shape != tuple(uset.shape):
        raise ValueError(f"R must have shape {tuple(uset.shape)} (S, A), got {R.shape}")
    return R, check_open_unit(gamma, "gamma")


def robust_bellman(uset, R: np.ndarray, gamma: float, V: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, float]:
    r"""One robust backup :math:`Q = r + \gamma \sigma(V)`.

    Parameters
    ----------
    uset : FiniteSet, L1Ball or KLBall
        The rectangular uncertainty set.
    R : ndarray, shape (S, A)
        Rewards.
    gamma : float
        Discount factor in (0, 1).
    V : ndarray, shape (S,)
        Values of the next states.

    Returns
    -------
    Q : ndarray, shape (S, A)
        Robust action values.
    worst : ndarray, shape (S, A, S)
        The minimising kernel.
    error : float
        Bound on :math:`|Q - Q_{\text{exact}}|` from the inner solver
        (``gamma`` times its certified gap; 0 for exact inner problems).
    """
    vals, p, err = uset.worst(V)
    return R + gamma * vals, p, gamma * err


def robust_value_iteration(uset, R, gamma: float, epsilon: float = 1e-10,
                           max_iter: int = 1_000_000) -> RobustSolution:
    r"""Robust value iteration (Iyengar 2005, Sec. 4; Nilim and El Ghaoui 2005, Sec. 4).

    Iterates :math:`V_{n+1} = L V_n` from :math:`V_0 = 0` and stops as soon as
    the certified bound

    .. math::

        \|V_{n+1} - V^*_{\mathcal T}\|_\infty \le
        \frac{\gamma \|V_{n+1} - V_n\|_\infty + e_{\text{inner}}}{1 - \gamma}

    is at most ``epsilon`` (:math:`e_{\text{inner}}` bounds the inner solver's
    error on the backup).

    Parameters
    ----------
    uset : FiniteSet, L1Ball or KLBall
        The rectangular uncertainty set.
    R : array_like, shape (S, A)
        Rewards (any finite values).
    gamma : float
        Discount factor in (0, 1).
    epsilon : float, optional
        Target sup-norm error of ``V``.
    max_iter : int, optional
        Budget of backups; :class:`~theoryrl.planning.ConvergenceError` past it.

    Returns
    -------
    RobustSolution
        Values, Q, greedy policy, the adversary's last kernel, the number of
        backups and the certified error.
    """
    R, gamma = _check_problem(uset, R, gamma)
    epsilon = check_positive(epsilon, "epsilon")
    max_iter = check_int(max_iter, "max_iter", low=1)
    V = np.zeros(R.shape[0])
    for n in range(1, max_iter + 1):
        # values only: the adversary's kernel is built once, for the last backup
        vals, err_v = uset.values(V)
        Q, err_in = R + gamma * vals, gamma * err_v
        Vn = Q.max(axis=1)
        bound = (gamma * float(np.abs(Vn - V).max()) + err_in) / (1.0 - gamma)
        if bound <= epsilon:
            worst = uset.worst(V)[1]
            return RobustSolution(Vn, Q, np.argmax(Q, axis=1), worst, n, bound)
        if err_in / (1.0 - gamma) > epsilon:
            raise ConvergenceError(f"the inner solver's error {err_in:.3g} alone exceeds "
                                   f"epsilon={epsilon:g} times (1 - gamma)")
        V = Vn
    raise ConvergenceError(f"robust value iteration did not reach epsilon={epsilon:g} in "
                           f"{max_iter} backups (last bound {bound:.3g})")


def static_value(P: np.ndarray, R: np.ndarray, gamma: float, policy: np.ndarray) -> np.ndarray:
    r"""Exact :math:`V^\pi_T = (I - \gamma P^\pi_T)^{-1} r^\pi` of a static kernel.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        The static kernel :math:`T`.
    R : ndarray, shape (S, A)
        Rewards.
    gamma : float
        Discount factor in (0, 1).
    policy : ndarray of int, shape (S,)
        A deterministic stationary policy.

    Returns
    -------
    ndarray, shape (S,)
        :math:`V^\pi_T`.
    """
    return evaluate_policy_discounted(P, R, gamma, policy)


def _check_policy(policy, S: int, A: int) -> np.ndarray:
    pi = np.asarray(policy)
    if pi.shape != (S,) or not np.issubdtype(pi.dtype, np.integer):
        raise ValueError(f"policy must be an int array of shape ({S},), got "
                         f"{pi.dtype} {pi.shape}")
    if (pi < 0).any() or (pi >= A).any():
        s = int(np.argmax((pi < 0) | (pi >= A)))
        raise ValueError(f"policy[{s}] must be an action in [0, {A}), got {int(pi[s])}")
    return pi.astype(np.int64)


def robust_policy_evaluation(uset, R, gamma: float, policy, start=None,
                             tol: float = 1e-12, max_iter: int = 10_000) -> RobustEvaluation:
    r"""Worst-case value of a stationary policy and the static kernel attaining it.

    The adversary facing a fixed policy :math:`\pi` solves an MDP that
    minimises; it is solved here by policy iteration on the adversary's side
    (Iyengar 2005, Lemma 3.3 makes its answer static): evaluate the current
    kernel :math:`T` exactly, replace, on the pairs :math:`(s, \pi(s))`, each
    row by the inner minimiser at :math:`V^\pi_T` where that lowers the
    backup, and stop when no row improves by more than ``tol``. Since
    :math:`T` is a member of the set, :math:`V^\pi_T \ge V^\pi_{\mathcal T}`,
    and the Bellman residual bounds the gap:

    .. math::

        0 \le V^\pi_T - V^\pi_{\mathcal T} \le
        \frac{\max_s \big(V^\pi_T(s) - r(s,\pi(s)) - \gamma\, \sigma_{s,\pi(s)}(V^\pi_T)\big)
        + e_{\text{inner}}}{1 - \gamma}.

    For finite sets and L1 balls the minimisers are vertices, so the rounds
    end after finitely many steps; for KL balls they converge geometrically.

    Parameters
    ----------
    uset : FiniteSet, L1Ball or KLBall
        The rectangular uncertainty set.
    R : array_like, shape (S, A)
        Rewards.
    gamma : float
        Discount factor in (0, 1).
    policy : array_like of int, shape (S,)
        A deterministic stationary policy.
    start : ndarray, shape (S, A, S), optional
        A member of the set to start from (default: the inner minimiser at
        :math:`V = r^\pi / (1 - \gamma)`).
    tol : float, optional
        Improvement threshold per round.
    max_iter : int, optional
        Budget of rounds.

    Returns
    -------
    RobustEvaluation
        The exact value under the static worst-case kernel, that kernel, the
        number of rounds and the certified error.
    """
    R, gamma = _check_problem(uset, R, gamma)
    S, A = R.shape
    pi = _check_policy(policy, S, A)
    idx = np.arange(S)
    if start is None:
        _, T, _ = uset.worst(np.zeros(S))
        T = T.copy()
    else:
        T = np.array(start, dtype=float)
    for n in range(1, max_iter + 1):
        V = static_value(T, R, gamma, pi)
        vals, Tn, err_in = uset.worst(V)
        backup = R[idx, pi] + gamma * vals[idx, pi]
        residual = V - backup  # >= -rounding: T itself is feasible
        better = residual > tol * (1.0 + np.abs(V))
        if not better.any():
            worst = Tn.copy()
            worst[idx, pi] = T[idx, pi]
            error = (max(float(residual.max()), 0.0) + gamma * err_in) / (1.0 - gamma)
            return RobustEvaluation(V, worst, n, error)
        T[idx[better], pi[better]] = Tn[idx[better], pi[better]]
    raise ConvergenceError(f"robust policy evaluation did not settle in {max_iter} rounds")
