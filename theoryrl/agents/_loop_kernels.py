"""Compiled step loop of LOOP / UCRL2-VTR: ridge statistics updated in place and the
epoch's switching rule tested after every transition (conventions of
:mod:`theoryrl.agents._average_kernels`).

``ridge = (block, X, y, G, Ginv, b, logdet, potential, potential_raw, visits)`` are the
arrays of :class:`theoryrl.agents.average.RidgeStats`;
``test = (logdet0, ptilde, beta_coef, c_sw, beta_scale, learn_until)`` the epoch's
switching parameters; ``monitor = (on, theta_star, monitor_max, first)`` the optional
confidence monitor (``first[0]``: first 1-based step after whose update the true
parameter left the set of its block).
"""

import numpy as np
from numba import njit

from ..models._sampling_kernels import draw

COUNT, DET, LOOP, RAW = 1, 2, 3, 5
LN2 = np.log(2.0)


@njit(cache=True)
def _ridge_update(k, x, y, G, Ginv, b, logdet, pot, pot_raw, visits, v):
    # Sherman--Morrison for Ginv, matrix-determinant lemma for logdet
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
def _dist2(k, theta, G, Ginv, b, diff):
    """||theta[k] - Ginv[k] b[k]||^2_{G[k]}."""
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
def loop_segment(sim, pi, t0, rule, nu_limit, ridge, test, monitor):
    """Play ``pi`` until ``rule`` (COUNT, DET, LOOP or RAW) fires or ``T``.

    COUNT: in-epoch visits reach ``nu_limit``; DET: ``logdet[k] - logdet0[k] > ln 2``;
    LOOP: ``||ptilde[k] - G^{-1} b||^2_G > c_sw beta_k(t)``; RAW (ablation): the raw
    squared residual of the epoch exceeds ``c_sw beta``. Ridge statistics receive the
    transitions of steps ``t <= learn_until`` only.
    """
    Pcum, u, states, actions = sim[0], sim[2], sim[3], sim[4]
    block, X, y, G, Ginv, b, logdet, pot, pot_raw, visits = ridge
    logdet0, ptilde, beta_coef, c_sw, beta_scale, learn_until = test
    mon, theta_star, monitor_max, monitor_first = monitor
    T = u.shape[0]
    S, A = nu_limit.shape
    nu = np.zeros((S, A), dtype=np.int64)
    d = X.shape[2]
    v = np.empty(d)
    diff = np.empty(d)
    s = states[t0]
    t = t0
    raw = 0.0
    while t < T:
        a = pi[s]
        actions[t] = a
        s2 = draw(Pcum[s, a], u[t])
        states[t + 1] = s2
        t += 1
        fired = -1
        if rule == COUNT:
            nu[s, a] += 1
            if nu[s, a] >= nu_limit[s, a]:
                fired = COUNT
        if t <= learn_until:
            k = block[s, a]
            _ridge_update(k, X[s, a], y[s2], G, Ginv, b, logdet, pot, pot_raw, visits, v)
            if rule == DET and logdet[k] - logdet0[k] > LN2:
                fired = DET
            if rule == RAW:
                pred = 0.0
                for i in range(d):
                    pred += ptilde[k, i] * X[s, a, i]
                raw += (y[s2] - pred) ** 2
            if rule == LOOP or rule == RAW or mon:
                sq = beta_coef[0] * np.sqrt(max(beta_coef[1] + logdet[k] - beta_coef[2], 0.0)) \
                    + beta_coef[3]
                beta = beta_scale * sq * sq
                if rule == LOOP and _dist2(k, ptilde, G, Ginv, b, diff) > c_sw * beta:
                    fired = LOOP
                if rule == RAW and raw > c_sw * beta:
                    fired = RAW
                if mon:
                    dd = _dist2(k, theta_star, G, Ginv, b, diff)
                    r = dd / beta if beta > 0 else (np.inf if dd > 0 else 0.0)
                    if r > monitor_max[k]:
                        monitor_max[k] = r
                    if r > 1.0 and monitor_first[0] < 0:
                        monitor_first[0] = t
        s = s2
        if fired >= 0:
            return t, fired
    return t, -1
