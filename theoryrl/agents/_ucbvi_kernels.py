"""Compiled optimistic backward induction on empirical counts (UCBVI family)."""

import numpy as np
from numba import njit, prange

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


# -- whole runs: every episode of one seed in one call ------------------------------------
# The helpers below copy the arithmetic of the episode driver's kernels
# (theoryrl.models._sampling_kernels.draw, theoryrl.experiment._kernels.simulate_deterministic,
# theoryrl.planning._kernels.evaluate_deterministic_update): numba's on-disk cache does not
# see changes to functions of other modules (see _matvec). tests/test_batched.py checks the
# whole run against the Python episode loop bit for bit.

@njit(cache=True)
def _draw(cdf, u):
    # first index whose cumulative mass exceeds u; the last index absorbs rounding
    n = cdf.shape[0]
    for i in range(n):
        if u < cdf[i]:
            return i
    return n - 1


@njit(cache=True)
def _simulate(Pcum, R, init_cum, pi, u, states, actions):
    """Roll out pi (H, S) from s0 ~ init with the uniforms u (H+1,)."""
    H = pi.shape[0]
    HP = Pcum.shape[0]
    s = _draw(init_cum, u[0])
    states[0] = s
    for h in range(H):
        a = pi[h, s]
        actions[h] = a
        s = _draw(Pcum[h % HP, s, a], u[h + 1])
        states[h + 1] = s


@njit(cache=True)
def _matvec_policy(M, pi, v, out):
    """out[s] = M[s, pi[s]] @ v for M (S, A, n); each row summed left to right from 0.0,
    eight rows at once so their addition chains overlap."""
    S = M.shape[0]
    n = M.shape[2]
    s = 0
    while s + 8 <= S:
        x0 = M[s, pi[s]]
        x1 = M[s + 1, pi[s + 1]]
        x2 = M[s + 2, pi[s + 2]]
        x3 = M[s + 3, pi[s + 3]]
        x4 = M[s + 4, pi[s + 4]]
        x5 = M[s + 5, pi[s + 5]]
        x6 = M[s + 6, pi[s + 6]]
        x7 = M[s + 7, pi[s + 7]]
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
        out[s] = a0
        out[s + 1] = a1
        out[s + 2] = a2
        out[s + 3] = a3
        out[s + 4] = a4
        out[s + 5] = a5
        out[s + 6] = a6
        out[s + 7] = a7
        s += 8
    while s < S:
        x0 = M[s, pi[s]]
        a0 = 0.0
        for t in range(n):
            a0 += x0[t] * v[t]
        out[s] = a0
        s += 1


@njit(cache=True)
def _evaluate_update(P, R, pi, prev, W, pv):
    """Turn W (H+1, S), the values of the policy ``prev``, into those of pi (H, S):
    only the stages at or before the last one where pi and prev differ are recomputed
    (W_h depends on pi_h, ..., pi_{H-1} only); copies pi into prev."""
    H = pi.shape[0]
    S = pi.shape[1]
    HP = P.shape[0]
    HR = R.shape[0]
    top = -1
    for h in range(H - 1, -1, -1):
        for s in range(S):
            if pi[h, s] != prev[h, s]:
                top = h
                break
        if top >= 0:
            break
    for h in range(top, -1, -1):
        Rh = R[h % HR]
        _matvec_policy(P[h % HP], pi[h], W[h + 1], pv)
        for s in range(S):
            W[h, s] = Rh[s, pi[h, s]] + pv[s]
            prev[h, s] = pi[h, s]


@njit(cache=True)
def run_seed(Pcum, P, R, init_cum, u, Rk, L, kind, scale, optimistic_init, plan_v0, played_v0):
    """Every episode of one UCBVI run, in order: plan from the counts, roll out the
    greedy policy with the uniforms ``u[k]`` (K, H+1), evaluate it exactly, add the
    episode to the counts.

    Pcum (HP, S, A, S) cumulative true kernel, P (HP, S, A, S) true kernel, R (HR, S, A)
    true rewards, init_cum (S,) cumulative initial law; Rk (HK, S, A) the rewards the
    agent knows; L, kind, scale, optimistic_init as in :func:`_plan`. Fills
    ``plan_v0[k]`` (K, S) with the optimistic values V_bar_0 of episode k's plan and
    ``played_v0[k]`` (K, S) with the exact values V^pi_0 of the policy played (the
    caller takes their products with the initial law).
    """
    K = u.shape[0]
    H = u.shape[1] - 1
    S = P.shape[1]
    A = P.shape[2]
    N = np.zeros((S, A, S))
    NT = np.zeros((S, S * A))
    n = np.zeros((S, A), dtype=np.int64)
    nstate = np.zeros((H + 1, S))
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    b = np.empty((H, S, A))
    W = np.zeros((H + 1, S))
    prev = np.full((H, S), -1, dtype=np.int64)
    pv = np.empty(S)
    states = np.empty(H + 1, dtype=np.int64)
    actions = np.empty(H, dtype=np.int64)
    for k in range(K):
        _plan(N, NT, True, n, nstate, Rk, H, L, kind, scale, optimistic_init, V, Q, pi, b)
        _simulate(Pcum, R, init_cum, pi, u[k], states, actions)
        _evaluate_update(P, R, pi, prev, W, pv)
        add_episode_t(N, NT, n, nstate, states, actions)
        for s in range(S):
            plan_v0[k, s] = V[0, s]
            played_v0[k, s] = W[0, s]


@njit(cache=True)
def run_seeds(Pcum, P, R, init_cum, U, Rk, L, kind, scale, optimistic_init, plan_v0, played_v0):
    """:func:`run_seed` for each seed i (``U[i]``, ``plan_v0[i]``, ``played_v0[i]``), in turn."""
    for i in range(U.shape[0]):
        run_seed(Pcum, P, R, init_cum, U[i], Rk, L, kind, scale, optimistic_init, plan_v0[i],
                 played_v0[i])


@njit(cache=True, parallel=True)
def run_seeds_parallel(Pcum, P, R, init_cum, U, Rk, L, kind, scale, optimistic_init, plan_v0,
                       played_v0):
    """:func:`run_seeds` with the seeds spread over numba's threads; each seed's
    numbers do not depend on the thread that runs it."""
    for i in prange(U.shape[0]):
        run_seed(Pcum, P, R, init_cum, U[i], Rk, L, kind, scale, optimistic_init, plan_v0[i],
                 played_v0[i])
