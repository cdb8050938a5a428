"""Compiled kernels for episodic tabular POMDPs (no validation, no RNG).

Every kernel takes float64 / int64 C-contiguous arrays and fills an ``out``
array allocated by the caller.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def forward_loglik(mu, T, E, obs, act, out):
    """Fill out (M, B) with log P_m(o_{1:H} | do a_{1:H-1}) for every model m.

    mu (M, S); T (M, H-1, A, S, S) [.., a, s, s']; E (M, H, S, O) [.., s, o];
    obs, act (B, H) int64. Forward recursion with per-step normalisation, so
    long horizons do not underflow; a zero-probability trajectory gives -inf.
    """
    M = mu.shape[0]
    S = mu.shape[1]
    B = obs.shape[0]
    H = obs.shape[1]
    alpha = np.empty(S)
    nxt = np.empty(S)
    for m in range(M):
        for b in range(B):
            ll = 0.0
            o = obs[b, 0]
            tot = 0.0
            for s in range(S):
                alpha[s] = mu[m, s] * E[m, 0, s, o]
                tot += alpha[s]
            if tot <= 0.0:
                out[m, b] = -np.inf
                continue
            ll += np.log(tot)
            for s in range(S):
                alpha[s] /= tot
            dead = False
            for h in range(1, H):
                a = act[b, h - 1]
                o = obs[b, h]
                tot = 0.0
                for t in range(S):
                    acc = 0.0
                    for s in range(S):
                        acc += alpha[s] * T[m, h - 1, a, s, t]
                    nxt[t] = acc * E[m, h, t, o]
                    tot += nxt[t]
                if tot <= 0.0:
                    dead = True
                    break
                ll += np.log(tot)
                for t in range(S):
                    alpha[t] = nxt[t] / tot
            out[m, b] = -np.inf if dead else ll


@njit(cache=True)
def tensor_loglik(logP, idx, out):
    """Fill out (M,) with sum_b logP[m, idx[b]] (class log-likelihood of a batch)."""
    M = logP.shape[0]
    B = idx.shape[0]
    for m in range(M):
        acc = 0.0
        for b in range(B):
            acc += logP[m, idx[b]]
        out[m] = acc
