"""Compiled pessimistic / optimistic evaluation and StepMix knots.

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
    1 / (n (n + 1))).
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
    ``V[h+1]``, the width is (the L1 width of docs/theory/ucbvi.md, tightened to the span [D])

    ``beta = scale * (sp / 2) * eps``                              (L1)
    ``beta = scale * min(sp / 2 * eps, sum_s' w(s') |V(s') - c|)``  (Bernstein)

    and ``Q = R + max(0, P_hat V - beta)`` (pessimistic; ``R`` when ``n = 0``) or
    ``Q = min(H - h, R + P_hat V + beta)`` (optimistic; ``H - h`` when ``n = 0``).
    """
    act = np.empty((pi.shape[0], pi.shape[1]), dtype=np.int64)
    one_hot_actions(pi, act)
    evaluate_bound_act(N, n, nxt, nnz, R, pi, act, eps, w, w0, kind, scale, sign, h0, h1, V)


@njit(cache=True)
def evaluate_bound_act(N, n, nxt, nnz, R, pi, act, eps, w, w0, kind, scale, sign, h0, h1, V):
    """:func:`evaluate_bound` with ``act = one_hot_actions(pi)`` precomputed (callers
    that evaluate the same policy often keep it): one-hot rows skip the loop over
    actions (their value ``0.0 + 1.0 * q`` is ``q`` exactly); rows with ``act = -1``
    sum ``pi[h, s, a] * q`` over the actions with ``pi > 0``."""
    S = N.shape[0]
    A = N.shape[1]
    H = pi.shape[0]
    HR = R.shape[0]
    neg = sign < 0
    for h in range(h1 - 1, h0 - 1, -1):
        Vn = V[h + 1]
        vmax = -np.inf
        vmin = np.inf
        for t in range(S):
            x = Vn[t]
            if x > vmax:
                vmax = x
            if x < vmin:
                vmin = x
        half = 0.5 * (vmax - vmin)
        mid = 0.5 * (vmax + vmin)
        absdev = 0.0
        if kind == BERNSTEIN:
            for t in range(S):
                absdev += abs(Vn[t] - mid)
        cap = float(H - h)
        Rh = R[h % HR]
        for s in range(S):
            ad = act[h, s]
            v = 0.0
            for a in range(A):
                if ad >= 0:
                    if a != ad:
                        continue
                    p = 1.0
                else:
                    p = pi[h, s, a]
                    if p == 0.0:
                        continue
                m = n[s, a]
                r = Rh[s, a]
                if m == 0:
                    q = r if neg else cap
                else:
                    pv = 0.0
                    for i in range(nnz[s, a]):
                        t = nxt[s, a, i]
                        pv += N[s, a, t] * Vn[t]
                    pv /= float(m)
                    b = half * eps[s, a]
                    if kind == BERNSTEIN and half > 0.0 and w0[s, a] < np.inf:
                        eb = w0[s, a] * absdev
                        for i in range(nnz[s, a]):
                            t = nxt[s, a, i]
                            eb += (w[s, a, t] - w0[s, a]) * abs(Vn[t] - mid)
                        if eb < b:
                            b = eb
                    if half == 0.0:
                        b = 0.0
                    b *= scale
                    if neg:
                        x = pv - b
                        q = r + (x if x > 0.0 else 0.0)
                    else:
                        q = r + pv + b
                        if q > cap:
                            q = cap
                if ad >= 0:
                    v = q
                else:
                    v += p * q
            V[h, s] = v


@njit(cache=True)
def one_hot_actions(pi, out):
    """``out[h, s]`` = the action of a one-hot row ``pi[h, s]`` (one entry 1.0, the
    others 0.0), -1 for a genuinely stochastic row. The kernels below take this
    alongside ``pi``: a one-hot row's value ``0.0 + 1.0 * q`` is ``q`` exactly, so
    the shortcut is bit-identical to the loop over actions."""
    H = pi.shape[0]
    S = pi.shape[1]
    A = pi.shape[2]
    for h in range(H):
        for s in range(S):
            act = -1
            for a in range(A):
                x = pi[h, s, a]
                if x == 1.0 and act == -1:
                    act = a
                elif x != 0.0:
                    act = -2
                    break
            out[h, s] = act if act >= 0 else -1


