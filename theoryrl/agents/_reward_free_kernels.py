"""Compiled loops of HF-UCRL-RFE++ (Zhang, Zhang & Gu, ICML 2023).

Arrays in, ``out`` arrays filled; no validation, no RNG, no Python objects.
Chains are stacked on a leading axis of length 2: index 0 is the "hat" chain
(regression of :math:`\\hat V`), index 1 the "tilde" chain (regression of the
pseudo-value :math:`\\tilde V`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..models._sampling_kernels import draw as _draw


@njit(cache=True)
def phi_v(Phi, s, a, V, out):
    """out[:] = sum_t Phi[s, a, t, :] * V[t] (zero entries of V skipped)."""
    S = Phi.shape[2]
    d = Phi.shape[3]
    for i in range(d):
        out[i] = 0.0
    for t in range(S):
        v = V[t]
        if v != 0.0:
            for i in range(d):
                out[i] += Phi[s, a, t, i] * v


@njit(cache=True)
def dot(x, y):
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i] * y[i]
    return acc


@njit(cache=True)
def quad(Minv, x):
    """x^T Minv x (clamped at 0 against round-off)."""
    d = x.shape[0]
    acc = 0.0
    for i in range(d):
        xi = x[i]
        if xi != 0.0:
            row = 0.0
            for j in range(d):
                row += Minv[i, j] * x[j]
            acc += xi * row
    return acc if acc > 0.0 else 0.0


@njit(cache=True)
def clip01(x):
    return 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)


@njit(cache=True)
def sherman_morrison(Ainv, x, w, v):
    """Ainv <- (A + w x x^T)^{-1} in place; v is a (d,) work array."""
    d = x.shape[0]
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += Ainv[i, j] * x[j]
        v[i] = acc
    denom = 1.0 + w * dot(x, v)
    c = w / denom
    for i in range(d):
        for j in range(d):
            Ainv[i, j] -= c * v[i] * v[j]


@njit(cache=True, inline="always")
def _quad_at(Minv, c, m, X, h, mx):
    """X[c, h, mx]^T Minv[c, m] X[c, h, mx] as :func:`quad` (indices, no slices)."""
    d = X.shape[3]
    acc = 0.0
    for i in range(d):
        xi = X[c, h, mx, i]
        if xi != 0.0:
            row = 0.0
            for j in range(d):
                row += Minv[c, m, i, j] * X[c, h, mx, j]
            acc += xi * row
    return acc if acc > 0.0 else 0.0


@njit(cache=True, inline="always")
def _mean_at(X, c, h, m, th):
    """clip01(<X[c, h, m], th[c, m]>)."""
    acc = 0.0
    for i in range(X.shape[3]):
        acc += X[c, h, m, i] * th[c, m, i]
    return clip01(acc)


@njit(cache=True, inline="always")
def _home_at(phis, c, h, th, Sdot_inv, Srun_inv, beta_k, alpha, gamma, error_bar, sig2, vbar,
             ebar):
    # HOME for chain c at step h, on (2, H, M, ...) records; see :func:`home`
    M = phis.shape[2]
    a2 = alpha * alpha
    g2 = gamma * gamma
    # the level-(m+1) mean and norm at level m are the level-m ones at level m+1
    p1 = _mean_at(phis, c, h, 0, th)
    q1 = _quad_at(Sdot_inv, c, 0, phis, h, 0) if error_bar else 0.0
    for m in range(M - 1):
        p0 = p1
        q0 = q1
        p1 = _mean_at(phis, c, h, m + 1, th)
        vb = p1 - p0 * p0
        e = 0.0
        if error_bar:
            q1 = _quad_at(Sdot_inv, c, m + 1, phis, h, m + 1)
            e = min(1.0, 2.0 * beta_k * np.sqrt(q0)) + min(1.0, beta_k * np.sqrt(q1))
        epi = g2 * np.sqrt(_quad_at(Srun_inv, c, m, phis, h, m))
        vbar[c, h, m] = vb
        ebar[c, h, m] = e
        sig2[c, h, m] = max(epi, max(vb + e, a2))
    m = M - 1
    vbar[c, h, m] = 1.0
    ebar[c, h, m] = 0.0
    sig2[c, h, m] = max(g2 * np.sqrt(_quad_at(Srun_inv, c, m, phis, h, m)), max(1.0, a2))


@njit(cache=True)
def home(phis, th, Sdot_inv, Srun_inv, beta_k, alpha, gamma, error_bar, sig2, vbar, ebar):
    """HOME, Algorithm 5: fill sig2, vbar, ebar (M,) for one chain at one step.

    sig2[m] = max(gamma^2 ||phi_m||_{Srun_m^-1}, Vbar_m + E_m, alpha^2), m <= M-2;
    sig2[M-1] = max(gamma^2 ||phi_{M-1}||_{Srun^-1}, 1, alpha^2).
    error_bar = 0 sets E_m = 0 (broken variant). The code :func:`update` runs.
    """
    M, d = phis.shape
    _home_at(np.ascontiguousarray(phis).reshape(1, 1, M, d), 0, 0,
             np.ascontiguousarray(th).reshape(1, M, d),
             np.ascontiguousarray(Sdot_inv).reshape(1, M, d, d),
             np.ascontiguousarray(Srun_inv).reshape(1, M, d, d), beta_k, alpha, gamma,
             error_bar, sig2.reshape(1, 1, M), vbar.reshape(1, 1, M), ebar.reshape(1, 1, M))


@njit(cache=True)
def select(Phi, s1, beta, th0, Sdot_inv0, Rc, pi, Vh, Vt, pi_best, V_best, pt, ph):
    """Selection step (D1 local optimism, D2 reward candidates): returns the
    chosen candidate index and fills pi_best (H, S), V_best (2, H+1, S).

    For each candidate r (C, H, S, A), backward over h:
      score(a) = min(1, beta ||phi_{Vt_{h+1}}||_{St^-1}) + 3 beta ||phi_{Vh_{h+1}}||_{Sh^-1}
                 + <phi_{Vh_{h+1}}, th_hat0>,
      pi = argmax score (unclipped, ties lowest index), Vh = clip01(max score),
      Vt = clip01(r(s, pi) + <phi_{Vt_{h+1}}(s, pi), th_til0>).
    Candidates are compared by the unclipped score at (0, s1) (pitfall P8).
    th0 (2, d), Sdot_inv0 (2, d, d): chain 0 hat, 1 tilde.
    """
    C, H, S, A = Rc.shape
    best = -np.inf
    best_c = -1
    for c in range(C):
        for s in range(S):
            Vh[H, s] = 0.0
            Vt[H, s] = 0.0
        raw0 = 0.0
        for h in range(H - 1, -1, -1):
            for s in range(S):
                bs = -np.inf
                ba = 0
                for a in range(A):
                    phi_v(Phi, s, a, Vt[h + 1], pt)
                    phi_v(Phi, s, a, Vh[h + 1], ph)
                    u = min(1.0, beta * np.sqrt(quad(Sdot_inv0[1], pt)))
                    sc = u + 3.0 * beta * np.sqrt(quad(Sdot_inv0[0], ph)) + dot(ph, th0[0])
                    if sc > bs:
                        bs = sc
                        ba = a
                pi[h, s] = ba
                Vh[h, s] = clip01(bs)
                phi_v(Phi, s, ba, Vt[h + 1], pt)
                Vt[h, s] = clip01(Rc[c, h, s, ba] + dot(pt, th0[1]))
                if h == 0 and s == s1:
                    raw0 = bs
        if raw0 > best:
            best = raw0
            best_c = c
            for h in range(H):
                for s in range(S):
                    pi_best[h, s] = pi[h, s]
            for h in range(H + 1):
                for s in range(S):
                    V_best[0, h, s] = Vh[h, s]
                    V_best[1, h, s] = Vt[h, s]
    return best_c


@njit(cache=True, inline="always")
def _rank_one3(Ainv, G, b, c, m, x0, x1, x2, w, y):
    # update()'s rank-one step for d = 3, written out: the same products and sums in
    # the same order (Sherman-Morrison on Ainv[c, m], then b and G)
    A = Ainv[c, m]
    v0 = ((0.0 + A[0, 0] * x0) + A[0, 1] * x1) + A[0, 2] * x2
    v1 = ((0.0 + A[1, 0] * x0) + A[1, 1] * x1) + A[1, 2] * x2
    v2 = ((0.0 + A[2, 0] * x0) + A[2, 1] * x1) + A[2, 2] * x2
    xv = ((0.0 + x0 * v0) + x1 * v1) + x2 * v2
    cw = w / (1.0 + w * xv)
    c0, c1, c2 = cw * v0, cw * v1, cw * v2
    A[0, 0] -= c0 * v0
    A[0, 1] -= c0 * v1
    A[0, 2] -= c0 * v2
    A[1, 0] -= c1 * v0
    A[1, 1] -= c1 * v1
    A[1, 2] -= c1 * v2
    A[2, 0] -= c2 * v0
    A[2, 1] -= c2 * v1
    A[2, 2] -= c2 * v2
    g = G[c, m]
    w0, w1, w2 = w * x0, w * x1, w * x2
    b[c, m, 0] += w0 * y
    g[0, 0] += w0 * x0
    g[0, 1] += w0 * x1
    g[0, 2] += w0 * x2
    b[c, m, 1] += w1 * y
    g[1, 0] += w1 * x0
    g[1, 1] += w1 * x1
    g[1, 2] += w1 * x2
    b[c, m, 2] += w2 * y
    g[2, 0] += w2 * x0
    g[2, 1] += w2 * x1
    g[2, 2] += w2 * x2


@njit(cache=True)
def update(Phi, states, actions, V, alpha, gamma, beta_k, weighted, error_bar,
           th, Sdot_inv, Srun_inv, G, b, rec_phi, rec_y, rec_sig, rec_vbar, rec_e, vtmp, tmp):
    """Algorithm 4 lines 8-15 for one episode (both chains, all M levels).

    V (2, H+1, S): the hat / tilde value sequences of the episode.
    th, Sdot_inv: frozen (2, M, d), (2, M, d, d); Srun_inv, G, b: running,
    updated in place (Sherman-Morrison on Srun_inv, G += w phi phi^T, b += w phi y).
    rec_* (2, H, M[, d]) record features, targets, sigma^2, Vbar, E.
    weighted = 0: sigma^2 = 1 (unweighted VTR, broken variant).
    Written with indices rather than sub-array arguments (each slice costs a
    reference-count update); the arithmetic is that of :func:`phi_v`,
    :func:`home` and :func:`sherman_morrison`.
    """
    H = actions.shape[0]
    M = th.shape[1]
    d = Phi.shape[3]
    S = Phi.shape[2]
    for h in range(H):
        s = states[h]
        a = actions[h]
        s2 = states[h + 1]
        for c in range(2):
            for t in range(S):
                vtmp[t] = V[c, h + 1, t]
            for m in range(M):
                for i in range(d):
                    rec_phi[c, h, m, i] = 0.0
                for t in range(S):
                    v = vtmp[t]
                    if v != 0.0:
                        for i in range(d):
                            rec_phi[c, h, m, i] += Phi[s, a, t, i] * v
                rec_y[c, h, m] = vtmp[s2]
                for t in range(S):
                    vtmp[t] = vtmp[t] * vtmp[t]
            if weighted:
                _home_at(rec_phi, c, h, th, Sdot_inv, Srun_inv, beta_k, alpha, gamma, error_bar,
                         rec_sig, rec_vbar, rec_e)
            else:
                for m in range(M):
                    rec_sig[c, h, m] = 1.0
                    rec_vbar[c, h, m] = 0.0
                    rec_e[c, h, m] = 0.0
            for m in range(M):
                nonzero = False
                for i in range(d):
                    if rec_phi[c, h, m, i] != 0.0:
                        nonzero = True
                if not nonzero:
                    continue  # a zero feature leaves Sigma^-1, G and b exactly as they are
                w = 1.0 / rec_sig[c, h, m]
                if d == 3:
                    _rank_one3(Srun_inv, G, b, c, m, rec_phi[c, h, m, 0], rec_phi[c, h, m, 1],
                               rec_phi[c, h, m, 2], w, rec_y[c, h, m])
                    continue
                # Sherman-Morrison, as sherman_morrison()
                for i in range(d):
                    acc = 0.0
                    for j in range(d):
                        acc += Srun_inv[c, m, i, j] * rec_phi[c, h, m, j]
                    tmp[i] = acc
                xv = 0.0
                for i in range(d):
                    xv += rec_phi[c, h, m, i] * tmp[i]
                cw = w / (1.0 + w * xv)
                for i in range(d):
                    for j in range(d):
                        Srun_inv[c, m, i, j] -= cw * tmp[i] * tmp[j]
                y = rec_y[c, h, m]
                for i in range(d):
                    xi = rec_phi[c, h, m, i]
                    b[c, m, i] += w * xi * y
                    for j in range(d):
                        G[c, m, i, j] += w * xi * rec_phi[c, h, m, j]


@njit(cache=True)
def distinct_actions(Phi, acts, n_acts):
    """acts[s, :n_acts[s]]: the actions a (ascending) whose features Phi[s, a] differ
    from those of every smaller action (bitwise; ``-0.0`` and ``0.0`` count as
    different, NaN as different from itself: both only keep more actions)."""
    S, A, T, d = Phi.shape
    for s in range(S):
        n = 0
        for a in range(A):
            new = True
            for j in range(n):
                b = acts[s, j]
                same = True
                for t in range(T):
                    for i in range(d):
                        x = Phi[s, a, t, i]
                        y = Phi[s, b, t, i]
                        if not (x == y and np.signbit(x) == np.signbit(y)):
                            same = False
                if same:
                    new = False
                    break
            if new:
                acts[s, n] = a
                n += 1
        n_acts[s] = n


@njit(cache=True)
def precompute_gram(Phi, th0, Sdot_inv0, Kmat, pmean, work, acts, n_acts):
    """Kmat[c, s, a] = Phi[s, a] Sdot_inv0[c] Phi[s, a]^T (S x S) and
    pmean[c, s, a] = Phi[s, a] th0[c] (S,), so that for any V,
    ||phi_V(s, a)||^2_{Sdot_inv0[c]} = V^T Kmat[c, s, a] V and
    <phi_V(s, a), th0[c]> = pmean[c, s, a] . V.  work: (S, d). Only the actions
    ``acts[s, :n_acts[s]]`` are filled (:func:`distinct_actions`)."""
    S, A, _, d = Phi.shape
    for c in range(2):
        for s in range(S):
            for ja in range(n_acts[s]):
                a = acts[s, ja]
                for t in range(S):
                    acc = 0.0
                    for i in range(d):
                        acc += Phi[s, a, t, i] * th0[c, i]
                        row = 0.0
                        for j in range(d):
                            row += Sdot_inv0[c, i, j] * Phi[s, a, t, j]
                        work[t, i] = row
                    pmean[c, s, a, t] = acc
                for t in range(S):
                    for u in range(t, S):
                        acc = 0.0
                        for i in range(d):
                            acc += Phi[s, a, t, i] * work[u, i]
                        Kmat[c, s, a, t, u] = acc
                        Kmat[c, s, a, u, t] = acc


@njit(cache=True, inline="always")
def _scores3(Kmat, pmean, s, a, vt, vh, beta, b3, sc):
    # select_gram's scores of action a at state s for every candidate lane when S = 3:
    # the same sums in the same order, written out so that one loop over the lanes
    # holds the whole computation (vectorised, accumulators in registers)
    t00, t01, t02 = Kmat[1, s, a, 0, 0], Kmat[1, s, a, 0, 1], Kmat[1, s, a, 0, 2]
    t10, t11, t12 = Kmat[1, s, a, 1, 0], Kmat[1, s, a, 1, 1], Kmat[1, s, a, 1, 2]
    t20, t21, t22 = Kmat[1, s, a, 2, 0], Kmat[1, s, a, 2, 1], Kmat[1, s, a, 2, 2]
    h00, h01, h02 = Kmat[0, s, a, 0, 0], Kmat[0, s, a, 0, 1], Kmat[0, s, a, 0, 2]
    h10, h11, h12 = Kmat[0, s, a, 1, 0], Kmat[0, s, a, 1, 1], Kmat[0, s, a, 1, 2]
    h20, h21, h22 = Kmat[0, s, a, 2, 0], Kmat[0, s, a, 2, 1], Kmat[0, s, a, 2, 2]
    p0, p1, p2 = pmean[0, s, a, 0], pmean[0, s, a, 1], pmean[0, s, a, 2]
    for c in range(sc.shape[0]):
        v0, v1, v2 = vt[0, c], vt[1, c], vt[2, c]
        w0, w1, w2 = vh[0, c], vh[1, c], vh[2, c]
        r0 = ((0.0 + t00 * v0) + t01 * v1) + t02 * v2
        r1 = ((0.0 + t10 * v0) + t11 * v1) + t12 * v2
        r2 = ((0.0 + t20 * v0) + t21 * v1) + t22 * v2
        qt = ((0.0 + v0 * r0) + v1 * r1) + v2 * r2
        g0 = ((0.0 + h00 * w0) + h01 * w1) + h02 * w2
        g1 = ((0.0 + h10 * w0) + h11 * w1) + h12 * w2
        g2 = ((0.0 + h20 * w0) + h21 * w1) + h22 * w2
        qh = ((0.0 + w0 * g0) + w1 * g1) + w2 * g2
        mh = ((0.0 + p0 * w0) + p1 * w1) + p2 * w2
        qt = qt if qt > 0.0 else 0.0
        qh = qh if qh > 0.0 else 0.0
        sc[c] = min(1.0, beta * np.sqrt(qt)) + b3 * np.sqrt(qh) + mh


@njit(cache=True)
def select_gram(Kmat, pmean, s1, beta, Rc, pi, Vh, Vt, pi_best, V_best, acts, n_acts):
    """Same as :func:`select`, with the quadratic forms and means read from
    :func:`precompute_gram` (cost S^2 instead of S d + d^2 per (s, a); used
    when S^2 <= S d + d^2). All candidates run side by side (the candidate
    index innermost, padded to a multiple of 16 lanes so that the compiler's
    vector loops apply); each candidate's arithmetic is the sequential one of
    :func:`select`'s score, so the result does not depend on the layout. Only the
    actions ``acts[s, :n_acts[s]]`` are scored (:func:`distinct_actions`): an action
    whose features equal those of an earlier one has the same score, which never
    beats the earlier one's (ties go to the lowest index), so skipping it changes
    nothing. ``pi``, ``Vh``, ``Vt`` are not used (the signature is :func:`select`'s)."""
    C0, H, S, A = Rc.shape
    C = (C0 + 15) // 16 * 16
    VhC = np.zeros((H + 1, S, C))
    VtC = np.zeros((H + 1, S, C))
    piC = np.zeros((H, S, C), dtype=np.int64)
    rt = np.empty(C)
    rh = np.empty(C)
    qt = np.empty(C)
    qh = np.empty(C)
    mh = np.empty(C)
    sc = np.empty(C)
    bs = np.empty(C)
    ba = np.empty(C, dtype=np.int64)
    raw0 = np.zeros(C)
    b3 = 3.0 * beta
    for h in range(H - 1, -1, -1):
        vt = VtC[h + 1]
        vh = VhC[h + 1]
        for s in range(S):
            for c in range(C):
                bs[c] = -np.inf
                ba[c] = 0
            for ja in range(n_acts[s]):
                a = acts[s, ja]
                if S == 3:
                    _scores3(Kmat, pmean, s, a, vt, vh, beta, b3, sc)
                    for c in range(C):
                        if sc[c] > bs[c]:
                            bs[c] = sc[c]
                            ba[c] = a
                    continue
                for c in range(C):
                    qt[c] = 0.0
                    qh[c] = 0.0
                    mh[c] = 0.0
                for t in range(S):
                    for c in range(C):
                        rt[c] = 0.0
                        rh[c] = 0.0
                    for u in range(S):
                        kt = Kmat[1, s, a, t, u]
                        kh = Kmat[0, s, a, t, u]
                        for c in range(C):
                            rt[c] += kt * vt[u, c]
                            rh[c] += kh * vh[u, c]
                    pm = pmean[0, s, a, t]
                    for c in range(C):
                        qt[c] += vt[t, c] * rt[c]
                        qh[c] += vh[t, c] * rh[c]
                        mh[c] += pm * vh[t, c]
                for c in range(C):
                    q1 = qt[c] if qt[c] > 0.0 else 0.0
                    q2 = qh[c] if qh[c] > 0.0 else 0.0
                    sc[c] = min(1.0, beta * np.sqrt(q1)) + b3 * np.sqrt(q2) + mh[c]
                for c in range(C):
                    if sc[c] > bs[c]:
                        bs[c] = sc[c]
                        ba[c] = a
            for c in range(C0):
                b_ = ba[c]
                piC[h, s, c] = b_
                VhC[h, s, c] = clip01(bs[c])
                acc = 0.0
                for t in range(S):
                    acc += pmean[1, s, b_, t] * vt[t, c]
                VtC[h, s, c] = clip01(Rc[c, h, s, b_] + acc)
                if h == 0 and s == s1:
                    raw0[c] = bs[c]
    best = -np.inf
    best_c = -1
    for c in range(C0):
        if raw0[c] > best:
            best = raw0[c]
            best_c = c
    c = best_c
    for h in range(H):
        for s in range(S):
            pi_best[h, s] = piC[h, s, c]
    for h in range(H + 1):
        for s in range(S):
            V_best[0, h, s] = VhC[h, s, c]
            V_best[1, h, s] = VtC[h, s, c]
    return best_c


@njit(cache=True)
def estimators(Sinv, b, th):
    """th[c, m] = Sinv[c, m] @ b[c, m] (2.6.3), each entry summed in two interleaved
    partial sums (even and odd indices, in blocks of 8 from the end of each block),
    the order of NumPy's einsum for this contraction with 128-bit vectors, so that
    the numbers do not depend on whether the per-episode or the compiled path ran."""
    C, M, d = b.shape
    for c in range(C):
        for m in range(M):
            for i in range(d):
                row = Sinv[c, m, i]
                x = b[c, m]
                l0 = 0.0
                l1 = 0.0
                j = 0
                while d - j >= 8:
                    t0 = row[j + 6] * x[j + 6] + l0
                    t1 = row[j + 7] * x[j + 7] + l1
                    t0 = row[j + 4] * x[j + 4] + t0
                    t1 = row[j + 5] * x[j + 5] + t1
                    t0 = row[j + 2] * x[j + 2] + t0
                    t1 = row[j + 3] * x[j + 3] + t1
                    l0 = row[j] * x[j] + t0
                    l1 = row[j + 1] * x[j + 1] + t1
                    j += 8
                while j < d:
                    l0 = row[j] * x[j] + l0
                    if j + 1 < d:
                        l1 = row[j + 1] * x[j + 1] + l1
                    else:
                        l1 = 0.0 + l1
                    j += 2
                th[c, m, i] = 0.0 + (l0 + l1)


@njit(cache=True)
def max_coverage_ratio(th, Gdot, theta_star, beta_k):
    r"""max over (c, m) of :math:`\|\theta_{c,m} - \theta^*\|_{\dot G_{c,m}} / \beta_k`
    (the quadratic form summed row-major, as ``coverage_ratios``)."""
    C, M, d = th.shape
    worst = -np.inf
    for c in range(C):
        for m in range(M):
            q = 0.0
            for i in range(d):
                di = th[c, m, i] - theta_star[i]
                for j in range(d):
                    q = di * Gdot[c, m, i, j] * (th[c, m, j] - theta_star[j]) + q
            r = np.sqrt(q if q > 0.0 else 0.0) / beta_k
            if r > worst:
                worst = r
    return worst


@njit(cache=True)
def explore(Phi, s1, gram, beta_sel, radii, Rc, Pcum, init_cum, U, alpha, gamma, weighted,
            error_bar, reinvert_every, k0, theta_star, monitor, th, Sdot_inv, Srun_inv, G, Gdot,
            b, th0, Sd0, Kmat, pmean, gwork, acts, n_acts, pi_work, Vh_work, Vt_work, pi, V, pt,
            ph, rec_phi, rec, vtmp, tmp, states, actions, vhat, out):
    """Whole episodes of HF-UCRL-RFE++ in one call: the per-episode sequence
    ``policy`` (selection), rollout, ``update`` of :class:`HFUCRLRFEpp`, with the
    same arithmetic, for episodes ``k0, k0 + 1, ...`` (1-based), one row of ``U``
    (H + 1 uniforms: initial state, then each transition) per episode.

    ``beta_sel[i]`` / ``radii[i]``: the selection radius and :math:`\\beta_k` of
    episode ``k0 + i``. Stops after the episode that completes a multiple of
    ``reinvert_every`` (the caller re-inverts the Gram matrices and finishes that
    episode's end-of-episode step) or after ``len(U)`` episodes; returns the
    number of episodes run. ``monitor``: record into ``out[1]`` the largest
    coverage ratio of the frozen estimators of each episode (``theta_star``);
    ``out[0]`` receives the last selected candidate.
    """
    n = U.shape[0]
    H = pi.shape[0]
    M = th.shape[1]
    d = th.shape[2]
    for i in range(n):
        k = k0 + i
        for c in range(2):
            for p in range(d):
                th0[c, p] = th[c, 0, p]
                for q in range(d):
                    Sd0[c, p, q] = Sdot_inv[c, 0, p, q]
        if gram:
            precompute_gram(Phi, th0, Sd0, Kmat, pmean, gwork, acts, n_acts)
            cand = select_gram(Kmat, pmean, s1, beta_sel[i], Rc, pi_work, Vh_work, Vt_work,
                               pi, V, acts, n_acts)
        else:
            cand = select(Phi, s1, beta_sel[i], th0, Sd0, Rc, pi_work, Vh_work, Vt_work, pi,
                          V, pt, ph)
        out[0] = cand
        vhat[i] = V[0, 0, s1]
        u = U[i]
        s = _draw(init_cum, u[0])
        states[0] = s
        HP = Pcum.shape[0]
        for h in range(H):
            a = pi[h, s]
            actions[h] = a
            s = _draw(Pcum[h % HP, s, a], u[h + 1])
            states[h + 1] = s
        if monitor:
            r = max_coverage_ratio(th, Gdot, theta_star, radii[i])
            if r > out[1]:
                out[1] = r
        update(Phi, states, actions, V, alpha, gamma, radii[i], weighted, error_bar, th,
               Sdot_inv, Srun_inv, G, b, rec_phi, rec[0], rec[1], rec[2], rec[3], vtmp, tmp)
        if k % reinvert_every == 0:
            return i + 1
        for c in range(2):
            for m in range(M):
                for p in range(d):
                    for q in range(d):
                        Sdot_inv[c, m, p, q] = Srun_inv[c, m, p, q]
                        Gdot[c, m, p, q] = G[c, m, p, q]
        estimators(Srun_inv, b, th)
    return n
