"""Reference solution: the worst case over an L1 ball."""

import numpy as np


def l1_worst_case(p_hat, v, beta):
    p = np.array(p_hat, dtype=float)
    v = np.asarray(v, dtype=float)
    i = int(np.argmin(v))
    delta = min(beta / 2, 1 - p[i])  # p[i] cannot exceed 1
    p[i] += delta
    left = delta
    for j in np.argsort(-v, kind="stable"):  # largest value first
        if j != i:
            take = min(left, p[j])
            p[j] -= take
            left -= take
    return float(p @ v), p
