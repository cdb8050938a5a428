"""Compiled pessimistic / optimistic evaluation and StepMix knots (StepMix spec, Sec. 2-4).

Arrays in, ``out`` arrays filled, no Python objects, no RNG. Counts are pooled
over steps (time-homogeneous kernel, as in :mod:`._ucbvi_kernels`):
``N (S, A, S)`` transition counts, ``n (S, A)`` visits, ``nxt (S, A, S)`` the
distinct next states seen from (s, a) in order of first visit and ``nnz (S, A)``
their number, so every :math:`\\hat P V` costs O(nnz).

Widths (filled by :func:`refresh_widths`, one row per visited pair):

``eps[s, a]``
    L1 radius :math:`\\varepsilon(n) = \\sqrt{2 (S \\ln 2 + \\iota)/n}` (Weissman et al. 2003).
``w[s, a, s']``, ``w0[s, a]``
    entrywise empirical-Bernstein radius (Maurer & Pontil 2009)
    :math:`\\sqrt{2 \\hat V_{s'} \\iota' / n} + 7 \\iota' / (3 (n - 1))` for seen ``s'``
    and ``w0 = 7 iota' / (3 (n - 1))`` for unseen ones (``inf`` when ``n < 2``).
"""

import numpy as np
from numba import njit

L1 = 0
BERNSTEIN = 1


@njit(cache=True)
def refresh_widths(N, n, nxt, nnz, states, actions, eps, w, w0, S_log2, iota_l1, iota_eb,
                   anytime, log_sah_l1, log_sah_eb):
    """Add one trajectory to ``nxt/nnz`` (counts ``N, n`` already updated) and refresh
    the widths of the visited pairs.

    Non-anytime: ``iota_l1``, ``iota_eb`` are the fixed log factors. Anytime:
    ``iota = log_sah + ln(n (n + 1))`` per pair (union bound over n with weights
    1 / (n (n + 1)), StepMix spec Sec. 2.1).
    """
    H = actions.shape[0]
    for h in range(H):
        s = states[h]
        a = actions[h]
        t = states[h + 1]
        seen = False
        for i in range(nnz[s, a]):
            if nxt[s, a, i] == t:
                seen = True
                break
        if not seen:  # first visit of t from (s, a)
            nxt[s, a, nnz[s, a]] = t
            nnz[s, a] += 1
    for h in range(H):
        s = states[h]
        a = actions[h]
        m = float(n[s, a])
        if anytime:
            il1 = log_sah_l1 + np.log(m * (m + 1.0))
            ieb = log_sah_eb + np.log(m * (m + 1.0))
        else:
            il1 = iota_l1
            ieb = iota_eb
        eps[s, a] = np.sqrt(2.0 * (S_log2 + il1) / m)
        if m < 2.0:
            w0[s, a] = np.inf
            for i in range(nnz[s, a]):
                w[s, a, nxt[s, a, i]] = np.inf
        else:
            lin = 7.0 * ieb / (3.0 * (m - 1.0))
            w0[s, a] = lin
            for i in range(nnz[s, a]):
                t = nxt[s, a, i]
                p = N[s, a, t] / m
                var = p * (1.0 - p) * m / (m - 1.0)
                w[s, a, t] = np.sqrt(2.0 * var * ieb / m) + lin


