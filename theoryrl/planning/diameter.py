r"""Diameter of a communicating MDP (Jaksch, Ortner, Auer 2010, Def. 1).

.. math::

    D = \max_{s \ne s'} \min_\pi \mathbb E^\pi[T(s' \mid s)],

the largest minimal expected hitting time. For each target :math:`s'` the
inner minimum is a stochastic-shortest-path problem,
:math:`h(s) = 1 + \min_a P(\cdot \mid s, a)^\top h`, :math:`h(s') = 0`, solved
by value iteration (monotone from 0) and polished by one exact policy
evaluation of the greedy policy (a linear solve). For communicating MDPs
:math:`\operatorname{sp}(h^*) \le D` (Bartlett & Tewari 2009).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .._validation import check_int, check_kernel
from . import _evi_kernels as K
from .discounted import ConvergenceError

__all__ = ["hitting_times", "diameter"]


def hitting_times(P, target: int, tol: float = 1e-12, max_iter: int = 10_000_000) -> np.ndarray:
    r"""Minimal expected hitting times :math:`\min_\pi \mathbb E^\pi[T(\text{target} \mid s)]`.

    Solves the stochastic-shortest-path equation
    :math:`h(s) = 1 + \min_a P(\cdot \mid s, a)^\top h`, :math:`h(\text{target}) = 0`
    by value iteration from 0, then polishes by an exact evaluation of the
    greedy policy. Actions that may leave the set of states that can reach
    ``target`` are excluded.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        Transition kernel.
    target : int
        Target state in ``[0, S)``.
    tol : float, default 1e-12
        Value iteration stops when a sweep changes no entry by more than
        ``tol`` times ``max(1, max h)``.
    max_iter : int, default 10000000
        Largest number of sweeps.

    Returns
    -------
    ndarray, shape (S,)
        ``h[s]``, the minimal expected number of steps from ``s`` to
        ``target`` (``0`` at ``target``, ``inf`` for states that cannot
        reach it).

    Raises
    ------
    ValueError
        If ``P`` is not an (S, A, S) kernel or ``target`` is out of range.
    ConvergenceError
        If value iteration does not converge in ``max_iter`` sweeps.
    """
    P = check_kernel(P, "P")
    if P.ndim != 3:
        raise ValueError(f"P must be (S, A, S), got shape {P.shape}")
    S = P.shape[0]
    target = check_int(target, "target", 0)
    if target >= S:
        raise ValueError(f"target must be in [0, {S}), got {target}")
    # states that can reach the target (reverse reachability on the support graph)
    adj = (P > 0).any(axis=1)
    reach = np.zeros(S, dtype=bool)
    reach[target] = True
    frontier = [target]
    while frontier:
        t = frontier.pop()
        for s in np.flatnonzero(adj[:, t] & ~reach):
            reach[s] = True
            frontier.append(int(s))
    h = np.full(S, np.inf)
    if S == 1:
        return np.zeros(1)
    if not reach.all():
        # restrict to the states that can reach the target; actions that may leave
        # the set have infinite cost and are dropped.
        idx = np.flatnonzero(reach)
        sub = P[np.ix_(idx, np.arange(P.shape[1]), idx)]
        ok = np.abs(sub.sum(-1) - 1) < 1e-12
        sub = np.where(ok[..., None], sub, 0.0)
        sub[~ok, np.searchsorted(idx, target)] = 0.0
        # forbidden actions: give them an absorbing self-loop far from the target
        for i, a in zip(*np.nonzero(~ok), strict=True):
            sub[i, a, i] = 1.0
        h[idx] = hitting_times(sub, int(np.searchsorted(idx, target)), tol, max_iter)
        return h
    hv = np.zeros(S)
    it = K.ssp_hitting_times(np.ascontiguousarray(P), target, hv, tol, max_iter)
    if it < 0:
        raise ConvergenceError(f"hitting-time iteration did not converge in {max_iter} sweeps")
    # polish: exact evaluation of the greedy policy (proper, since VI converged)
    pi = np.argmin(P @ hv, axis=1)
    Ppi = P[np.arange(S), pi]
    keep = np.arange(S) != target
    M = np.eye(S - 1) - Ppi[np.ix_(keep, keep)]
    try:
        exact = np.linalg.solve(M, np.ones(S - 1))
    except np.linalg.LinAlgError:
        exact = hv[keep]
    if np.all(np.isfinite(exact)) and np.all(exact >= 0) and \
            np.max(np.abs(exact - hv[keep])) <= 1e-6 * max(1.0, hv.max()):
        hv[keep] = exact
    hv[target] = 0.0
    return hv


def diameter(P, tol: float = 1e-12) -> float:
    r"""The diameter :math:`D` of the MDP with kernel ``P`` (module docstring).

    One stochastic-shortest-path solve (:func:`hitting_times`) per target state.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        Transition kernel.
    tol : float, default 1e-12
        Relative tolerance of each :func:`hitting_times` solve.

    Returns
    -------
    float
        :math:`D = \max_{s \ne s'} \min_\pi \mathbb E^\pi[T(s' \mid s)]`;
        ``inf`` when the MDP is not communicating, ``0`` for a single state.
    """
    P = check_kernel(P, "P")
    if P.ndim != 3:
        raise ValueError(f"P must be (S, A, S), got shape {P.shape}")
    S = P.shape[0]
    if S == 1:
        return 0.0
    n, _ = connected_components(csr_matrix((P > 0).any(axis=1)), directed=True,
                                connection="strong")
    if n != 1:
        return float("inf")
    return float(max(hitting_times(P, t, tol).max() for t in range(S)))
