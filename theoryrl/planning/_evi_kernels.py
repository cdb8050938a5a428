"""Compiled extended value iteration (EVI) and stochastic-shortest-path kernels.

Arrays in, ``out`` arrays filled, an int status out; no validation, no RNG.
The inner maximisation of the optimistic backup is selected by ``kind``:

* ``L1``: UCRL2's L1 ball around ``phat`` (Jaksch et al. 2010, Fig. 2);
* ``BOX``: box ``[lo, hi]`` intersected with the simplex (UCRL2B / UCRL3 ``max_proba``);
* ``ELL_TAB``: per-pair ellipsoid ``||p - phat_sa||_{G_sa} <= sqrt_beta_sa`` (tabular VTR);
* ``ELL_LM``: linear-mixture ellipsoid ``||theta - theta_hat||_Lambda <= sb`` (VTR).

The ellipsoid backups use the closed-form support function of the ellipsoid
intersected with the normalisation hyperplane ``<a_sa, x> = 1`` (``a = 1`` for
tabular blocks, ``a_sa = sum_s' phi(s'|s,a)`` for linear mixtures), prepared by
the caller as ``cen`` (centre), ``ga = M^{-1} a``, ``aga = a' M^{-1} a`` and
``sbp`` (the reduced radius); the value is
``<cen, x> + sbp * sqrt(x' M^{-1} x - (ga . x)^2 / aga)`` for ``x = w`` (tabular) or
``x = phi_w`` (linear mixture), then clipped to ``[min w, max w]``.
"""

import numpy as np
from numba import njit

L1 = 0
BOX = 1
ELL_TAB = 2
ELL_LM = 3


@njit(cache=True)
def _inner_l1(phat, radius, order, u, p):
    S = phat.shape[0]
    for i in range(S):
        p[i] = phat[i]
    top = order[0]
    p[top] = min(1.0, phat[top] + 0.5 * radius)
    tot = 0.0
    for i in range(S):
        tot += p[i]
    j = S - 1
    while tot > 1.0 and j > 0:
        s = order[j]
        take = min(p[s], tot - 1.0)
        p[s] -= take
        tot -= take
        j -= 1
    acc = 0.0
    for i in range(S):
        acc += p[i] * u[i]
    return acc


@njit(cache=True)
def _inner_box(lo, hi, order, u, p):
    S = lo.shape[0]
    rem = 1.0
    for i in range(S):
        p[i] = lo[i]
        rem -= lo[i]
    for j in range(S):
        if rem <= 0.0:
            break
        s = order[j]
        add = min(hi[s] - lo[s], rem)
        p[s] += add
        rem -= add
    acc = 0.0
    for i in range(S):
        acc += p[i] * u[i]
    return acc


@njit(cache=True)
def backup(kind, R, u, Q, ut, phat, radius, lo, hi, Ginv, cen, ga, aga, sbp, phi, Linv, w, F):
    """One optimistic Bellman backup ``Q = BACKUP(u)``, ``ut = max_a Q`` (greedy values)."""
    S, A = R.shape
    umin = u.min()
    umax = u.max()
    m = 0.5 * (umin + umax)
    for s in range(S):
        w[s] = u[s] - m
    wmin = umin - m
    wmax = umax - m
    p = np.empty(S)
    order = np.argsort(-u, kind="mergesort")
    d = phi.shape[3]
    for s in range(S):
        best = -np.inf
        for a in range(A):
            if kind == L1:
                q = R[s, a] + _inner_l1(phat[s, a], radius[s, a], order, u, p)
            elif kind == BOX:
                q = R[s, a] + _inner_box(lo[s, a], hi[s, a], order, u, p)
            elif kind == ELL_TAB:
                G = Ginv[s, a]
                mean = 0.0
                quad = 0.0
                gw = 0.0
                for i in range(S):
                    mean += cen[s, a, i] * w[i]
                    gw += ga[s, a, i] * w[i]
                    gi = 0.0
                    for j in range(S):
                        gi += G[i, j] * w[j]
                    quad += w[i] * gi
                quad -= gw * gw / aga[s, a]
                ev = mean + sbp[s, a] * np.sqrt(max(quad, 0.0))
                ev = min(max(ev, wmin), wmax)
                q = R[s, a] + m + ev
            else:
                for k in range(d):
                    acc = 0.0
                    for t in range(S):
                        acc += phi[s, a, t, k] * w[t]
                    F[s, a, k] = acc
                mean = 0.0
                quad = 0.0
                gw = 0.0
                for i in range(d):
                    mean += cen[s, a, i] * F[s, a, i]
                    gw += ga[s, a, i] * F[s, a, i]
                    gi = 0.0
                    for j in range(d):
                        gi += Linv[i, j] * F[s, a, j]
                    quad += F[s, a, i] * gi
                quad -= gw * gw / aga[s, a]
                ev = mean + sbp[s, a] * np.sqrt(max(quad, 0.0))
                ev = min(max(ev, wmin), wmax)
                q = R[s, a] + m + ev
            Q[s, a] = q
            if q > best:
                best = q
        ut[s] = best