@njit(cache=True)
def evaluate_bound(N, n, nxt, nnz, R, pi, eps, w, w0, kind, scale, sign, h0, h1, V):
    """Pessimistic (``sign = -1``, PES-EVAL) or optimistic (``sign = +1``, OPT-EVAL)
    evaluation of the stochastic policy ``pi (H, S, A)`` on steps ``h1-1, ..., h0``.

    ``V (H+1, S)``: ``V[h1]`` is the terminal value (preset by the caller), rows
    ``h0..h1-1`` are filled. With ``c`` the mid-range and ``sp`` the span of
    ``V[h+1]``, the width is (spec Sec. 2.1, tightened to the span [D])

    ``beta = scale * (sp / 2) * eps``                              (L1)
    ``beta = scale * min(sp / 2 * eps, sum_s' w(s') |V(s') - c|)``  (Bernstein)

    and ``Q = R + max(0, P_hat V - beta)`` (pessimistic; ``R`` when ``n = 0``) or
    ``Q = min(H - h, R + P_hat V + beta)`` (optimistic; ``H - h`` when ``n = 0``).
    """
    S = N.shape[0]
    A = N.shape[1]
    H = pi.shape[0]
    HR = R.shape[0]
    for h in range(h1 - 1, h0 - 1, -1):
        vmax = -np.inf
        vmin = np.inf
        for t in range(S):
            x = V[h + 1, t]
            if x > vmax:
                vmax = x
            if x < vmin:
                vmin = x
        half = 0.5 * (vmax - vmin)
        mid = 0.5 * (vmax + vmin)
        absdev = 0.0
        if kind == BERNSTEIN:
            for t in range(S):
                absdev += abs(V[h + 1, t] - mid)
        cap = float(H - h)
        for s in range(S):
            v = 0.0
            for a in range(A):
                p = pi[h, s, a]
                if p == 0.0:
                    continue
                m = n[s, a]
                r = R[h % HR, s, a]
                if m == 0:
                    q = r if sign < 0 else cap
                else:
                    pv = 0.0
                    for i in range(nnz[s, a]):
                        t = nxt[s, a, i]
                        pv += N[s, a, t] * V[h + 1, t]
                    pv /= float(m)
                    b = half * eps[s, a]
                    if kind == BERNSTEIN and half > 0.0 and w0[s, a] < np.inf:
                        eb = w0[s, a] * absdev
                        for i in range(nnz[s, a]):
                            t = nxt[s, a, i]
                            eb += (w[s, a, t] - w0[s, a]) * abs(V[h + 1, t] - mid)
                        if eb < b:
                            b = eb
                    if half == 0.0:
                        b = 0.0  # a constant V: P_hat V = P V exactly
                    b *= scale
                    if sign < 0:
                        x = pv - b
                        q = r + (x if x > 0.0 else 0.0)
                    else:
                        q = r + pv + b
                        if q > cap:
                            q = cap
                v += p * q
            V[h, s] = v


@njit(cache=True)
def stepmix_knots(N, n, nxt, nnz, R, pik, pib, eps, w, w0, kind, scale, sign, init, order,
                  thr, stop_at_feasible, Vshared, Vwork, lb):
    """Certified bounds ``lb[j] = PES-EVAL(mu^(j))`` (``sign = -1``; ``OPT-EVAL`` for
    ``sign = +1``) for ``j = H, H-1, ..., 1``.

    ``order = 0`` (baseline first): ``mu^(j)`` follows ``pib`` at steps
    ``0..H-j-1`` and ``pik`` at ``H-j..H-1``. ``order = 1`` (optimistic first):
    ``pik`` at ``0..j-1``, ``pib`` after. The shared suffix is evaluated once
    into ``Vshared`` and each knot runs only its prefix in ``Vwork`` (O(H^2)
    passes in the worst case). With ``stop_at_feasible``, stops at the first
    (largest) j with ``lb[j] >= thr``; knots not computed are left untouched
    (the caller presets NaN). ``lb[0]`` is the caller's. Returns the number of
    knots computed.
    """
    H = pik.shape[0]
    S = N.shape[0]
    Vshared[H, :] = 0.0
    suffix = pik if order == 0 else pib
    prefix = pib if order == 0 else pik
    evaluate_bound(N, n, nxt, nnz, R, suffix, eps, w, w0, kind, scale, sign, 0, H, Vshared)
    done = 0
    for j in range(H, 0, -1):
        start = H - j if order == 0 else j  # first step of the suffix
        if start == 0:
            val = 0.0
            for s in range(S):
                val += init[s] * Vshared[0, s]
        else:
            for s in range(S):
                Vwork[start, s] = Vshared[start, s]
            evaluate_bound(N, n, nxt, nnz, R, prefix, eps, w, w0, kind, scale, sign, 0, start,
                           Vwork)
            val = 0.0
            for s in range(S):
                val += init[s] * Vwork[0, s]
        lb[j] = val
        done += 1
        if stop_at_feasible and val >= thr:
            break
    return done
