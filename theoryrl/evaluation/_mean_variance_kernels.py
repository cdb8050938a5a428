"""Compiled out-of-sample loop of :mod:`theoryrl.evaluation.mean_variance` (private):
arrays in, ``out`` filled in place, no RNG."""

from numba import njit


@njit(cache=True)
def _terminal_wealth(R, c, w, x0, out):
    """Deterministic feedback ``u = -c (x - w)`` over each row of ``R`` (n, K)."""
    n, K = R.shape
    for i in range(n):
        x = x0
        for k in range(K):
            x = x - c * (x - w) * R[i, k]
        out[i] = x