@njit(cache=True)
def evi(kind, R, u, Q, ut, dlt, phat, radius, lo, hi, Ginv, cen, ga, aga, sbp, phi, Linv,
        span_bound, eps, tau, max_iter):
    """Extended value iteration with aperiodicity transform and SCAL truncation.

    Each sweep: ``Q = BACKUP(u)``, ``ut = max_a Q``, ``un = (1-tau) u + tau ut``,
    ``un = min(un, min(un) + span_bound)``, ``dlt = un - u``, ``u = un - min(un)``;
    stops when ``max(dlt) - min(dlt) < 2 tau eps`` (the rule ``sp(dlt) < eps`` at
    ``tau = 1/2``; the gain estimate ``midrange(dlt) / tau`` is then ``eps``-accurate).
    Returns the number of sweeps, or
    ``-max_iter`` when ``max_iter`` sweeps did not reach ``eps`` (``u``, ``Q``,
    ``ut``, ``dlt`` then hold the last sweep).
    """
    S = R.shape[0]
    w = np.empty(S)
    F = np.empty((R.shape[0], R.shape[1], phi.shape[3]))
    un = np.empty(S)
    for it in range(1, max_iter + 1):
        backup(kind, R, u, Q, ut, phat, radius, lo, hi, Ginv, cen, ga, aga, sbp, phi, Linv, w, F)
        lo_un = np.inf
        for s in range(S):
            un[s] = (1.0 - tau) * u[s] + tau * ut[s]
            if un[s] < lo_un:
                lo_un = un[s]
        cap = lo_un + span_bound
        dmin = np.inf
        dmax = -np.inf
        for s in range(S):
            if un[s] > cap:
                un[s] = cap
            dl = un[s] - u[s]
            dlt[s] = dl
            if dl < dmin:
                dmin = dl
            if dl > dmax:
                dmax = dl
        for s in range(S):
            u[s] = un[s] - lo_un
        if dmax - dmin < 2.0 * tau * eps:
            return it
    return -max_iter


@njit(cache=True)
def ssp_hitting_times(P, target, h, tol, max_iter):
    """Minimal expected hitting times of ``target`` by value iteration.

    ``h(s) = 1 + min_a P[s, a] @ h`` for ``s != target``, ``h(target) = 0``;
    ``h`` starts at 0 (monotone increase to the fixed point). Returns sweeps
    used, ``-1`` if ``max_iter`` ran out.
    """
    S, A, _ = P.shape
    hn = np.empty(S)
    for it in range(1, max_iter + 1):
        diff = 0.0
        big = 1.0
        for s in range(S):
            if s == target:
                hn[s] = 0.0
                continue
            best = np.inf
            for a in range(A):
                acc = 0.0
                for t in range(S):
                    acc += P[s, a, t] * h[t]
                if acc < best:
                    best = acc
            hn[s] = 1.0 + best
            dd = abs(hn[s] - h[s])
            if dd > diff:
                diff = dd
            if hn[s] > big:
                big = hn[s]
        for s in range(S):
            h[s] = hn[s]
        if diff < tol * big:
            return it
    return -1
