"""Compiled optimistic backward induction on empirical counts (UCBVI family)."""

import numpy as np
from numba import njit

HOEFFDING = 0
BERNSTEIN = 1
L1 = 2


@njit(cache=True)
def _matvec(M, v, out):
    """out[s * A + a] = M[s, a] @ v for M (S, A, n).

    Each row is summed left to right from 0.0 (bit-identical to the plain
    loop); eight rows at once so their addition chains overlap. A copy of
    ``theoryrl.planning._kernels._matvec``: numba's on-disk cache does not see
    changes to functions of other modules, so kernels do not import each other.
    """
    A = M.shape[1]
    n = M.shape[2]
    rows = M.shape[0] * A
    r = 0
    while r + 8 <= rows:
        x0 = M[r // A, r % A]
        x1 = M[(r + 1) // A, (r + 1) % A]
        x2 = M[(r + 2) // A, (r + 2) % A]
        x3 = M[(r + 3) // A, (r + 3) % A]
        x4 = M[(r + 4) // A, (r + 4) % A]
        x5 = M[(r + 5) // A, (r + 5) % A]
        x6 = M[(r + 6) // A, (r + 6) % A]
        x7 = M[(r + 7) // A, (r + 7) % A]
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        a4 = 0.0
        a5 = 0.0
        a6 = 0.0
        a7 = 0.0
        for t in range(n):
            vt = v[t]
            a0 += x0[t] * vt
            a1 += x1[t] * vt
            a2 += x2[t] * vt
            a3 += x3[t] * vt
            a4 += x4[t] * vt
            a5 += x5[t] * vt
            a6 += x6[t] * vt
            a7 += x7[t] * vt
        out[r] = a0
        out[r + 1] = a1
        out[r + 2] = a2
        out[r + 3] = a3
        out[r + 4] = a4
        out[r + 5] = a5
        out[r + 6] = a6
        out[r + 7] = a7
        r += 8
    while r < rows:
        x0 = M[r // A, r % A]
        a0 = 0.0
        for t in range(n):
            a0 += x0[t] * v[t]
        out[r] = a0
        r += 1


@njit(cache=True)
def _matvec_t(MT, v, out):
    """out[r] = sum_t MT[t, r] v[t] for MT (n, R) (transposed counts).

    Each sum runs over t left to right from 0.0, bit-identical to
    :func:`_matvec` on the untransposed array; the inner loop over r is
    contiguous and vectorises without reordering any sum. A copy of
    ``theoryrl.planning._kernels._matvec_t`` (see :func:`_matvec`).
    """
    n = MT.shape[0]
    R = MT.shape[1]
    for r in range(R):
        out[r] = 0.0
    t = 0
    while t + 4 <= n:
        v0 = v[t]
        v1 = v[t + 1]
        v2 = v[t + 2]
        v3 = v[t + 3]
        m0 = MT[t]
        m1 = MT[t + 1]
        m2 = MT[t + 2]
        m3 = MT[t + 3]
        for r in range(R):
            out[r] = (((out[r] + m0[r] * v0) + m1[r] * v1) + m2[r] * v2) + m3[r] * v3
        t += 4
    while t < n:
        v0 = v[t]
        m0 = MT[t]
        for r in range(R):
            out[r] = out[r] + m0[r] * v0
        t += 1


@njit(cache=True)
def optimistic_plan(N, n, nstate, R, H, L, kind, scale, optimistic_init, V, Q, pi, bonus_out):
    """Optimistic backward induction from the counts N (S, A, S); see :func:`_plan`."""
    _plan(N, np.empty((0, 0)), False, n, nstate, R, H, L, kind, scale, optimistic_init,
          V, Q, pi, bonus_out)


@njit(cache=True)
def optimistic_plan_t(N, NT, n, nstate, R, H, L, kind, scale, optimistic_init, V, Q, pi,
                      bonus_out):
    """:func:`optimistic_plan` with the transposed counts NT (S, S * A) kept by
    :func:`add_episode_t` (``NT[t, s * A + a] = N[s, a, t]``): the same numbers,
    bit for bit, about twice as fast (SIMD over pairs)."""
    _plan(N, NT, True, n, nstate, R, H, L, kind, scale, optimistic_init, V, Q, pi, bonus_out)


@njit(cache=True)
def _plan(N, NT, transposed, n, nstate, R, H, L, kind, scale, optimistic_init, V, Q, pi,
          bonus_out):
    """Fill V (H+1, S) (V[H] = 0), Q (H, S, A), pi (H, S), bonus_out (H, S, A).

    N (S, A, S) transition counts, n (S, A) visit counts, nstate (H+1, S)
    visits of each state at each step (Bernstein correction), R (HR, S, A).
    Q_h(s, a) = min(H - h, R + P_hat V_{h+1} + b_h(s, a)); when n = 0, Q = H - h
    if optimistic_init else R (the certainty-equivalent broken variant).
    L is the log factor of the chosen bonus (see ucbvi.py).

    The stage-independent factors of the CH and L1 bonuses are computed once
    per call, and the counts-times-values products of a stage in one pass
    (:func:`_matvec`); every number is bit-identical to the plain per-pair loop.
    """
    S = N.shape[0]
    A = N.shape[1]
    HR = R.shape[0]
    Sf = float(S)
    Af = float(A)
    Hf = float(H)
    V[H, :] = 0.0
    pvs = np.empty(S * A)
    base = np.empty(S * A)  # 7 H L / sqrt(n) (CH) or sqrt(2 (S ln 2 + L) / n) (L1)
    for s in range(S):
        for a in range(A):
            m = n[s, a]
            if m > 0:
                mf = float(m)
                if kind == HOEFFDING:
                    base[s * A + a] = 7.0 * Hf * L / np.sqrt(mf)
                elif kind == L1:
                    base[s * A + a] = np.sqrt(2.0 * (Sf * np.log(2.0) + L) / mf)
    for h in range(H - 1, -1, -1):
        cap = Hf - h
        rng_v = cap - 1.0  # V_{h+1} takes values in [0, H - h - 1]
        if transposed:
            _matvec_t(NT, V[h + 1], pvs)
        else:
            _matvec(N, V[h + 1], pvs)
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                m = n[s, a]
                if m == 0:
                    q = cap if optimistic_init else R[h % HR, s, a]
                    b = np.inf
                else:
                    mf = float(m)
                    pv = pvs[s * A + a] / mf
                    if kind == HOEFFDING:
                        b = base[s * A + a]
                    elif kind == L1:
                        b = 0.5 * rng_v * base[s * A + a]
                    else:
                        var = 0.0
                        corr = 0.0
                        for t in range(S):
                            if N[s, a, t] > 0:
                                p = N[s, a, t] / mf
                                d = V[h + 1, t] - pv
                                var += p * d * d
                                if h + 1 < H:
                                    c = 1.0e4 * Hf ** 3 * Sf ** 2 * Af * L ** 2 / max(
                                        nstate[h + 1, t], 1.0)
                                    corr += p * min(c, Hf * Hf)
                        b = (np.sqrt(8.0 * L * var / mf) + 14.0 * Hf * L / (3.0 * mf)
                             + np.sqrt(8.0 * corr / mf))
                    b *= scale
                    q = R[h % HR, s, a] + pv + b
                    if q > cap:
                        q = cap
                Q[h, s, a] = q
                bonus_out[h, s, a] = b
                if q > best:
                    best = q
                    arg = a
            pi[h, s] = arg
            V[h, s] = best


@njit(cache=True)
def add_episode(N, n, nstate, states, actions):
    """Add one trajectory's transitions to the counts."""
    H = actions.shape[0]
    for h in range(H):
        s = states[h]
        a = actions[h]
        N[s, a, states[h + 1]] += 1.0
        n[s, a] += 1
        nstate[h, s] += 1.0
    nstate[H, states[H]] += 1.0


@njit(cache=True)
def add_episode_t(N, NT, n, nstate, states, actions):
    """:func:`add_episode`, also counting into the transposed NT (S, S * A)."""
    H = actions.shape[0]
    A = N.shape[1]
    for h in range(H):
        s = states[h]
        a = actions[h]
        N[s, a, states[h + 1]] += 1.0
        NT[states[h + 1], s * A + a] += 1.0
        n[s, a] += 1
        nstate[h, s] += 1.0
    nstate[H, states[H]] += 1.0
