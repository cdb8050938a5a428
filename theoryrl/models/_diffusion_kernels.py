"""Compiled path samplers for :mod:`theoryrl.models.diffusion` (private).

Arrays in, ``out`` filled, no RNG: the standard normals ``Z`` are drawn by the
caller's ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _gaussian_paths(x0, a, c, s, Z, out):
    """Exact linear-Gaussian transitions ``X[k+1] = a X[k] + c + s Z[k]``.

    x0 (n,), Z (n, K), out (n, K+1).
    """
    n, K = Z.shape
    for i in range(n):
        x = x0[i]
        out[i, 0] = x
        for k in range(K):
            x = a * x + c + s * Z[i, k]
            out[i, k + 1] = x


@njit(cache=True)
def _euler_paths(x0, dt, b0, b1, c0, c1, c2, Z, substeps, out):
    """Euler-Maruyama for ``dX = (b0 + b1 X) dt + sqrt(c0 + c1 X + c2 X^2) dW``.

    ``Z`` (n, K * substeps) are the fine-grid normals; the path is observed every
    ``substeps`` fine steps of size ``dt / substeps``. A negative variance (which
    the model's validation rules out on its state space) is floored at 0.
    """
    n = Z.shape[0]
    K = out.shape[1] - 1
    h = dt / substeps
    sh = np.sqrt(h)
    for i in range(n):
        x = x0[i]
        out[i, 0] = x
        j = 0
        for k in range(K):
            for _ in range(substeps):
                var = c0 + c1 * x + c2 * x * x
                if var < 0.0:
                    var = 0.0
                x = x + (b0 + b1 * x) * h + np.sqrt(var) * sh * Z[i, j]
                j += 1
            out[i, k + 1] = x
