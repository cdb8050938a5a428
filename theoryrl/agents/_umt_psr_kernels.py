"""Compiled learning loops of the UMT-PSR agents (no validation, no RNG, no Python objects).

Each ``*_run`` kernel continues a run from the agent's state (filled in by its
Python ``reset``): it samples the plays of an iteration from the true laws
with the caller's uniforms, adds the trajectories to the log-likelihoods and
re-plans, until the agent stops, the iteration budget is spent or the
uniforms run out (the caller draws more and calls again). It returns the
number of iterations run; the uniforms used are ``plays`` per iteration.

Every floating-point reduction repeats NumPy's order of operations on the
same arrays (the step-wise agents' code), so that a compiled run is
bit-identical to the step-wise one:

* a sum along a contiguous axis (or a 1-D array) is NumPy's pairwise sum from
  an initial 0.0 (:func:`_pw`: blocks of eight accumulators from eight terms on);
* a sum along a strided axis with more than one entry per row is a plain
  left-to-right sum (an axis with one entry per row counts as contiguous);
* ``cumsum`` runs left to right; ``argmax`` keeps the first maximum.

State arrays: ``iv`` (int64) and ``fv`` (float64), indexed by the constants below.
"""

import numpy as np
from numba import njit

# iv: integer state and settings
I_N = 0
I_MT = 1
I_ME = 2
I_O = 3
I_A = 4
I_H = 5
I_CAP = 6  # exact_cap (UMT-PSR)
I_KMAX = 7
I_K = 8  # iterations of the agent (UMT-PSR: k; independent: unused)
I_DONE = 9
I_CENSORED = 10
I_COVERED = 11  # -1: not tracked, 0/1: true model in the set at every iteration so far
I_AVERAGE = 12  # criterion "average" (1) or "max" (0)
I_TRUE_T = 13
I_MODE = 14  # last planning mode: 0 exact, 1 bound
I_SIZE = 15

# fv: float state and settings
F_BETA = 0
F_LIMIT = 1  # stopping threshold (UMT-PSR: N eps / 2 or eps / 2; independent: eps / 2)
F_DELTA = 2  # last certificate
F_PMIN = 3  # ucb_tv stability floor p_min
F_ALPHA = 4  # ucb_tv bonus scale
F_RIDGE = 5  # ucb_tv ridge lambda
F_SIZE = 6


# one compiled version of the sums, whatever constants a call site passes (numba would
# otherwise compile one per combination of literal arguments)
_SUM_SIG = "float64(float64[::1], int64, int64, int64)"