@njit(cache=True)
def one_hot_fill(act, out):
    """``out (H, S, A)`` = the one-hot float form of the deterministic policy ``act (H, S)``."""
    H = out.shape[0]
    S = out.shape[1]
    A = out.shape[2]
    for h in range(H):
        for s in range(S):
            for a in range(A):
                out[h, s, a] = 0.0
            out[h, s, act[h, s]] = 1.0


@njit(cache=True)
def build_switching(pib, pik, hs, f, order, out):
    """The StepMix policy ``out (H, S, A)`` mixing at step ``hs`` (0-indexed):
    ``f * pik[hs] + (1 - f) * pib[hs]`` there, ``pib`` before and ``pik`` after it
    (``order = 0``, baseline first) or the reverse (``order = 1``)."""
    H = out.shape[0]
    S = out.shape[1]
    A = out.shape[2]
    g = 1.0 - f
    for h in range(H):
        for s in range(S):
            for a in range(A):
                if h == hs:
                    out[h, s, a] = f * pik[h, s, a] + g * pib[h, s, a]
                elif (h < hs) == (order == 0):
                    out[h, s, a] = pib[h, s, a]
                else:
                    out[h, s, a] = pik[h, s, a]


@njit(cache=True)
def _knot_block(N, n, nxt, nnz, R, prefix, pact, eps, w, w0, kind, scale, sign, init, order,
                H, j_hi, j_lo, Vshared, W, col, lb):
    """``lb[j]`` for the knots ``j = j_hi, ..., j_lo`` in one backward pass.

    Knot j runs the prefix policy backward from its first suffix step
    ``start_j`` (``H - j`` for ``order = 0``, ``j`` for ``order = 1``), with
    terminal values ``Vshared[start_j]``. Column c of ``W[cur] (S, H)`` holds
    the values at the current step of the knot with the c-th largest start, so
    the knots active at step h (``start_j > h``) are the columns ``0..L-1``;
    each count/next-state pair is loaded once per step for all of them, and
    the innermost loops run over columns (0-based, vectorisable). Per column
    the arithmetic is that of :func:`evaluate_bound`, term by term and in the
    same order, so every ``lb[j]`` is bit-identical to a separate PES-EVAL /
    OPT-EVAL pass. ``pact`` is :func:`one_hot_actions` of ``prefix``.
    ``col (6, H)`` is scratch (span, mid-range, absolute deviation, P_hat V,
    value, Bernstein width per column).
    """
    S = N.shape[0]
    A = N.shape[1]
    HR = R.shape[0]
    J = j_hi - j_lo + 1
    half = col[0]
    mid = col[1]
    absdev = col[2]
    pv = col[3]
    val = col[4]
    eb = col[5]
    neg = sign < 0
    bern_kind = kind == BERNSTEIN
    top = H - j_lo if order == 0 else j_hi  # the largest start (column 0)
    cur = 0
    for h in range(top - 1, -1, -1):
        L = top - h  # columns with start > h
        if L > J:
            L = J
        Wc = W[cur]
        Wn = W[1 - cur]
        if top - h <= J:  # column L - 1 starts at h + 1
            cn = L - 1
            for t in range(S):
                Wc[t, cn] = Vshared[h + 1, t]
        for c in range(L):
            half[c] = -np.inf  # running max
            mid[c] = np.inf  # running min
        for t in range(S):
            row = Wc[t]
            for c in range(L):
                x = row[c]
                if x > half[c]:
                    half[c] = x
                if x < mid[c]:
                    mid[c] = x
        for c in range(L):
            vmax = half[c]
            vmin = mid[c]
            half[c] = 0.5 * (vmax - vmin)
            mid[c] = 0.5 * (vmax + vmin)
            absdev[c] = 0.0
        if bern_kind:
            for t in range(S):
                row = Wc[t]
                for c in range(L):
                    absdev[c] += abs(row[c] - mid[c])
        cap = float(H - h)
        Rh = R[h % HR]
        for s in range(S):
            dst = Wn[s]
            ad = pact[h, s]
            det = ad >= 0
            if not det:
                for c in range(L):
                    val[c] = 0.0
            for a in range(A):
                if det:
                    if a != ad:
                        continue
                    p = 1.0
                else:
                    p = prefix[h, s, a]
                    if p == 0.0:
                        continue
                m = n[s, a]
                r = Rh[s, a]
                if m == 0:
                    q = r if neg else cap
                    if det:
                        for c in range(L):
                            dst[c] = q
                    else:
                        for c in range(L):
                            val[c] += p * q
                    continue
                k = nnz[s, a]
                for c in range(L):
                    pv[c] = 0.0
                for i in range(k):
                    t = nxt[s, a, i]
                    cnt = N[s, a, t]
                    row = Wc[t]
                    for c in range(L):
                        pv[c] += cnt * row[c]
                mf = float(m)
                e = eps[s, a]
                wz = w0[s, a]
                bern = bern_kind and wz < np.inf
                if bern:
                    for c in range(L):
                        eb[c] = wz * absdev[c]
                    for i in range(k):
                        t = nxt[s, a, i]
                        wt = w[s, a, t] - wz
                        row = Wc[t]
                        for c in range(L):
                            eb[c] += wt * abs(row[c] - mid[c])
                    for c in range(L):  # eb[c] <- the width before the checks below
                        hc = half[c]
                        b = hc * e
                        if hc > 0.0 and eb[c] < b:
                            b = eb[c]
                        eb[c] = b
                for c in range(L):
                    x = pv[c] / mf
                    hc = half[c]
                    b = eb[c] if bern else hc * e
                    if hc == 0.0:
                        b = 0.0  # a constant V: P_hat V = P V exactly
                    val_b = b * scale
                    if neg:
                        y = x - val_b
                        q = r + (y if y > 0.0 else 0.0)
                    else:
                        q = r + x + val_b
                        if q > cap:
                            q = cap
                    if det:
                        dst[c] = q
                    else:
                        val[c] += p * q
            if not det:
                for c in range(L):
                    dst[c] = val[c]
        cur = 1 - cur
    Wc = W[cur]
    for c in range(J):
        j = j_lo + c if order == 0 else j_hi - c
        st = H - j if order == 0 else j
        v = 0.0
        if st == 0:
            for s in range(S):
                v += init[s] * Vshared[0, s]
        else:
            for s in range(S):
                v += init[s] * Wc[s, c]
        lb[j] = v


