"""The gain of a finite Markov chain without subtractive cancellation.

The classes come from the positivity pattern of the transition matrix alone
(exact), so a leak of 1e-12 makes a state transient however small it is. The
stationary distribution of each closed class is computed by the
Grassmann-Taksar-Heyman elimination (Grassmann, Taksar and Heyman 1985,
"Regenerative analysis and steady state distributions for Markov chains",
Operations Research 33(5)), and the absorption probabilities of the transient
states by the same state reduction, censoring the transient states one at a
time onto the closed classes. Both use additions, multiplications and
divisions of non-negative numbers only; the diagonal is never read (a row's
out-flow is the sum of its off-diagonal entries), so ``1 - (1 - 1e-12)`` is
never formed.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components


class ChainPrecisionError(ValueError):
    """The gain cannot be computed in double precision (an out-flow underflows)."""


def _gth_stationary(A: np.ndarray) -> np.ndarray:
    """Stationary distribution of an irreducible stochastic matrix ``A`` (m, m)."""
    A = A.astype(np.float64, copy=True)
    m = A.shape[0]
    np.fill_diagonal(A, 0.0)
    for n in range(m - 1, 0, -1):
        s = A[n, :n].sum()
        if not s > 0.0:
            raise ChainPrecisionError("an out-flow of a recurrent class underflows to 0")
        A[:n, n] /= s
        A[:n, :n] += np.outer(A[:n, n], A[n, :n])
    x = np.zeros(m)
    x[0] = 1.0
    for n in range(1, m):
        x[n] = x[:n] @ A[:n, n]
    return x / x.sum()


def _absorption(M: np.ndarray) -> np.ndarray:
    """Absorption probabilities ``(T, C)`` from ``M = [P_tt | P_t,class]`` by state reduction."""
    M = M.astype(np.float64, copy=True)
    T = M.shape[0]
    idx = np.arange(T)
    M[idx, idx] = 0.0
    out = np.empty(T)
    for k in range(T - 1, -1, -1):
        out[k] = s = M[k, :k].sum() + M[k, T:].sum()
        if not s > 0.0:
            raise ChainPrecisionError("the out-flow of a transient state underflows to 0")
        if k:
            w = M[:k, k] / s
            M[:k, :k] += np.outer(w, M[k, :k])
            M[:k, T:] += np.outer(w, M[k, T:])
            M[:k, k] = 0.0
    B = np.zeros((T, M.shape[1] - T))
    for k in range(T):
        B[k] = (M[k, :k] @ B[:k] + M[k, T:]) / out[k]
    return B


def chain_gain(P_pi: np.ndarray, r_pi: np.ndarray, adj: np.ndarray) -> np.ndarray:
    """Gain ``(S,)`` of the chain ``P_pi`` with rewards ``r_pi``; ``adj`` its exact pattern.

    ``adj[s, t]`` is true exactly when the chain can move from ``s`` to ``t``
    (computed from the inputs' positivity, not from ``P_pi``, whose products
    may underflow).

    Raises
    ------
    ChainPrecisionError
        If a possible move has probability 0 in double precision, or an
        out-flow underflows: the gain is then not representable exactly.
    """
    S = P_pi.shape[0]
    if np.any(adj & ~(P_pi > 0)):
        raise ChainPrecisionError("a possible transition has a probability that underflows "
                                  "to 0 in double precision")
    n, labels = connected_components(csr_matrix(adj), directed=True, connection="strong")
    gain = np.zeros(S)
    closed = np.zeros(S, dtype=bool)
    class_gain = []
    class_of = np.full(S, -1)
    for c in range(n):
        idx = np.flatnonzero(labels == c)
        if adj[np.ix_(idx, np.flatnonzero(labels != c))].any():
            continue  # a move leaves the class: transient
        mu = _gth_stationary(P_pi[np.ix_(idx, idx)])
        g = float(mu @ r_pi[idx])
        gain[idx] = g
        closed[idx] = True
        class_of[idx] = len(class_gain)
        class_gain.append(g)
    trans = np.flatnonzero(~closed)
    if trans.size:
        rec_cols = np.zeros((S, len(class_gain)))
        for k in range(len(class_gain)):
            rec_cols[:, k] = P_pi[:, class_of == k].sum(axis=1)
        M = np.hstack([P_pi[np.ix_(trans, trans)], rec_cols[trans]])
        B = _absorption(M)
        gain[trans] = B @ np.asarray(class_gain)
    return gain
