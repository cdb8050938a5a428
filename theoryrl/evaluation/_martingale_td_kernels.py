"""Compiled kernels of :mod:`theoryrl.evaluation.martingale_td` (private).

Arrays in, ``out`` arrays accumulated in place, no RNG, no Python objects.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _td_statistics(phi, psi, r, h, dt, a_next, a_cur, disc_g, terminal, mlw, omega,
                   decays, A, b, S, Gm, gm, C, cd, scal, Gbuf, xi, c):
    """Accumulate the sufficient statistics of every estimator over n paths.

    phi (n, K+1, L) features, psi (n, K+1, M) test-function inputs, r (n, K)
    reward rates, h (n,) terminal payoffs. For each path and k = 0..K-1:

    c_k = a_next phi_{k+1} 1{k<K-1 or not terminal} - a_cur phi_k,
    d_k = r_k dt + 1{k=K-1, terminal} a_next h,
    xi^j_k = decays[j] xi^j_{k-1} + omega_k psi_k dt,
    G_k = r_k dt + disc_g G_{k+1}, G_K = h.

    Adds A[j] += xi c^T, b[j] += xi d, S[j] += xi xi^T dt, Gm += w phi phi^T,
    gm += w phi G, C += c c^T, cd += c d, scal += (sum w G^2, sum d^2).
    Gbuf (K,), xi (m, M), c (L,) are scratch.
    """
    n = phi.shape[0]
    K = r.shape[1]
    L = phi.shape[2]
    M = psi.shape[2]
    m = decays.shape[0]
    for i in range(n):
        G = h[i]
        for k in range(K - 1, -1, -1):
            G = r[i, k] * dt + disc_g * G
            Gbuf[k] = G
        xi[:, :] = 0.0
        for k in range(K):
            last = k == K - 1
            for l in range(L):
                nxt = 0.0 if (last and terminal) else a_next * phi[i, k + 1, l]
                c[l] = nxt - a_cur * phi[i, k, l]
            d = r[i, k] * dt
            if last and terminal:
                d += a_next * h[i]
            w = mlw[k]
            for l in range(L):
                wl = w * phi[i, k, l]
                gm[l] += wl * Gbuf[k]
                cd[l] += c[l] * d
                for l2 in range(L):
                    Gm[l, l2] += wl * phi[i, k, l2]
                    C[l, l2] += c[l] * c[l2]
            scal[0] += w * Gbuf[k] * Gbuf[k]
            scal[1] += d * d
            inc = omega[k] * dt
            for j in range(m):
                dj = decays[j]
                for a in range(M):
                    xi[j, a] = dj * xi[j, a] + inc * psi[i, k, a]
                for a in range(M):
                    xa = xi[j, a]
                    b[j, a] += xa * d
                    for l in range(L):
                        A[j, a, l] += xa * c[l]
                    for a2 in range(M):
                        S[j, a, a2] += xa * xi[j, a2] * dt


@njit(cache=True)
def _online_td(phi, r, h, dt, a_next, a_cur, terminal, omega, decay, inc_scale, alphas,
               theta, xi, c):
    """Online TD(lambda) over one minibatch episode of m paths, theta updated in place.

    At each step k the trace of every path is updated,
    xi_k = decay xi_{k-1} + inc_scale omega_k phi_k, the increment
    delta_k = c_k^T theta + d_k is formed with the current theta, and
    theta += alphas[k] * mean_n(xi_k delta_k). TD(0): decay 0, inc_scale 1.
    """
    m = phi.shape[0]
    K = r.shape[1]
    L = phi.shape[2]
    xi[:, :] = 0.0
    step = np.zeros(L)
    for k in range(K):
        last = k == K - 1
        step[:] = 0.0
        for i in range(m):
            delta = r[i, k] * dt
            if last and terminal:
                delta += a_next * h[i]
            for l in range(L):
                nxt = 0.0 if (last and terminal) else a_next * phi[i, k + 1, l]
                c[l] = nxt - a_cur * phi[i, k, l]
                delta += c[l] * theta[l]
            for l in range(L):
                xi[i, l] = decay * xi[i, l] + inc_scale * omega[k] * phi[i, k, l]
                step[l] += xi[i, l] * delta
        for l in range(L):
            theta[l] += alphas[k] * step[l] / m


@njit(cache=True)
def _ergodic_td(x, r, dt, f2, f1, alphas, alpha_v, theta, V, out_theta, out_V, every):
    """Online ergodic TD(0) on one long path with features (f2 x^2, f1 x) (PG Alg. 3 [S]).

    delta_k = J(x_{k+1}) - J(x_k) + (r_k - V) dt; theta += a_k phi_k delta_k;
    V += alpha_v[k] delta_k / dt * dt (test function 1 for V, see the caller).
    Records theta and V every ``every`` steps in out_theta, out_V.
    """
    K = r.shape[0]
    j = 0
    for k in range(K):
        p0 = f2 * x[k] * x[k]
        p1 = f1 * x[k]
        q0 = f2 * x[k + 1] * x[k + 1]
        q1 = f1 * x[k + 1]
        delta = theta[0] * (q0 - p0) + theta[1] * (q1 - p1) + (r[k] - V[0]) * dt
        theta[0] += alphas[k] * p0 * delta
        theta[1] += alphas[k] * p1 * delta
        V[0] += alpha_v[k] * delta
        if (k + 1) % every == 0:
            out_theta[j, 0] = theta[0]
            out_theta[j, 1] = theta[1]
            out_V[j] = V[0]
            j += 1
