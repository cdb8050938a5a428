"""``logsumexp`` without the per-call overhead of SciPy's array-API dispatch.

:func:`scipy.special.logsumexp` costs about a millisecond a call on small arrays,
which dominates the exact mirror-descent and policy-gradient computations that
call it thousands of times. :func:`logsumexp` here performs the same
floating-point operations as SciPy's (1.15 and later) on finite real input, so
its results are bit for bit the same; other input goes to SciPy.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp as _scipy_logsumexp

__all__ = ["logsumexp"]


def logsumexp(a, axis: int = -1, keepdims: bool = False):
    r""":math:`\log\sum_i e^{a_i}` along ``axis``.

    The largest entries are taken out of the sum (``log1p`` of the rest, scaled by
    their count ``m``, plus ``log m`` and the maximum), as SciPy does.

    Parameters
    ----------
    a : array_like
        Values; a float array with finite maxima takes the fast path.
    axis : int
        The axis summed over.
    keepdims : bool
        Keep ``axis`` with length 1.

    Returns
    -------
    numpy.ndarray or float
        As :func:`scipy.special.logsumexp` returns it.
    """
    x = np.asarray(a)
    if x.dtype.kind != "f" or x.ndim == 0 or x.shape[axis] == 0:
        return _scipy_logsumexp(a, axis=axis, keepdims=keepdims)
    top_value = np.max(x, axis=axis, keepdims=True)
    if not np.isfinite(top_value).all():
        return _scipy_logsumexp(a, axis=axis, keepdims=keepdims)
    top = x == top_value
    m = np.sum(top, axis=axis, keepdims=True, dtype=x.dtype)
    s = np.sum(np.exp(np.where(top, -np.inf, x) - top_value), axis=axis, keepdims=True)
    s = np.where(s == 0, s, s / m)
    out = np.log1p(s) + np.log(m) + top_value
    if not keepdims:
        out = np.squeeze(out, axis=axis)
    return out[()] if out.ndim == 0 else out
