"""Compiled inverse-CDF draw shared by every simulator (uniforms come from the caller)."""

from numba import njit


@njit(cache=True)
def draw(cdf, u):
    # first index whose cumulative mass exceeds u; the last index absorbs rounding
    n = cdf.shape[0]
    for i in range(n):
        if u < cdf[i]:
            return i
    return n - 1
