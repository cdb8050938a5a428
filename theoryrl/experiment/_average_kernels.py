"""Compiled step loop of the average-reward driver. Uniforms come from the caller."""

import numpy as np
from numba import njit

from ._kernels import _draw

LN2 = np.log(2.0)


@njit(cache=True)
def _ridge_update(k, x, y, G, Ginv, b, logdet, pot, pot_raw, visits, v):
    d = x.shape[0]
    q = 1.0
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += Ginv[k, i, j] * x[j]
        v[i] = acc
        q += x[i] * acc
    for i in range(d):
        for j in range(d):
            Ginv[k, i, j] -= v[i] * v[j] / q
            G[k, i, j] += x[i] * x[j]
        b[k, i] += y * x[i]
    logdet[k] += np.log(q)
    pot_raw[k] += q - 1.0
    pot[k] += min(1.0, q - 1.0)
    visits[k] += 1


@njit(cache=True)
def _dist2(k, theta, G, Ginv, b, tmp, diff):
    """||theta - Ginv b||^2_G for block k."""
    d = theta.shape[1]
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += Ginv[k, i, j] * b[k, j]
        diff[i] = theta[k, i] - acc
    out = 0.0
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += G[k, i, j] * diff[j]
        out += diff[i] * acc
    return out


@njit(cache=True)
def run_segment(Pcum, R, pi, u, states, actions, t0, T, max_steps, kind, nu_limit,
                has_ridge, block, X, y, G, Ginv, b, logdet, logdet0, ptilde, c_sw,
                beta_coef, beta_scale, learn_until, pot, pot_raw, visits,
                monitor, theta_star, monitor_max, monitor_first, Q, Qhat, Vhat, nq, qH, qc):
    """Run steps ``t0 .. T-1`` until the stop rule fires; returns ``(t_end, reason)``.

    ``states[t0]`` holds the current state; step ``t`` draws
    ``states[t+1] ~ P(.|states[t], actions[t])`` with uniform ``u[t]``.
    ``reason`` is the rule code that fired, or -1 (``T`` or ``max_steps``).
    """
    S, A = nu_limit.shape
    nu = np.zeros((S, A), dtype=np.int64)
    d = X.shape[2]
    v = np.empty(d)
    tmp = np.empty(d)
    diff = np.empty(d)
    s = states[t0]
    t = t0
    gamma = 1.0 - 1.0 / qH
    raw = 0.0
    while t < T:
        if kind == 4:
            best = -np.inf
            a = 0
            for aa in range(A):
                if Qhat[s, aa] > best:
                    best = Qhat[s, aa]
                    a = aa
        else:
            a = pi[s]
        actions[t] = a
        s2 = _draw(Pcum[s, a], u[t])
        states[t + 1] = s2
        t += 1
        fired = -1
        if kind == 4:
            nq[s, a] += 1
            n = nq[s, a]
            alpha = (qH + 1.0) / (qH + n)
            bonus = qc * np.sqrt(qH / n)
            Q[s, a] = (1.0 - alpha) * Q[s, a] + alpha * (R[s, a] + gamma * Vhat[s2] + bonus)
            if Q[s, a] < Qhat[s, a]:
                Qhat[s, a] = Q[s, a]
            vb = -np.inf
            for aa in range(A):
                if Qhat[s, aa] > vb:
                    vb = Qhat[s, aa]
            Vhat[s] = vb
        if kind == 1:
            nu[s, a] += 1
            if nu[s, a] >= nu_limit[s, a]:
                fired = 1
        if has_ridge and t <= learn_until:
            k = block[s, a]
            _ridge_update(k, X[s, a], y[s2], G, Ginv, b, logdet, pot, pot_raw, visits, v)
            if kind == 2 and logdet[k] - logdet0[k] > LN2:
                fired = 2
            if kind == 5:
                # broken-variant rule: raw (non-excess) squared residual of the epoch
                pred = 0.0
                for i in range(d):
                    pred += ptilde[k, i] * X[s, a, i]
                raw += (y[s2] - pred) ** 2
            if kind == 3 or kind == 5 or monitor:
                sq = beta_coef[0] * np.sqrt(max(beta_coef[1] + logdet[k] - beta_coef[2], 0.0)) \
                    + beta_coef[3]
                beta = beta_scale * sq * sq
                if kind == 3:
                    if _dist2(k, ptilde, G, Ginv, b, tmp, diff) > c_sw * beta:
                        fired = 3
                if kind == 5 and raw > c_sw * beta:
                    fired = 5
                if monitor:
                    dd = _dist2(k, theta_star, G, Ginv, b, tmp, diff)
                    r = dd / beta if beta > 0 else (np.inf if dd > 0 else 0.0)
                    if r > monitor_max[k]:
                        monitor_max[k] = r
                    if r > 1.0 and monitor_first[0] < 0:
                        monitor_first[0] = t
        s = s2
        if fired >= 0:
            return t, fired
        if t - t0 >= max_steps:
            return t, -1
    return t, -1
