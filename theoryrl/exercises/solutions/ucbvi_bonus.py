"""Reference solution: the UCBVI l1 bonus and optimistic backward induction."""

import math

import numpy as np


def l1_bonus(n, h, S, A, H, K, delta):
    n = np.asarray(n, dtype=float)
    iota = math.log(S * A * H * K / delta)
    safe = np.where(n > 0, n, 1.0)
    b = (H - h - 1) / 2 * np.sqrt(2 * (S * math.log(2) + iota) / safe)
    return np.where(n > 0, b, np.inf)


def optimistic_plan(N, R, H, K, delta):
    S, A = R.shape
    n = N.sum(axis=2)
    P_hat = N / np.where(n > 0, n, 1.0)[..., None]
    V = np.zeros((H + 1, S))
    Q = np.zeros((H, S, A))
    for h in range(H - 1, -1, -1):
        b = l1_bonus(n, h, S, A, H, K, delta)
        q = R + P_hat @ V[h + 1] + np.where(n > 0, b, 0.0)
        Q[h] = np.where(n > 0, np.minimum(q, H - h), H - h)
        V[h] = Q[h].max(axis=1)
    return V[:H], Q