@njit(_SUM_SIG, cache=True)
def _pw_block(a, start, n, stride):
    """NumPy's pairwise sum of at most 128 terms ``a[start + i * stride]``."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[start + i * stride]
        return res
    r0 = a[start]
    r1 = a[start + stride]
    r2 = a[start + 2 * stride]
    r3 = a[start + 3 * stride]
    r4 = a[start + 4 * stride]
    r5 = a[start + 5 * stride]
    r6 = a[start + 6 * stride]
    r7 = a[start + 7 * stride]
    i = 8
    stop = n - n % 8
    while i < stop:
        p = start + i * stride
        r0 += a[p]
        r1 += a[p + stride]
        r2 += a[p + 2 * stride]
        r3 += a[p + 3 * stride]
        r4 += a[p + 4 * stride]
        r5 += a[p + 5 * stride]
        r6 += a[p + 6 * stride]
        r7 += a[p + 7 * stride]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i * stride]
        i += 1
    return res


@njit(_SUM_SIG, cache=True)
def _pw_big(a, start, n, stride):
    """NumPy's pairwise sum of more than 128 terms (no initial value).

    NumPy adds the pairwise sums of two halves (the first rounded down to a
    multiple of 8), recursively; the recursion runs on explicit stacks (a
    self-recursive function does not survive numba's on-disk cache).
    """
    t_start = np.empty(128, dtype=np.int64)
    t_n = np.empty(128, dtype=np.int64)
    t_phase = np.empty(128, dtype=np.int64)
    vals = np.empty(128)
    nt = 1
    nv = 0
    t_start[0] = start
    t_n[0] = n
    t_phase[0] = 0
    while nt > 0:
        nt -= 1
        s = t_start[nt]
        m = t_n[nt]
        if m <= 128:
            vals[nv] = _pw_block(a, s, m, stride)
            nv += 1
        elif t_phase[nt] == 0:
            n2 = m // 2
            n2 -= n2 % 8
            t_phase[nt] = 1  # combine once both halves are done
            nt += 1
            t_start[nt] = s + n2 * stride
            t_n[nt] = m - n2
            t_phase[nt] = 0
            nt += 1
            t_start[nt] = s
            t_n[nt] = n2
            t_phase[nt] = 0
            nt += 1
        else:
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
    return vals[0]


@njit(_SUM_SIG, cache=True)
def _np_sum(a, start, n, stride):
    """``np.sum`` of ``a[start + i * stride]``, ``i < n``: 0.0 plus NumPy's pairwise sum."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[start + i * stride]
        return 0.0 + res
    if n <= 128:
        return 0.0 + _pw_block(a, start, n, stride)
    return 0.0 + _pw_big(a, start, n, stride)


@njit(cache=True)
def _sum_plays(terms, H, M):
    """Sum of a task's ``H`` log-likelihood terms as the agents' ``.sum(1)`` forms it:
    along a strided axis (left to right) unless the class has a single model."""
    if M == 1:
        return _np_sum(terms, 0, H, 1)
    res = 0.0
    for h in range(H):
        res += terms[h]
    return res


@njit(cache=True)
def _maxsum_tables(g, O, A, H, work, tab, toff):
    """Max-sum of ``g`` (F,) as :func:`theoryrl.models.pomdp.maxsum`; fills ``tab``.

    ``tab[toff[h] + p]`` is the action of prefix ``p`` (flat index of
    ``(o_1, a_1, ..., o_h, a_h, o_{h+1})``) at step ``h`` (lowest action on ties);
    returns the value. ``work`` holds at least ``F`` entries (overwritten).
    """
    F = g.shape[0]
    for f in range(F):
        work[f] = g[f]
    n = F
    for h in range(H - 1, -1, -1):
        rows = n // A
        for p in range(rows):
            best = work[p * A]
            arg = 0
            for a in range(1, A):
                v = work[p * A + a]
                if v > best:
                    best = v
                    arg = a
            tab[toff[h] + p] = arg
            work[p] = best
        groups = rows // O
        for q in range(groups):
            work[q] = _np_sum(work, q * O, O, 1)
        n = groups
    return work[0]


@njit(cache=True)
def _follow_depth(tab, toff, O, A, H, depth):
    """depth[f]: how many leading steps of trajectory f play the table's actions."""
    F = depth.shape[0]
    for f in range(F):
        d = 0
        for h in range(H):
            # prefix (o_1..a_h, o_{h+1}) and the action a_{h+1} of trajectory f
            rest = (O * A) ** (H - h - 1)
            p = f // (A * rest)
            a = (f // rest) % A
            if tab[toff[h] + p] != a:
                break
            d += 1
        depth[f] = d


@njit(cache=True)
def _sample_nu(Prow, depth, h, scale, u, cdf):
    """Flat index drawn from ``Prow * nu_h`` by inverse CDF, as ``TaskLaws.sample``.

    ``nu_h`` (1-based ``h``) is ``scale`` on trajectories that follow the policy
    on steps ``1..h-1`` (``depth >= h - 1``) and 0 elsewhere; ``u`` in [0, 1).
    """
    F = Prow.shape[0]
    acc = 0.0
    for f in range(F):
        w = Prow[f] * (scale if depth[f] >= h - 1 else 0.0)
        acc = w if f == 0 else acc + w
        cdf[f] = acc
    target = u * cdf[F - 1]
    # count of cdf < target (cdf is non-decreasing): first index with cdf >= target
    lo = 0
    hi = F
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return min(lo, F - 1)


@njit(cache=True)
def _tv_tables(P, m1, m2, O, A, H, g, work, tab, toff):
    """Tables of the policy maximising TV between models ``min(m1, m2)`` and ``max(m1, m2)``."""
    lo = min(m1, m2)
    hi = max(m1, m2)
    F = P.shape[1]
    for f in range(F):
        g[f] = 0.5 * abs(P[lo, f] - P[hi, f])
    _maxsum_tables(g, O, A, H, work, tab, toff)


# ---------------------------------------------------------------- UMT-PSR, pairwise
@njit(cache=True)
def _umt_profiles(L, N, mT, mE, b, lam):
    """b[n, t] = max_e L[n, t, e]; lam[t] = sum_n b[n, t]; returns thr = max lam (no beta)."""
    for n in range(N):
        for t in range(mT):
            best = L[n, t, 0]
            for e in range(1, mE):
                if L[n, t, e] > best:
                    best = L[n, t, e]
            b[n, t] = best
    for t in range(mT):
        if mT == 1:
            lam[t] = _np_sum(b.reshape(-1), 0, N, 1)  # b is (N, 1)
        else:
            acc = b[0, t]
            for n in range(1, N):
                acc += b[n, t]
            lam[t] = acc
    top = lam[0]
    for t in range(1, mT):
        if lam[t] > top:
            top = lam[t]
    return top


@njit(cache=True)
def _umt_contains(L, N, mT, mE, t, e, beta, b, lam, vec):
    """UMTPSR.contains(t, e) on the current likelihoods."""
    for n in range(N):
        vec[n] = L[n, t, e[n]]
    s = _np_sum(vec, 0, N, 1)
    top = _umt_profiles(L, N, mT, mE, b, lam)
    return s >= top - beta


@njit(cache=True)
def _umt_plan(L, D, iv, fv, b, lam, cond, tf, sizes, ms, tot, best, arg, pair_a, pair_b,
              vec):
    """UMTPSR._plan (pairwise planner): certificate, maximising pair, stop."""
    N = iv[I_N]
    mT = iv[I_MT]
    mE = iv[I_ME]
    beta = fv[F_BETA]
    thr = _umt_profiles(L, N, mT, mE, b, lam) - beta
    k = 0
    for t in range(mT):
        if lam[t] >= thr:
            tf[k] = t
            k += 1
    for n in range(N):
        for t in range(mT):
            c = lam[t] - b[n, t]
            for e in range(mE):
                cond[n, t, e] = L[n, t, e] + c >= thr
    n_tuples = 0.0
    for i in range(k):
        prod = 1.0
        for n in range(N):
            cnt = 0
            for e in range(mE):
                if cond[n, tf[i], e]:
                    cnt += 1
            sizes[n, i] = cnt
            prod *= float(cnt)
        n_tuples += prod
    average = iv[I_AVERAGE] == 1
    if n_tuples <= iv[I_CAP]:
        # exact: enumerate the projected product (last task fastest), keep the joint models
        # inside the set, maximise the summed (or largest) distance over pairs
        J = 0
        es = np.zeros(N, dtype=np.int64)
        for i in range(k):
            t = tf[i]
            for n in range(N):
                if sizes[n, i] == 0:
                    # rounding left a task's projection empty: the step-wise planner
                    # fails to index the empty product in the same place
                    raise IndexError("shape mismatch: a task's projection of the "
                                     "confidence set is empty")
            for n in range(N):  # first e of every list
                e = 0
                while not cond[n, t, e]:
                    e += 1
                es[n] = e
            while True:
                for n in range(N):
                    vec[n] = L[n, t, es[n]]
                if _np_sum(vec, 0, N, 1) >= thr:
                    for n in range(N):
                        ms[J, n] = t * mE + es[n]
                    J += 1
                # next tuple: advance the last task's list, carry to the left
                n = N - 1
                while n >= 0:
                    e = es[n] + 1
                    while e < mE and not cond[n, t, e]:
                        e += 1
                    if e < mE:
                        es[n] = e
                        break
                    e = 0
                    while not cond[n, t, e]:
                        e += 1
                    es[n] = e
                    n -= 1
                if n < 0:
                    break
        if J == 0:
            raise ValueError("attempt to get argmax of an empty sequence")  # as np.argmax
        top = -np.inf
        bi = 0
        bj = 0
        first = True
        for i in range(J):
            for j in range(J):
                for n in range(N):
                    vec[n] = D[ms[i, n], ms[j, n]]
                if average:
                    v = _np_sum(vec, 0, N, 1)
                else:
                    v = vec[0]
                    for n in range(1, N):
                        if vec[n] > v:
                            v = vec[n]
                if first or v > top:
                    top = v
                    bi = i
                    bj = j
                    first = False
        for n in range(N):
            pair_a[n] = ms[bi, n]
            pair_b[n] = ms[bj, n]
        iv[I_MODE] = 0
    else:
        # bound: per task the largest distance over the projections of (t, t')
        for n in range(N):
            for i in range(k):
                ti = tf[i]
                for j in range(k):
                    tj = tf[j]
                    v = -np.inf
                    ai = 0
                    for e in range(mE):
                        for e2 in range(mE):
                            d = (D[ti * mE + e, tj * mE + e2]
                                 if cond[n, ti, e] and cond[n, tj, e2] else -np.inf)
                            if e == 0 and e2 == 0:
                                v = d
                            elif d > v:
                                v = d
                                ai = e * mE + e2
                    best[n, i, j] = v
                    arg[n, i, j] = ai
        top = -np.inf
        bi = 0
        bj = 0
        first = True
        for i in range(k):
            for j in range(k):
                if average:
                    if k * k == 1:
                        v = _np_sum(best.reshape(-1), 0, N, mT * mT)
                    else:
                        v = best[0, i, j]
                        for n in range(1, N):
                            v += best[n, i, j]
                else:
                    v = best[0, i, j]
                    for n in range(1, N):
                        if best[n, i, j] > v:
                            v = best[n, i, j]
                tot[i, j] = v
                if first or v > top:
                    top = v
                    bi = i
                    bj = j
                    first = False
        for n in range(N):
            a = arg[n, bi, bj]
            pair_a[n] = tf[bi] * mE + a // mE
            pair_b[n] = tf[bj] * mE + a % mE
        iv[I_MODE] = 1
    fv[F_DELTA] = top
    if top <= fv[F_LIMIT]:
        iv[I_DONE] = 1
    elif iv[I_K] >= iv[I_KMAX]:
        iv[I_DONE] = 1
        iv[I_CENSORED] = 1


@njit(cache=True)
def umt_pairwise_run(Ptrue, P, logP, D, U, scale, toff, iv, fv, L, pair_a, pair_b, e_true,
                     max_it, trace_delta, trace_mode, trace_pairs):
    """Continue a UMTPSR run (pairwise planner) for at most ``max_it`` iterations.

    Ptrue (N, F) true laws; P, logP (M, F) the class; D (M, M) max-TV table;
    U uniforms (``N H`` per iteration); scale[h - 1] = A^-(H - h + 1);
    toff (H + 1,) table offsets; L (N, m_T, m_E), pair_a, pair_b (N,) state;
    e_true (N,) true task parts (with ``iv[I_TRUE_T]``) when coverage is tracked.
    trace_delta, trace_mode (max_it,) receive the certificate and mode of every
    iteration, trace_pairs (max_it, N, 2, or empty) the pair each task played.
    Returns the iterations run.
    """
    N = iv[I_N]
    mT = iv[I_MT]
    mE = iv[I_ME]
    O = iv[I_O]
    A = iv[I_A]
    H = iv[I_H]
    M = mT * mE
    F = P.shape[1]
    nt = toff[H]
    tabs = np.empty((N, nt), dtype=np.int64)
    depth = np.empty((N, F), dtype=np.int64)
    last_a = np.full(N, -1, dtype=np.int64)
    last_b = np.full(N, -1, dtype=np.int64)
    g = np.empty(F)
    work = np.empty(F)
    cdf = np.empty(F)
    idx = np.empty(H, dtype=np.int64)
    terms = np.empty(H)
    b = np.empty((N, mT))
    lam = np.empty(mT)
    cond = np.empty((N, mT, mE), dtype=np.bool_)
    tf = np.empty(mT, dtype=np.int64)
    sizes = np.empty((N, mT), dtype=np.int64)
    cap = max(iv[I_CAP], 1)
    ms = np.empty((cap, N), dtype=np.int64)
    tot = np.empty((mT, mT))
    best = np.empty((N, mT, mT))
    arg = np.empty((N, mT, mT), dtype=np.int64)
    vec = np.empty(max(N, 1))
    pos = 0
    it = 0
    while it < max_it and iv[I_DONE] == 0:
        for n in range(N):
            if trace_pairs.shape[0] > 0:
                trace_pairs[it, n, 0] = pair_a[n]
                trace_pairs[it, n, 1] = pair_b[n]
            lo = min(pair_a[n], pair_b[n])
            hi = max(pair_a[n], pair_b[n])
            if lo != last_a[n] or hi != last_b[n]:
                _tv_tables(P, lo, hi, O, A, H, g, work, tabs[n], toff)
                _follow_depth(tabs[n], toff, O, A, H, depth[n])
                last_a[n] = lo
                last_b[n] = hi
        for n in range(N):
            for h in range(1, H + 1):
                idx[h - 1] = _sample_nu(Ptrue[n], depth[n], h, scale[h - 1], U[pos], cdf)
                pos += 1
            for m in range(M):
                for h in range(H):
                    terms[h] = logP[m, idx[h]]
                L[n, m // mE, m % mE] += _sum_plays(terms, H, M)
        iv[I_K] += 1
        _umt_plan(L, D, iv, fv, b, lam, cond, tf, sizes, ms, tot, best, arg, pair_a, pair_b,
                  vec)
        trace_delta[it] = fv[F_DELTA]
        trace_mode[it] = iv[I_MODE]
        if iv[I_COVERED] == 1:
            if not _umt_contains(L, N, mT, mE, iv[I_TRUE_T], e_true, fv[F_BETA], b, lam, vec):
                iv[I_COVERED] = 0
        it += 1
    return it


# ------------------------------------------------------------ independent learners
@njit(cache=True)
def _ind_plan(L, D, iv, fv, iters, active, delta_n, pairs, inset, u, prev, fresh):
    """IndependentPSR._plan: per-task certificate and maximising pair, activity, stop.

    ``prev[n]`` is the set ``B_n`` of the last computation of task ``n`` and
    ``fresh[n]`` whether its result still holds when ``B_n`` has not changed.
    """
    N = L.shape[0]
    M = L.shape[1]
    beta = fv[F_BETA]
    for m in range(M):
        u[m] = 0
    for n in range(N):
        top = L[n, 0]
        for m in range(1, M):
            if L[n, m] > top:
                top = L[n, m]
        for m in range(M):
            inset[n, m] = L[n, m] >= top - beta
            if inset[n, m]:
                u[m] = 1
    for n in range(N):
        if fresh[n]:
            same = True
            for m in range(M):
                if inset[n, m] != prev[n, m]:
                    same = False
                    break
            if same:
                continue
        # vals = Bu_i Bu_j D_ij - 1 + Bu_i over u x u (u: models in some set): rows
        # outside B_n are -1, entries (i in B_n, j not in B_n) are 0 and those of
        # B_n x B_n are (D_ij - 1) + 1 >= 0. A positive maximum is attained in
        # B_n x B_n, at its first place there; a maximum of 0 first appears at
        # (first model of B_n, first model of u), which depends on u: not kept.
        v_best = -np.inf
        bi = -1
        bj = -1
        for i in range(M):
            if not inset[n, i]:
                continue
            for j in range(M):
                if not inset[n, j]:
                    continue
                v = (D[i, j] - 1.0) + 1.0
                if bi < 0 or v > v_best:
                    v_best = v
                    bi = i
                    bj = j
        if not v_best > 0.0:
            v_best = 0.0
            bj = 0
            while u[bj] == 0:
                bj += 1
            if inset[n, bj]:
                v_best = (D[bi, bj] - 1.0) + 1.0
        delta_n[n] = v_best
        pairs[n, 0] = bi
        pairs[n, 1] = bj
        for m in range(M):
            prev[n, m] = inset[n, m]
        fresh[n] = v_best > 0.0
    any_active = False
    for n in range(N):
        if active[n] and not (delta_n[n] > fv[F_LIMIT]):
            active[n] = False
        if active[n] and iters[n] >= iv[I_KMAX]:
            iv[I_CENSORED] = 1
            active[n] = False
        if active[n]:
            any_active = True
    iv[I_DONE] = 0 if any_active else 1


@njit(cache=True)
def independent_run(Ptrue, P, logP, D, U, scale, toff, iv, fv, L, iters, active, delta_n,
                    pairs, e_true, max_it, trace_pairs):
    """Continue an IndependentPSR run for at most ``max_it`` iterations or until the
    uniforms ``U`` (``H`` per active task and iteration) would run out.

    L (N, M), iters (N,), active (N,) bool, delta_n (N,), pairs (N, 2) are the
    agent's state; coverage of the true models ``iv[I_TRUE_T] * m_E + e_true`` is
    tracked in ``iv[I_COVERED]``. trace_pairs (max_it, N, 2) receives the pairs
    of the active tasks (-1 for the others) when not empty. Returns
    ``(iterations, uniforms used)``.
    """
    N = L.shape[0]
    M = L.shape[1]
    mE = iv[I_ME]
    O = iv[I_O]
    A = iv[I_A]
    H = iv[I_H]
    F = P.shape[1]
    nt = toff[H]
    tabs = np.empty((N, nt), dtype=np.int64)
    depth = np.empty((N, F), dtype=np.int64)
    last_a = np.full(N, -1, dtype=np.int64)
    last_b = np.full(N, -1, dtype=np.int64)
    g = np.empty(F)
    work = np.empty(F)
    cdf = np.empty(F)
    idx = np.empty(H, dtype=np.int64)
    terms = np.empty(H)
    inset = np.empty((N, M), dtype=np.bool_)
    u = np.empty(M, dtype=np.int64)
    prev = np.empty((N, M), dtype=np.bool_)
    fresh = np.zeros(N, dtype=np.bool_)
    pos = 0
    it = 0
    while it < max_it and iv[I_DONE] == 0:
        n_act = 0
        for n in range(N):
            if active[n]:
                n_act += 1
        if pos + n_act * H > U.shape[0]:
            break
        for n in range(N):
            if trace_pairs.shape[0] > 0:
                trace_pairs[it, n, 0] = pairs[n, 0] if active[n] else -1
                trace_pairs[it, n, 1] = pairs[n, 1] if active[n] else -1
            if not active[n]:
                continue
            lo = min(pairs[n, 0], pairs[n, 1])
            hi = max(pairs[n, 0], pairs[n, 1])
            if lo != last_a[n] or hi != last_b[n]:
                _tv_tables(P, lo, hi, O, A, H, g, work, tabs[n], toff)
                _follow_depth(tabs[n], toff, O, A, H, depth[n])
                last_a[n] = lo
                last_b[n] = hi
        for n in range(N):
            if not active[n]:
                continue
            for h in range(1, H + 1):
                idx[h - 1] = _sample_nu(Ptrue[n], depth[n], h, scale[h - 1], U[pos], cdf)
                pos += 1
            for m in range(M):
                for h in range(H):
                    terms[h] = logP[m, idx[h]]
                L[n, m] += _sum_plays(terms, H, M)
            iters[n] += 1
        _ind_plan(L, D, iv, fv, iters, active, delta_n, pairs, inset, u, prev, fresh)
        if iv[I_COVERED] == 1:
            for n in range(N):
                m = iv[I_TRUE_T] * mE + e_true[n]
                top = L[n, 0]
                for j in range(1, M):
                    if L[n, j] > top:
                        top = L[n, j]
                if not (L[n, m] >= top - fv[F_BETA]):
                    iv[I_COVERED] = 0
        it += 1
    return it, pos


# ------------------------------------------------------------------ UMT-PSR, ucb_tv
# One iteration is split in two around the O x O inverses, which stay with
# NumPy's LAPACK call: ucb_sample_update plays the current plan and builds the
# matrices U_h, the caller inverts them, ucb_finish_plan computes the bonus, plans
# and applies the stopping rule.
@njit(cache=True)
def _stable_mle(L, min_logged, p_min, N, mT, mE, Lc, b, lam, ms):
    """UMTPSR._stable_mle: the joint MLE over p_min-stable models (plain MLE if none)."""
    for n in range(N):
        for t in range(mT):
            for e in range(mE):
                Lc[n, t, e] = L[n, t, e] if min_logged[n, t * mE + e] >= p_min else -np.inf
    _umt_profiles(Lc, N, mT, mE, b, lam)
    finite = False
    for t in range(mT):
        if np.isfinite(lam[t]):
            finite = True
    if not finite:
        for n in range(N):
            for t in range(mT):
                for e in range(mE):
                    Lc[n, t, e] = L[n, t, e]
        _umt_profiles(Lc, N, mT, mE, b, lam)
    t = 0
    for j in range(1, mT):
        if lam[j] > lam[t]:
            t = j
    for n in range(N):
        e = 0
        for j in range(1, mE):
            if Lc[n, t, j] > Lc[n, t, e]:
                e = j
        ms[n] = t * mE + e


@njit(cache=True)
def ucb_sample_update(Ptrue, P, logP, U, pos, scale, toff, iv, fv, L, counts, coff,
                      min_logged, depth, psi, poff, ms, Umat, Lc, b, lam):
    """Play the current plan (``depth``: steps each trajectory follows it), update the
    likelihoods, prefix counts and smallest logged probabilities (UMTPSR.update),
    find the stable MLE ``ms`` and fill ``Umat[h, n]`` (U_h of ucb_tv_bonus).

    U[pos:pos + N H] are the uniforms of this iteration's plays; counts (N, sum_h
    (O A)^h) with offsets coff; psi (M, sum_h (O A)^h O) with offsets poff.
    """
    N = iv[I_N]
    mT = iv[I_MT]
    mE = iv[I_ME]
    O = iv[I_O]
    A = iv[I_A]
    H = iv[I_H]
    M = mT * mE
    F = P.shape[1]
    cdf = np.empty(F)
    idx = np.empty(H, dtype=np.int64)
    terms = np.empty(H)
    for n in range(N):
        for h in range(1, H + 1):
            idx[h - 1] = _sample_nu(Ptrue[n], depth[n], h, scale[h - 1], U[pos], cdf)
            pos += 1
        for m in range(M):
            for h in range(H):
                terms[h] = logP[m, idx[h]]
            L[n, m // mE, m % mE] += _sum_plays(terms, H, M)
        for h in range(H):
            # play h of the task used nu_{h+1}: count its length-h prefix
            counts[n, coff[h] + idx[h] // (O * A) ** (H - h)] += 1.0
            for m in range(M):
                v = P[m, idx[h]]
                if v < min_logged[n, m]:
                    min_logged[n, m] = v
    iv[I_K] += 1
    _stable_mle(L, min_logged, fv[F_PMIN], N, mT, mE, Lc, b, lam, ms)
    ridge = fv[F_RIDGE]
    for h in range(H):
        nh = (O * A) ** h
        for n in range(N):
            base = ms[n]
            for p in range(O):
                for q in range(O):
                    acc = 0.0
                    for i in range(nh):
                        acc += (psi[base, poff[h] + i * O + p] * counts[n, coff[h] + i]) \
                            * psi[base, poff[h] + i * O + q]
                    Umat[h, n, p, q] = (ridge if p == q else ridge * 0.0) + acc


@njit(cache=True)
def ucb_finish_plan(P, psi, poff, counts, coff, Winv, ms, iv, fv, tabs, toff, depth, vals,
                    s, g, work):
    """Bonus of the stable MLE from the inverses ``Winv[h, n]``, its max-sum plan per
    task (``tabs``, ``vals``), the certificate and the stop (UMTPSR._plan_ucb_tv);
    ``depth`` is refreshed for the next plays."""
    N = iv[I_N]
    O = iv[I_O]
    A = iv[I_A]
    H = iv[I_H]
    F = P.shape[1]
    alpha = fv[F_ALPHA]
    for n in range(N):
        base = ms[n]
        for f in range(F):
            s[f] = 0.0
        for h in range(H):
            nh = (O * A) ** h
            rest = (O * A) ** (H - h)
            for i in range(nh):
                acc = 0.0
                for p in range(O):
                    for q in range(O):
                        acc += (psi[base, poff[h] + i * O + p] * Winv[h, n, p, q]) \
                            * psi[base, poff[h] + i * O + q]
                for f in range(i * rest, (i + 1) * rest):
                    s[f] += acc
        for f in range(F):
            x = s[f]
            if not (x >= 0.0 or x != x):
                x = 0.0
            y = alpha * np.sqrt(x)
            if not (y <= 1.0 or y != y):
                y = 1.0
            g[f] = P[base, f] * y
        vals[n] = _maxsum_tables(g, O, A, H, work, tabs[n], toff)
        _follow_depth(tabs[n], toff, O, A, H, depth[n])
    if iv[I_AVERAGE] == 1:
        top = _np_sum(vals, 0, N, 1)
    else:
        top = vals[0]
        for n in range(1, N):
            if vals[n] > top:
                top = vals[n]
    fv[F_DELTA] = top
    if top <= fv[F_LIMIT]:
        iv[I_DONE] = 1
    elif iv[I_K] >= iv[I_KMAX]:
        iv[I_DONE] = 1
        iv[I_CENSORED] = 1
