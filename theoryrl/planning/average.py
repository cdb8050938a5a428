"""Average-reward planning: gain, bias and span, structure tests, RVI."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from . import _kernels
from .discounted import ConvergenceError, PrecisionError

__all__ = ["AverageSolution", "relative_value_iteration", "policy_gain_bias",
           "maximal_end_components", "is_weakly_communicating", "span"]


@dataclass(frozen=True)
class AverageSolution:
    r"""Solution of the average-reward optimality equation, from :func:`relative_value_iteration`.

    The pair :math:`(g, h)` solves :math:`g + h(s) = \max_a [R(s,a) + P(\cdot|s,a)^\top h]`
    up to the solver's tolerance.

    Attributes
    ----------
    gain : float
        Optimal gain :math:`g^*`.
    bias : ndarray, shape (S,)
        A bias :math:`h` (defined up to a constant), normalised to ``bias[0] = 0``.
    span : float
        :math:`\operatorname{sp}(h)`.
    policy : ndarray of int, shape (S,)
        A gain-optimal deterministic policy, greedy in ``Q``.
    Q : ndarray, shape (S, A)
        :math:`Q = R + P h` of the untransformed Bellman equation.
    iterations : int
        Sweeps used.
    """

    gain: float
    bias: np.ndarray
    span: float
    policy: np.ndarray
    Q: np.ndarray
    iterations: int


def span(v: np.ndarray) -> float:
    r"""Span seminorm :math:`\operatorname{sp}(v) = \max_s v(s) - \min_s v(s)`.

    Parameters
    ----------
    v : array_like
        Values, any shape (all entries count).

    Returns
    -------
    float
        The largest entry minus the smallest.
    """
    return float(np.max(v) - np.min(v))


def maximal_end_components(P: np.ndarray, atol: float = 0.0) -> list[np.ndarray]:
    r"""Maximal end components of the MDP graph (de Alfaro 1997).

    An end component is a set of states :math:`C` with a non-empty set of
    actions per state whose successors stay in :math:`C`, strongly connected
    under those actions. The standard refinement removes actions leaving their
    strongly connected component until nothing changes. Transitions with
    probability ``<= atol`` are treated as absent.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition kernel; only its support is used.
    atol : float, default 0.0
        Probabilities at or below ``atol`` count as absent transitions.

    Returns
    -------
    list of ndarray of int
        The maximal end components, each a sorted array of states, ordered
        by their smallest state. States in none of them are transient under
        every stationary policy.
    """
    S, A, _ = P.shape
    support = P > atol
    allowed = np.ones((S, A), dtype=bool)
    alive = np.ones(S, dtype=bool)
    while True:
        adj = np.zeros((S, S), dtype=bool)
        for a in range(A):
            adj |= support[:, a, :] & allowed[:, a][:, None]
        adj &= alive[:, None] & alive[None, :]
        _, labels = connected_components(csr_matrix(adj), directed=True, connection="strong")
        # an action stays only if all its successors are alive and in the same SCC
        same = labels[:, None] == labels[None, :]
        changed = False
        for a in range(A):
            ok = allowed[:, a] & ~np.any(support[:, a, :] & ~(same & alive[None, :]), axis=1)
            if np.any(ok != allowed[:, a]):
                changed = True
            allowed[:, a] = ok
        dead = alive & ~allowed.any(axis=1)
        if dead.any():
            alive &= ~dead
            allowed[dead] = False
            changed = True
        if not changed:
            break
    comps = [np.flatnonzero((labels == lab) & alive) for lab in np.unique(labels[alive])]
    return sorted((c for c in comps if c.size), key=lambda c: int(c[0]))


def is_weakly_communicating(P: np.ndarray) -> bool:
    r"""Whether the MDP is weakly communicating (Puterman 1994, Sec. 8.3.1).

    Every recurrent class of every stationary policy lies in an end component,
    so states outside all end components are transient under every policy.
    The MDP is weakly communicating exactly when there is one maximal end
    component: it is then the closed communicating set, and the rest is
    transient. Two or more give policies whose recurrent classes cannot reach
    each other, and then the optimal gain can depend on the start state.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition kernel; only its support (entries ``> 0``) is used.

    Returns
    -------
    bool
        True when :func:`maximal_end_components` finds exactly one component.
    """
    return len(maximal_end_components(P)) == 1


def policy_gain_bias(P_pi: np.ndarray, r_pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact gain :math:`g = P^* r` and bias :math:`h = D r` of a Markov chain.

    :math:`P^*` is the Cesaro limit, built from the recurrent classes (closed
    strongly connected components), their stationary distributions and the
    absorption probabilities of transient states; the deviation matrix is
    :math:`D = (I - P + P^*)^{-1} (I - P^*)` (Puterman 1994, Thm A.7), so
    :math:`g + h = r + P h` and :math:`P^* h = 0`. Works for multichain
    and periodic chains.

    Parameters
    ----------
    P_pi : ndarray, shape (S, S)
        Row-stochastic transition matrix of the chain (a policy plugged in).
    r_pi : ndarray, shape (S,)
        Reward of each state under the policy.

    Returns
    -------
    gain : ndarray, shape (S,)
        :math:`g = P^* r`, the long-run average reward from each start state.
    bias : ndarray, shape (S,)
        :math:`h = D r`, the bias normalised by :math:`P^* h = 0`.
    """
    S = P_pi.shape[0]
    adj = csr_matrix(P_pi > 0)
    n, labels = connected_components(adj, directed=True, connection="strong")
    Pstar = np.zeros((S, S))
    recurrent = np.zeros(S, dtype=bool)
    for c in range(n):
        idx = np.flatnonzero(labels == c)
        if P_pi[np.ix_(idx, idx)].sum(axis=1).min() < 1 - 1e-12:
            continue  # mass leaves the class: transient
        sub = P_pi[np.ix_(idx, idx)]
        m = idx.size
        M = np.vstack([(sub.T - np.eye(m)), np.ones((1, m))])
        rhs = np.zeros(m + 1)
        rhs[-1] = 1
        mu = np.linalg.lstsq(M, rhs, rcond=None)[0]
        Pstar[np.ix_(idx, idx)] = mu[None, :]
        recurrent[idx] = True
    trans = np.flatnonzero(~recurrent)
    if trans.size:
        rec = np.flatnonzero(recurrent)
        Ptt = P_pi[np.ix_(trans, trans)]
        Ptr = P_pi[np.ix_(trans, rec)]
        # absorption: X = Ptt X + Ptr Pstar[rec]  ->  (I - Ptt) X = Ptr Pstar[rec]
        Pstar[trans] = 0.0
        Pstar[np.ix_(trans, np.arange(S))] = np.linalg.solve(
            np.eye(trans.size) - Ptt, Ptr @ Pstar[rec])
    gain = Pstar @ r_pi
    D = np.linalg.solve(np.eye(S) - P_pi + Pstar, np.eye(S) - Pstar)
    return gain, D @ r_pi