@njit(cache=True)
def stepmix_knots(N, n, nxt, nnz, R, pik, pib, pik_act, pib_act, eps, w, w0, kind, scale,
                  sign, init, order, thr, stop_at_feasible, Vshared, W, col, lb):
    """Certified bounds ``lb[j] = PES-EVAL(mu^(j))`` (``sign = -1``; ``OPT-EVAL`` for
    ``sign = +1``) for ``j = H, H-1, ..., 1``.

    ``order = 0`` (baseline first): ``mu^(j)`` follows ``pib`` at steps
    ``0..H-j-1`` and ``pik`` at ``H-j..H-1``. ``order = 1`` (optimistic first):
    ``pik`` at ``0..j-1``, ``pib`` after. ``pik_act``, ``pib_act`` are the
    policies' :func:`one_hot_actions`. The shared suffix is evaluated once
    into ``Vshared``; the prefixes of the knots are evaluated together, in
    blocks of knots sharing one backward pass (:func:`_knot_block`; ``W (2, S, H)``
    and ``col (6, H)`` are its workspace). Every ``lb[j]`` is bit-identical to a
    separate evaluation of ``mu^(j)`` by :func:`evaluate_bound`.

    With ``stop_at_feasible`` the blocks are ``{H}``, then 2, 4, 8, ... knots
    downwards, and the kernel stops after the first block holding a knot with
    ``lb[j] >= thr``; the largest feasible knot and the one above it are then
    computed. Knots not computed are left untouched (the caller presets NaN);
    ``lb[0]`` is the caller's. Without it, all knots run in one block.
    Returns the number of knots computed.
    """
    H = pik.shape[0]
    Vshared[H, :] = 0.0
    suffix = pik if order == 0 else pib
    sact = pik_act if order == 0 else pib_act
    prefix = pib if order == 0 else pik
    pact = pib_act if order == 0 else pik_act
    evaluate_bound_act(N, n, nxt, nnz, R, suffix, sact, eps, w, w0, kind, scale, sign, 0, H,
                       Vshared)
    done = 0
    j_hi = H
    size = 1 if stop_at_feasible else H
    while j_hi >= 1:
        j_lo = j_hi - size + 1
        if j_lo < 1:
            j_lo = 1
        _knot_block(N, n, nxt, nnz, R, prefix, pact, eps, w, w0, kind, scale, sign, init,
                    order, H, j_hi, j_lo, Vshared, W, col, lb)
        done += j_hi - j_lo + 1
        if stop_at_feasible:
            for j in range(j_hi, j_lo - 1, -1):
                if lb[j] >= thr:
                    return done
        j_hi = j_lo - 1
        size *= 2
    return done
