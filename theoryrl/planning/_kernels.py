"""Compiled dynamic-programming loops.

Kernels take float64 C-contiguous arrays and fill ``out`` arrays allocated by
the caller; they do no validation and hold no Python objects. Stage-dependent
and stationary inputs share one code path: a leading axis of length 1 or H is
indexed with ``h % len`` (``h % 1 == 0``), so stationary models are never copied
H times.
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic


@njit(cache=True)
def _matvec(M, v, out):
    """out[s * A + a] = M[s, a] @ v for M (S, A, n), any layout.

    Each row is summed left to right from 0.0, exactly as the plain loop
    ``acc += M[s, a, t] * v[t]`` does, so the result is bit-identical to it;
    eight rows run at once, so the eight dependent addition chains overlap
    (the plain loop is bound by the latency of one chain).
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
    """out[r] = sum_t MT[t, r] v[t] for MT (n, R), the transposed layout.

    Each out[r] is summed over t left to right from 0.0, so it is
    bit-identical to the plain row loop ``acc += M[r, t] * v[t]``; the inner
    loop runs over r, contiguous and independent across r, which the compiler
    turns into SIMD code without reordering any sum.
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
def _matvec_t8(MT, v, out):
    """out[r] = sum_t MT[t, r] v[t] for MT (n, R): :func:`_matvec_t` taking eight t a pass.

    Each out[r] is still one chain ``((0.0 + MT[0, r] v[0]) + MT[1, r] v[1]) + ...``
    in the textbook order, with a multiply and an add per term (no fused multiply-add),
    so the result is bit-identical to the plain loop. Eight terms a pass halve the
    loads and stores of ``out`` against four; the loop over r has no dependence
    between iterations and compiles to SIMD code. Use R a multiple of 8 (zero
    padding columns) so that no scalar remainder runs.
    """
    n = MT.shape[0]
    R = MT.shape[1]
    for r in range(R):
        out[r] = 0.0
    t = 0
    while t + 8 <= n:
        v0 = v[t]
        v1 = v[t + 1]
        v2 = v[t + 2]
        v3 = v[t + 3]
        v4 = v[t + 4]
        v5 = v[t + 5]
        v6 = v[t + 6]
        v7 = v[t + 7]
        m0 = MT[t]
        m1 = MT[t + 1]
        m2 = MT[t + 2]
        m3 = MT[t + 3]
        m4 = MT[t + 4]
        m5 = MT[t + 5]
        m6 = MT[t + 6]
        m7 = MT[t + 7]
        for r in range(R):
            out[r] = (((((((out[r] + m0[r] * v0) + m1[r] * v1) + m2[r] * v2) + m3[r] * v3)
                        + m4[r] * v4) + m5[r] * v5) + m6[r] * v6) + m7[r] * v7
        t += 8
    while t < n:
        v0 = v[t]
        m0 = MT[t]
        for r in range(R):
            out[r] = out[r] + m0[r] * v0
        t += 1


_LANES = 4  # doubles in an AVX2 register
_BLOCK_VECTORS = 8  # accumulators held in registers: 32 columns a block


@intrinsic
def _columns32(typingctx, MT, v, out, rb):
    """out[rb:rb + 32] = sum_t MT[t, rb:rb + 32] v[t] for a C-contiguous MT (n, R),
    each sum left to right from 0.0 with a multiply and an add per term.

    Written in LLVM IR because numba offers no vector type: the 32 running sums sit
    in eight 4-wide registers for the whole loop over t (the compiler does not keep
    scalar accumulators in vectors by itself), so a term costs a load, a multiply
    and an add, with no load and store of ``out``. No fast-math flag is set, so LLVM
    neither fuses the multiply and the add nor reorders the sums: bit-identical to the
    plain loop. The caller guarantees rb + 32 <= R.
    """
    if not (all(isinstance(x, types.Array) and x.dtype == types.float64 and x.layout == "C"
                for x in (MT, v, out)) and MT.ndim == 2 and isinstance(rb, types.Integer)):
        return None  # the IR below reads raw contiguous float64 memory
    sig = types.void(MT, v, out, rb)

    def codegen(context, builder, signature, args):
        mt, vv, oo, rbv = args
        rbv = context.cast(builder, rbv, signature.args[3], types.int64)
        m_arr = context.make_array(signature.args[0])(context, builder, mt)
        v_arr = context.make_array(signature.args[1])(context, builder, vv)
        o_arr = context.make_array(signature.args[2])(context, builder, oo)
        vec = ir.VectorType(ir.DoubleType(), _LANES)
        i64 = ir.IntType(64)
        byte_ptr = ir.IntType(8).as_pointer()
        n = builder.extract_value(m_arr.shape, 0)
        row_bytes = builder.extract_value(m_arr.strides, 0)
        with builder.goto_entry_block():  # allocas there become registers (mem2reg)
            accs = [builder.alloca(vec) for _ in range(_BLOCK_VECTORS)]
        for acc in accs:
            builder.store(ir.Constant(vec, [0.0] * _LANES), acc)
        col_bytes = builder.mul(rbv, ir.Constant(i64, 8))
        base = builder.bitcast(m_arr.data, byte_ptr)
        lanes0 = ir.Constant(ir.VectorType(ir.IntType(32), _LANES), [0] * _LANES)
        with cgutils.for_range(builder, n) as loop:
            t = loop.index
            vt = builder.load(builder.gep(v_arr.data, [t]))
            vb = builder.insert_element(ir.Constant(vec, ir.Undefined), vt,
                                        ir.Constant(ir.IntType(32), 0))
            vb = builder.shuffle_vector(vb, ir.Constant(vec, ir.Undefined), lanes0)
            row = builder.gep(base, [builder.add(builder.mul(t, row_bytes), col_bytes)])
            for k, acc in enumerate(accs):
                p = builder.bitcast(builder.gep(row, [ir.Constant(i64, 8 * _LANES * k)]),
                                    vec.as_pointer())
                term = builder.fmul(builder.load(p, align=8), vb)
                builder.store(builder.fadd(builder.load(acc), term), acc)
        obase = builder.bitcast(o_arr.data, byte_ptr)
        for k, acc in enumerate(accs):
            p = builder.gep(obase, [builder.add(col_bytes, ir.Constant(i64, 8 * _LANES * k))])
            builder.store(builder.load(acc), builder.bitcast(p, vec.as_pointer()), align=8)
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True)
def _matvec_t32(MT, v, out):
    """:func:`_matvec_t8` for a C-contiguous MT whose width is a multiple of 32, the sums
    kept in registers (:func:`_columns32`), bit-identical to it.

    About a third faster when MT fits in the first-level cache (32 KiB); slower beyond,
    where MT's rows are read in 256-byte pieces, 32 columns at a time.
    """
    for rb in range(0, MT.shape[1], 32):
        _columns32(MT, v, out, rb)


@njit(cache=True)
def _transpose_padded(M, mult):
    """MT (n, R) with MT[t, s * A + a] = M[s, a, t] for M (S, A, n), R = S * A rounded up
    to a multiple of ``mult`` (a multiple of 8; padding columns zero).

    Eight rows are read along t together, so each t writes one contiguous run of eight
    entries of MT (bound by loads and stores, about one cycle an entry).
    """
    A = M.shape[1]
    n = M.shape[2]
    rows = M.shape[0] * A
    MT = np.empty((n, (rows + mult - 1) // mult * mult))
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
        for t in range(n):
            MT[t, r] = x0[t]
            MT[t, r + 1] = x1[t]
            MT[t, r + 2] = x2[t]
            MT[t, r + 3] = x3[t]
            MT[t, r + 4] = x4[t]
            MT[t, r + 5] = x5[t]
            MT[t, r + 6] = x6[t]
            MT[t, r + 7] = x7[t]
        r += 8
    if r < MT.shape[1]:  # the last rows, and zeros in the padding (no garbage operands)
        for t in range(n):
            for c in range(r, MT.shape[1]):
                MT[t, c] = M[c // A, c % A, t] if c < rows else 0.0
    return MT


@njit(cache=True)
def _matvec_policy(M, pi, v, out):
    """out[s] = M[s, pi[s]] @ v for M (S, A, n); rows summed as in :func:`_matvec`."""
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
def backward_induction(P, R, bonus, qmax, V, Q, pi):
    """Fill V (H+1, S), Q (H, S, A), pi (H, S); V[H] is preset by the caller, P's
    entries are finite and >= 0.

    Q[h, s, a] = min(qmax[h], (R[h, s, a] + bonus[h, s, a]) + P[h, s, a] @ V[h + 1]);
    ties go to the lowest action index. Every number is bit-identical to the plain
    loop over (h, s, a, s'), each product summed left to right with a multiply and
    an add per term.

    The products P_h V_{h+1} are what costs. Each stays the textbook left-to-right
    sum; three things make them cheap:

    * stages whose V_{h+1} is all zeros (V_H = 0 by default) have every product
      exactly 0.0 (P is finite), so they are not computed;
    * a stationary kernel with two or more stages left is copied once, transposed and
      zero-padded to a multiple of 8 columns (:func:`_transpose_padded`, the cost of
      two to five stages' products), and every stage is then :func:`_matvec_t8`, SIMD
      over the S * A independent sums (about twice as fast as a stage of
      :func:`_matvec` or of a ``fastmath`` row-by-row loop); a copy that fits the
      first-level cache is padded to 32 columns and runs :func:`_matvec_t32`, the sums
      held in registers;
    * stage-dependent kernels run :func:`_matvec` (eight rows' chains interleaved).
    """
    HRB = R.shape[0] == 1 and bonus.shape[0] == 1
    RB = R[0] + bonus[0] if HRB else np.empty((0, 0))  # the textbook's (R + b) + product
    _stages(P, RB, HRB, R, bonus, qmax, qmax.shape[0], V, Q, pi)


@njit(cache=True)
def nonneg_finite(x):
    """Whether every entry of the flat float64 array x is finite and >= 0.

    Reads the bits as integers, so the pass vectorises: an OR collects sign bits and a
    maximum of the magnitudes finds infinities and NaNs (exponent all ones); only when
    a sign bit is set are the values compared (-0.0 is fine).
    """
    bits = x.view(np.int64)
    signs = 0
    top = 0
    for i in range(bits.shape[0]):
        v = bits[i]
        signs |= v
        w = v & 0x7FFFFFFFFFFFFFFF
        if w > top:
            top = w
    if top >= 0x7FF0000000000000:
        return False
    if signs < 0:
        for i in range(x.shape[0]):
            if x[i] < 0.0:
                return False
    return True


@njit(cache=True)
def _is_zero(v):
    for i in range(v.shape[0]):
        if v[i] != 0.0:
            return False
    return True


@njit(cache=True)
def _stage(pv, RB, HRB, Rh, Bh, cap, Qh, Vh, pih):
    """Q = min(cap, (R + B) + pv), V = max_a Q, pi = first argmax, for one stage;
    ``RB`` holds R + B precomputed when ``HRB`` (both stationary)."""
    S = Qh.shape[0]
    A = Qh.shape[1]
    for s in range(S):
        best = -np.inf
        arg = 0
        for a in range(A):
            rb = RB[s, a] if HRB else Rh[s, a] + Bh[s, a]
            q = rb + pv[s * A + a]
            if q > cap:
                q = cap
            Qh[s, a] = q
            if q > best:
                best = q
                arg = a
        pih[s] = arg
        Vh[s] = best


_L1_DOUBLES = 4096  # a transposed kernel this small stays in a 32 KiB first-level cache


@njit(cache=True)
def _stages(P, RB, HRB, R, bonus, qmax, HQ, V, Q, pi):
    """The loop over stages of :func:`backward_induction`. ``RB`` is R + bonus when ``HRB`` (both
    stationary; else unused); the clip is qmax[h] when ``HQ`` > 0, none when HQ is 0
    (qmax is then unused)."""
    H = Q.shape[0]
    S = Q.shape[1]
    A = Q.shape[2]
    HP = P.shape[0]
    HR = R.shape[0]
    HB = bonus.shape[0]
    in_l1 = S * ((S * A + 31) // 32 * 32) <= _L1_DOUBLES
    pv = np.empty((S * A + 31) // 32 * 32)
    h = H - 1
    while h >= 0 and _is_zero(V[h + 1]):
        pv[:] = 0.0
        cap = qmax[h] if HQ > 0 else np.inf
        _stage(pv, RB, HRB, R[h % HR], bonus[h % HB], cap, Q[h], V[h], pi[h])
        h -= 1
    if HP == 1 and h >= 1:
        PT = _transpose_padded(P[0], 32 if in_l1 else 8)
        for g in range(h, -1, -1):
            if in_l1:
                _matvec_t32(PT, V[g + 1], pv)
            else:
                _matvec_t8(PT, V[g + 1], pv)
            cap = qmax[g] if HQ > 0 else np.inf
            _stage(pv, RB, HRB, R[g % HR], bonus[g % HB], cap, Q[g], V[g], pi[g])
    else:
        for g in range(h, -1, -1):
            _matvec(P[g % HP], V[g + 1], pv)
            cap = qmax[g] if HQ > 0 else np.inf
            _stage(pv, RB, HRB, R[g % HR], bonus[g % HB], cap, Q[g], V[g], pi[g])


@njit(cache=True)
def evaluate_deterministic(P, R, pi, V):
    """Fill V (H+1, S) with the values of the deterministic policy pi (H, S)."""
    H = pi.shape[0]
    S = pi.shape[1]
    HP = P.shape[0]
    HR = R.shape[0]
    pv = np.empty(S)
    for h in range(H - 1, -1, -1):
        Rh = R[h % HR]
        _matvec_policy(P[h % HP], pi[h], V[h + 1], pv)
        for s in range(S):
            V[h, s] = Rh[s, pi[h, s]] + pv[s]


@njit(cache=True)
def evaluate_deterministic_update(P, R, pi, prev, V):
    """Turn V (H+1, S), the values of the policy ``prev`` (H, S), into those of pi.

    Only stages h <= h_top are recomputed, h_top being the last stage where
    pi and prev differ (V_h depends on pi_h, ..., pi_{H-1} only), with the
    arithmetic of :func:`evaluate_deterministic`, so the result is
    bit-identical to a full evaluation. Copies pi into prev; returns the
    number of stages recomputed. Set prev to -1 to force a full evaluation.
    """
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
    if top < 0:
        return 0
    pv = np.empty(S)
    for h in range(top, -1, -1):
        Rh = R[h % HR]
        _matvec_policy(P[h % HP], pi[h], V[h + 1], pv)
        for s in range(S):
            V[h, s] = Rh[s, pi[h, s]] + pv[s]
            prev[h, s] = pi[h, s]
    return top + 1


@njit(cache=True)
def evaluate_stochastic(P, R, pi, V):
    """Fill V (H+1, S) with the values of the stochastic policy pi (H, S, A)."""
    H = pi.shape[0]
    S = pi.shape[1]
    A = pi.shape[2]
    HP = P.shape[0]
    HR = R.shape[0]
    for h in range(H - 1, -1, -1):
        Ph = P[h % HP]
        Rh = R[h % HR]
        for s in range(S):
            v = 0.0
            for a in range(A):
                w = pi[h, s, a]
                if w == 0.0:
                    continue
                acc = 0.0
                row = Ph[s, a]
                for t in range(S):
                    acc += row[t] * V[h + 1, t]
                v += w * (Rh[s, a] + acc)
            V[h, s] = v


@njit(cache=True)
def bellman_optimality(P, R, gamma, V, Q, Vout):
    """One sweep: Q = R + gamma P V, Vout = max_a Q. Returns max |Vout - V|."""
    S = P.shape[0]
    A = P.shape[1]
    diff = 0.0
    for s in range(S):
        best = -np.inf
        for a in range(A):
            acc = 0.0
            for t in range(S):
                acc += P[s, a, t] * V[t]
            q = R[s, a] + gamma * acc
            Q[s, a] = q
            if q > best:
                best = q
        Vout[s] = best
        d = abs(best - V[s])
        if d > diff:
            diff = d
    return diff


@njit(cache=True)
def value_iteration(P, R, gamma, V, Q, tol, max_iter):
    """Iterate V <- max_a (R + gamma P V) until ||V_{n+1} - V_n||_inf < tol.

    V (S,) holds the start and receives the last iterate; Q (S, A) the last Q.
    Returns the number of sweeps, or -1 if max_iter sweeps did not reach tol.
    """
    W = np.empty_like(V)
    for it in range(1, max_iter + 1):
        diff = bellman_optimality(P, R, gamma, V, Q, W)
        V[:] = W
        if diff < tol:
            return it
    return -1


@njit(cache=True)
def relative_value_iteration(P, R, tau, v, Q, delta, tol, max_iter):
    """Relative value iteration on the aperiodic transform of (P, R).

    The transformed operator is (T v)(s) = max_a R[s, a] + tau P[s, a] @ v
    + (1 - tau) v(s) (Puterman 1994, Sec. 8.5.4). Each sweep fills
    delta = T v - v and sets v <- T v - (T v)(0). Stops when
    span(delta) < tol and returns the number of sweeps (-1 if max_iter ran out).
    On return Q (S, A) holds R + tau P v + (1 - tau) v of the last sweep.
    """
    S = P.shape[0]
    A = P.shape[1]
    W = np.empty_like(v)
    for it in range(1, max_iter + 1):
        for s in range(S):
            best = -np.inf
            for a in range(A):
                acc = 0.0
                for t in range(S):
                    acc += P[s, a, t] * v[t]
                q = R[s, a] + tau * acc + (1.0 - tau) * v[s]
                Q[s, a] = q
                if q > best:
                    best = q
            W[s] = best
        lo = np.inf
        hi = -np.inf
        for s in range(S):
            d = W[s] - v[s]
            delta[s] = d
            if d < lo:
                lo = d
            if d > hi:
                hi = d
        ref = W[0]
        for s in range(S):
            v[s] = W[s] - ref
        if hi - lo < tol:
            return it
    return -1


@njit(cache=True)
def row_stats(M, e, e_err):
    """Per row r of M (rows, n): e[r] = sum_t M[r, t] - 1 and a bound e_err[r] on its error.

    The sum is compensated (Ogita, Rump, Oishi 2005, Alg. 4.4 "Sum2"): the
    result is as accurate as if computed in twice the working precision, with
    ``|e - exact| <= u |e| + gamma_{n+1}^2 sum |terms|`` (their Prop. 4.5). Returns
    the smallest entry of M and whether every entry is finite.
    """
    u = 2.0 ** -53
    n = M.shape[1]
    g = (n + 1) * u / (1.0 - (n + 1) * u)
    lo = np.inf
    finite = True
    for r in range(M.shape[0]):
        s = -1.0
        comp = 0.0
        tot = 1.0
        for t in range(n):
            x = M[r, t]
            if x < lo:
                lo = x
            if not np.isfinite(x):
                finite = False
            y = s + x
            z = y - s
            comp += (s - (y - z)) + (x - z)
            s = y
            tot += abs(x)
        res = s + comp
        e[r] = res
        e_err[r] = 2.0 * (u * abs(res) + g * g * tot)
    return lo, finite


@njit(cache=True)
def certified_backup(P, ph, r, kappa, h, c, k, pol, greedy_mode, d, dmax, new_pol):
    """Residuals of one Bellman backup at V = c + h, with their rounding bound.

    ``P`` (S, A, S) is the kernel; with ``ph`` of length 0 the products P h are
    computed here (:func:`_matvec`), otherwise ``ph`` (S*A,) holds them already (from
    BLAS: the bound below holds for any summation order). ``r`` and ``kappa`` (S*A,) the
    rewards and gamma * rowsum(P) - 1, ``k`` the constants (gamma, gamma_S, bound on
    the error of kappa, max row sum, max |kappa|, max |r|, gamma_6) of
    ``discounted.py``. Fills d[s * A + a] = r + gamma ph + kappa c - h[s] and
    dmax[s] = max_a d. With ``greedy_mode`` new_pol is the greedy policy (lowest
    index on ties) and the certified policy is new_pol; otherwise the certified
    policy is pol, and new_pol switches a state to its greedy action only when
    that is larger by more than twice the rounding bound.

    Returns (delta, min dmax, max dmax, min_s d[s, policy(s)], number of states whose
    action changed, max |h|).
    """
    S = h.shape[0]
    A = r.shape[0] // S
    if ph.shape[0] == 0:
        ph = np.empty(S * A)
        _matvec(P, h, ph)
    g = k[0]
    hmax = 0.0
    for s in range(S):
        if abs(h[s]) > hmax:
            hmax = abs(h[s])
    ac = abs(c)
    delta = (g * k[1] * k[3] * hmax + ac * k[2]
             + k[6] * (k[5] + g * k[3] * hmax + ac * k[4] + hmax)) * (1.0 + 1e-12)
    lo = np.inf
    hi = -np.inf
    lo_pol = np.inf
    changed = 0
    for s in range(S):
        best = -np.inf
        arg = 0
        for a in range(A):
            i = s * A + a
            v = ((r[i] + g * ph[i]) + kappa[i] * c) - h[s]
            d[i] = v
            if v > best:
                best = v
                arg = a
        dmax[s] = best
        if best < lo:
            lo = best
        if best > hi:
            hi = best
        if greedy_mode:
            if arg != pol[s]:
                changed += 1
            new_pol[s] = arg
            dp = best
        else:
            dp = d[s * A + pol[s]]
            if best > dp + 2.0 * delta:
                new_pol[s] = arg
                changed += 1
            else:
                new_pol[s] = pol[s]
        if dp < lo_pol:
            lo_pol = dp
    return delta, lo, hi, lo_pol, changed, hmax


@njit(cache=True)
def policy_sweeps(P, pol, r, kappa, h, c, k, n):
    """Up to n extrapolated sweeps V <- T_pi V + gamma/(1-gamma) mid(T_pi V - V) at V = c + h.

    ``P`` (S, A, S) is the kernel, ``pol`` (S,) the policy, ``r`` and ``kappa`` (S*A,)
    the rewards and gamma * rowsum - 1, ``k`` the constants of :func:`certified_backup`.
    Updates h in place (kept centred). Stops early, as converged, once span(T_pi V - V)
    is within four times its rounding bound (more sweeps cannot shrink it). Returns
    (c, sweeps, converged).
    """
    S = h.shape[0]
    A = P.shape[1]
    g = k[0]
    pv = np.empty(S)
    for it in range(n):
        hmax = 0.0
        for s in range(S):
            if abs(h[s]) > hmax:
                hmax = abs(h[s])
        ac = abs(c)
        delta = (g * k[1] * k[3] * hmax + ac * k[2]
                 + k[6] * (k[5] + g * k[3] * hmax + ac * k[4] + hmax))
        _matvec_policy(P, pol, h, pv)
        lo = np.inf
        hi = -np.inf
        for s in range(S):
            i = s * A + pol[s]
            dd = ((r[i] + g * pv[s]) + kappa[i] * c) - h[s]
            h[s] += dd
            if dd < lo:
                lo = dd
            if dd > hi:
                hi = dd
        hlo = np.inf
        hhi = -np.inf
        for s in range(S):
            if h[s] < hlo:
                hlo = h[s]
            if h[s] > hhi:
                hhi = h[s]
        t = 0.5 * (hlo + hhi)
        for s in range(S):
            h[s] -= t
        c = c + t + g * (0.5 * (lo + hi)) / (1.0 - g)
        if hi - lo <= 4.0 * delta:
            return c, it + 1, True
    return c, n, False


@njit(cache=True)
def sum_bounds(e, e_err, precise, gamma, n, kappa):
    """kappa = gamma (1 + e) - 1 per row, from e = rowsum - 1 with error bound e_err.

    Unless ``precise``, e came from a plain sum of n non-negative terms and e_err is
    filled with the bound gamma_n (1 + |e|) valid for any summation order. Returns
    (bound on the error of kappa, max row sum bound, lower and upper bounds of
    1 - gamma * rowsum, max |e|).
    """
    u = 2.0 ** -53
    gn = n * u / (1.0 - n * u)
    kerr = 0.0
    sig = 0.0
    lo = np.inf
    hi = -np.inf
    emax = 0.0
    for i in range(e.shape[0]):
        if not np.isfinite(e[i]):
            return np.inf, np.inf, -np.inf, np.inf, np.inf
        if not precise:
            e_err[i] = gn * (1.0 + abs(e[i]))
        ge = gamma * e[i]
        k = (gamma - 1.0) + ge
        kappa[i] = k
        ke = gamma * e_err[i] + u * (abs(ge) + abs(k) + (1.0 - gamma))
        if ke > kerr:
            kerr = ke
        if 1.0 + e[i] + e_err[i] > sig:
            sig = 1.0 + e[i] + e_err[i]
        if -k < lo:
            lo = -k
        if -k > hi:
            hi = -k
        if abs(e[i]) > emax:
            emax = abs(e[i])
    return kerr, sig, lo - kerr, hi + kerr, emax


@njit(cache=True)
def finite_min(x):
    """(index of the first non-finite entry of the flat array x or -1, smallest entry)."""
    lo = np.inf
    for i in range(x.shape[0]):
        v = x[i]
        if not np.isfinite(v):
            return i, lo
        if v < lo:
            lo = v
    return -1, lo


@njit(cache=True)
def bellman_stage(pv, R, B, cap, Q, V, pi):
    """One stage of :func:`backward_induction` from the products pv[s * A + a] = P[s, a] @ V'.

    Q[s, a] = min(cap, R[s, a] + B[s, a] + pv[s * A + a]), V = max_a Q, pi = first argmax,
    with the additions in the kernel's order. Returns False if some product is not finite.
    """
    S = Q.shape[0]
    A = Q.shape[1]
    for i in range(S * A):
        if not np.isfinite(pv[i]):
            return False
    for s in range(S):
        best = -np.inf
        arg = 0
        for a in range(A):
            q = R[s, a] + B[s, a] + pv[s * A + a]
            if q > cap:
                q = cap
            Q[s, a] = q
            if q > best:
                best = q
                arg = a
        pi[s] = arg
        V[s] = best
    return True


@njit(cache=True)
def checked_backward_induction(P, R, bonus, qmax, V, Q, pi):
    """:func:`backward_induction` after checking that every entry of P is finite and
    non-negative (:func:`nonneg_finite`); returns False (and computes nothing) otherwise."""
    if not nonneg_finite(P.ravel()):
        return False
    # as backward_induction, calling _stages itself: one level of compiled callers less
    HRB = R.shape[0] == 1 and bonus.shape[0] == 1
    RB = R[0] + bonus[0] if HRB else np.empty((0, 0))
    _stages(P, RB, HRB, R, bonus, qmax, qmax.shape[0], V, Q, pi)
    return True


@njit(cache=True)
def stationary_backward_induction(P, R, V, Q, pi):
    """:func:`backward_induction` for a stationary P (S, A, S) and R (S, A), no bonus, no
    clip, V_H = 0 (V (H+1, S) is zeroed here), after checking that P is finite and
    non-negative and R finite; returns whether they are (nothing is computed if not).

    The caller allocates the outputs: NumPy's allocation costs less than numba's
    boxing of returned arrays, and this is the common call at small S. No bonus is
    the textbook's R + product: R itself stands for R + 0 (equal bit for bit in the
    sum, the product never being -0.0).
    """
    S = P.shape[0]
    A = P.shape[1]
    badr, _ = finite_min(R.ravel())
    if badr >= 0 or not nonneg_finite(P.ravel()):
        return False
    V[-1] = 0.0
    R3 = R.reshape((1, S, A))
    no_clip = V[0, :0]
    # arguments typed as in backward_induction (no literal True or 0): one compilation
    _stages(P.reshape((1, S, A, S)), R, R3.shape[0] == 1, R3, R3, no_clip, no_clip.shape[0],
            V, Q, pi)
    return True