def relative_value_iteration(P: np.ndarray, R: np.ndarray, epsilon: float = 1e-8,
                             tau: float = 0.5, max_iter: int = 1_000_000,
                             check_structure: bool = True) -> AverageSolution:
    r"""Optimal gain, bias and span by relative value iteration.

    Runs RVI on the aperiodicity transform :math:`\tilde P = \tau P + (1-\tau) I`
    (same gain, bias :math:`h = \tau \tilde h`; Puterman 1994, Sec. 8.5.4),
    stopping when :math:`\operatorname{sp}(\tilde T v - v) < \epsilon`, at which
    point :math:`\min(\tilde T v - v) \le g^* \le \max(\tilde T v - v)`
    (Puterman Thm 8.5.5); the returned gain is the midpoint, within
    ``epsilon / 2`` of :math:`g^*`.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition kernel.
    R : ndarray, shape (S, A)
        Mean rewards.
    epsilon : float, default 1e-8
        Stop when the span of the last increment is below ``epsilon``.
    tau : float, default 0.5
        Aperiodicity weight :math:`\tau \in (0, 1]` (``1``: plain RVI, which
        may cycle on periodic chains).
    max_iter : int, default 1000000
        Largest number of sweeps.
    check_structure : bool, default True
        First check that the MDP is weakly communicating
        (:func:`maximal_end_components`).

    Returns
    -------
    AverageSolution
        Gain (midpoint of the final bounds), bias with ``bias[0] = 0``, its
        span, a greedy policy, ``Q = R + P h`` and the sweeps used.

    Raises
    ------
    ValueError
        If ``check_structure`` and the MDP is not weakly communicating (then
        the optimal gain may depend on the start state and no scalar answer is
        right).
    ConvergenceError
        If ``max_iter`` sweeps do not reach ``epsilon``.
    PrecisionError
        If ``epsilon`` is below the resolution of double precision at the scale
        of the rewards (checked before any sweep).
    """
    if not 0 < tau <= 1:
        raise ValueError(f"tau must be in (0, 1], got {tau}")
    # The increments are differences of values of the size of the rewards: a span
    # below a few units in their last place is rounding noise, never reached.
    floor = 4.0 * np.finfo(float).eps * max(1.0, float(np.abs(R).max(initial=0.0)))
    if not epsilon >= floor:
        raise PrecisionError(f"epsilon={epsilon:.3g} is below the resolution of double "
                             f"precision for these rewards; use epsilon >= {floor:.3g}")
    if check_structure:
        mecs = maximal_end_components(P)
        if len(mecs) != 1:
            raise ValueError(
                f"P is not weakly communicating: {len(mecs)} maximal end components "
                f"(first states {[int(c[0]) for c in mecs[:5]]}); the optimal gain "
                "may depend on the initial state")
    S, A = R.shape
    v = np.zeros(S)
    Q = np.empty((S, A))
    delta = np.empty(S)
    it = _kernels.relative_value_iteration(np.ascontiguousarray(P), np.ascontiguousarray(R),
                                           float(tau), v, Q, delta, float(epsilon),
                                           int(max_iter))
    if it < 0:
        raise ConvergenceError(
            f"relative value iteration did not reach span {epsilon} in {max_iter} sweeps "
            f"(last span {span(delta):.3g})")
    gain = 0.5 * (delta.max() + delta.min())
    bias = tau * v
    bias = bias - bias[0]
    Qh = R + P @ bias
    return AverageSolution(float(gain), bias, span(bias), np.argmax(Qh, axis=1), Qh, it)
