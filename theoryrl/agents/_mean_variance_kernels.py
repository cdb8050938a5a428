"""Compiled training loops of :mod:`theoryrl.agents.mean_variance` (private).

Arrays in, parameters and ``out`` arrays updated in place, no RNG (every
normal draw and window start comes from the caller's ``Generator``), no
Python objects. Both kernels run ``n_it`` iterations; iteration ``i`` replays
``m`` one-year windows ``R[starts[i, n] : starts[i, n] + K]`` of a fixed
return series under the current Gaussian policy (action normals ``Z[i, n]``),
then updates the parameters once.

``state`` carries the Lagrange multiplier across calls:
``[w, sum of x_T since the last w-update, count, global iteration, w-update index]``,
so that splitting the iterations over several calls (chunks) changes nothing.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_LOG2PI = math.log(2.0 * math.pi)


@njit(cache=True)
def _w_step(state, xsum, m, a_w0, w_decay, w_every, z):
    """Accumulate this iteration's terminal wealth; every ``w_every`` iterations
    ``w <- w - a_w0 j^{-w_decay} (mean x_T - z)``, ``j`` the w-update index and
    the mean over all terminal wealths since the previous w-update."""
    state[1] += xsum
    state[2] += m
    state[3] += 1.0
    if int(state[3]) % w_every == 0:
        state[4] += 1.0
        state[0] -= a_w0 * state[4] ** (-w_decay) * (state[1] / state[2] - z)
        state[1] = 0.0
        state[2] = 0.0


@njit(cache=True)
def _pg_offline(R, starts, Z, dt, T, lam, z, x0, a_th, a_ph, a_w0, w_decay, w_every,
                theta, phi, state, xT_mean, w_path, g):
    """PG offline actor-critic (Algorithm 4 [S skeleton; R parametrisation]).

    Cost form (minimised). Critic
    ``V(t,x) = (x-w)^2 e^{-theta[2] tau} + theta[1](t^2-T^2) + theta[0](t-T) - (w-z)^2``
    (``V(T, .)`` is the terminal cost exactly); policy
    ``N(-phi[0](x-w), exp(phi[1] + phi[2] tau))``. Per step
    ``delta_k = V_{k+1} - V_k + lam log pi(a_k) dt`` (martingale increment);
    critic TD(0) ``theta += a_th mean_n sum_k dV/dtheta_k delta_k``; actor
    ``phi -= a_ph mean_n sum_k dlogpi/dphi_k (delta_k + lam dt)``.
    ``g`` (6,) is scratch.
    """
    n_it, m = starts.shape
    K = Z.shape[2]
    E = np.empty(K + 1)      # e^{-theta_3 tau_k}
    B = np.empty(K + 1)      # theta_2 (t^2 - T^2) + theta_1 (t - T)
    SD = np.empty(K)         # policy sd at t_k
    LP = np.empty(K)         # log-density constant at t_k
    for it in range(n_it):
        w = state[0]
        wz2 = (w - z) * (w - z)
        g[:] = 0.0
        xsum = 0.0
        for k in range(K + 1):
            t = k * dt
            tau = T - t
            E[k] = math.exp(-theta[2] * tau)
            B[k] = theta[1] * (t * t - T * T) + theta[0] * (t - T) - wz2
            if k < K:
                logv = phi[1] + phi[2] * tau
                SD[k] = math.exp(0.5 * logv)
                LP[k] = -0.5 * _LOG2PI - 0.5 * logv
        p0 = phi[0]
        for n in range(m):
            s = starts[it, n]
            x = x0
            y = x - w
            Vk = y * y * E[0] + B[0]
            for k in range(K):
                t = k * dt
                tau = T - t
                sd = SD[k]
                e = Z[it, n, k]
                a = -p0 * y + sd * e
                xn = x + a * R[s + k]
                yn = xn - w
                Vn = yn * yn * E[k + 1] + B[k + 1]
                delta = Vn - Vk + lam * (LP[k] - 0.5 * e * e) * dt
                g[0] += (t - T) * delta
                g[1] += (t * t - T * T) * delta
                g[2] += -tau * y * y * E[k] * delta
                f = delta + lam * dt
                s2 = 0.5 * e * e - 0.5
                g[3] += (-y * e / sd) * f
                g[4] += s2 * f
                g[5] += tau * s2 * f
                x, y, Vk = xn, yn, Vn
            xsum += x
        for i in range(3):
            theta[i] += a_th[it] * g[i] / m
            phi[i] -= a_ph[it] * g[3 + i] / m
        xT_mean[it] = xsum / m
        _w_step(state, xsum, m, a_w0, w_decay, w_every, z)
        w_path[it] = state[0]


@njit(cache=True)
def _wz_emv(R, starts, Z, dt, T, lam, z, x0, a_th, a_ph, a_w0, w_decay, w_every, sign,
            theta, phi, state, xT_mean, w_path, g):
    """Wang & Zhou (2020) EMV: MSTDE gradient descent on critic and actor [R].

    Critic ``V(t,x) = (x-w)^2 e^{-2 phi[1] tau} + theta[1](t^2-T^2) + theta[0](t-T) - (w-z)^2``
    (``theta_3 = 2 phi_2``); policy mean ``-sign sqrt(2 phi[1]/(lam pi)) e^{phi[0]-1/2} (x-w)``,
    variance ``e^{2 phi[1] tau + 2 phi[0] - 1} / (2 pi)``, entropy ``phi[0] + phi[1] tau``.
    Per path ``C = 1/2 sum_k (Vdot_k - lam H_k)^2 dt`` with
    ``Vdot_k = (V_{k+1}-V_k)/dt``; every parameter does ``p -= a mean_n dC/dp``;
    ``phi[1]`` is kept >= 0 (the square root) [D]. ``g`` (4,) is scratch.
    """
    n_it, m = starts.shape
    K = Z.shape[2]
    E = np.empty(K + 1)      # e^{-theta_3 tau_k}
    B = np.empty(K + 1)      # theta_2 (t^2 - T^2) + theta_1 (t - T)
    SD = np.empty(K)         # policy sd at t_k
    for it in range(n_it):
        w = state[0]
        g[:] = 0.0
        xsum = 0.0
        p1, p2 = phi[0], phi[1]
        c = sign * math.sqrt(2.0 * p2 / (lam * math.pi)) * math.exp(p1 - 0.5)
        for k in range(K + 1):
            t = k * dt
            tau = T - t
            E[k] = math.exp(-2.0 * p2 * tau)
            B[k] = theta[1] * (t * t - T * T) + theta[0] * (t - T)
            if k < K:
                SD[k] = math.exp(p2 * tau + p1 - 0.5) / math.sqrt(2.0 * math.pi)
        for n in range(m):
            s = starts[it, n]
            x = x0
            y = x - w
            Vk = y * y * E[0] + B[0]
            for k in range(K):
                t = k * dt
                tau = T - t
                tn = t + dt
                taun = T - tn
                a = -c * y + SD[k] * Z[it, n, k]
                xn = x + a * R[s + k]
                yn = xn - w
                Vn = yn * yn * E[k + 1] + B[k + 1]
                r = (Vn - Vk) / dt - lam * (p1 + p2 * tau)
                g[0] += r * dt
                g[1] += r * (tn * tn - t * t)
                g[2] += -lam * r * dt
                dVk = -2.0 * tau * y * y * E[k]
                dVn = -2.0 * taun * yn * yn * E[k + 1]
                g[3] += r * ((dVn - dVk) - lam * tau * dt)
                x, y, Vk = xn, yn, Vn
            xsum += x
        theta[0] -= a_th[it] * g[0] / m
        theta[1] -= a_th[it] * g[1] / m
        phi[0] -= a_ph[it] * g[2] / m
        phi[1] = max(phi[1] - a_ph[it] * g[3] / m, 0.0)
        xT_mean[it] = xsum / m
        _w_step(state, xsum, m, a_w0, w_decay, w_every, z)
        w_path[it] = state[0]
