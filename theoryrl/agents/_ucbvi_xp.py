r"""Array-API kernels of UCBVI run for many seeds at once (private).

The array-API twin of :mod:`theoryrl.agents._ucbvi_kernels` and of the
episode simulation and exact evaluation of :mod:`theoryrl.experiment`: every
function works on a leading seed axis of length ``N``, takes the namespace
``xp`` keyword-only and uses only functions of the array-API standard
(2024.12: ``matmul``, ``take``, ``where``, ``minimum``, ``maximum``, ``sum``,
``astype``, comparisons, Python scalars as operands), so the same code runs on NumPy, on CuPy
through array-api-compat (a GPU), and on ``array_api_strict``, which proves
nothing outside the standard is touched.

Layout (``SA = S * A``, pair index ``s * A + a``; all float arrays float64):

``C`` (N, SA, S)
    Transition counts ``C[i, s * A + a, s'] = N_i(s, a, s')`` of seed ``i``.
``n`` (N, SA)
    Visit counts ``n_i(s, a) = sum_{s'} N_i(s, a, s')`` (exact integers in float64).
``nstate`` (N, H+1, S)
    Visits of each state at each step (the Bernstein correction term).
``R`` (HR, SA)
    Known mean rewards, ``HR`` = 1 (stationary) or H; shared by all seeds.
``pi`` (N, H, S), int64
    Greedy policies.

Reference: M. G. Azar, I. Osband, R. Munos, "Minimax regret bounds for
reinforcement learning", ICML 2017, arXiv:1703.05449 (Algorithms 1-4).
"""

from __future__ import annotations

import math
from types import ModuleType

HOEFFDING = 0
BERNSTEIN = 1
L1 = 2


def optimistic_plan_xp(C, n, nstate, R, H: int, L: float, kind: int, scale: float,
                       optimistic_init: bool, *, xp: ModuleType):
    r"""Optimistic backward induction from the counts of every seed at once.

    For :math:`h = H-1, \dots, 0`, from :math:`\bar V_H = 0`, with
    :math:`\hat P_{s,a} = N(s, a, \cdot) / n(s, a)` on visited pairs,

    .. math::

        \bar Q_h(s, a) = \min\big(H - h,\; r_h(s, a) + \hat P_{s,a} \bar V_{h+1}
            + b_h(s, a)\big), \qquad
        \bar V_h(s) = \max_a \bar Q_h(s, a), \qquad
        \pi_h(s) = \min \operatorname{arg\,max}_a \bar Q_h(s, a),

    and :math:`\bar Q_h(s, a) = H - h` on unvisited pairs (``optimistic_init``;
    otherwise :math:`r_h(s, a)`). The bonuses, times ``scale``, are those of
    :func:`theoryrl.agents._ucbvi_kernels.optimistic_plan_t`, in the same
    floating-point operations: Hoeffding :math:`7 H L / \sqrt n` ([1]_ Alg. 3),
    L1 :math:`\tfrac{H-h-1}{2} \sqrt{2 (S \ln 2 + L) / n}`, Bernstein-Freedman
    :math:`\sqrt{8 L \mathrm{Var}_{\hat P}(\bar V_{h+1}) / n} + 14 H L / (3 n)
    + \sqrt{8 \sum_y \hat P(y) \min(10^4 H^3 S^2 A L^2 / n'_{h+1}(y), H^2) / n}`
    ([1]_ Alg. 4). Ties go to the lowest action, as ``argmax`` of the standard
    and the compiled kernel both do.

    Parameters
    ----------
    C : array, shape (N, SA, S)
        Transition counts of each seed.
    n : array, shape (N, SA)
        Visit counts of each pair.
    nstate : array, shape (N, H+1, S)
        Visits of each state at each step (read by the Bernstein bonus only).
    R : array, shape (HR, SA)
        Known mean rewards (``HR`` is 1 or H).
    H : int
        Horizon.
    L : float
        The bonus's log factor (:func:`theoryrl.agents.ucbvi.bonus_log_factor`).
    kind : int
        :data:`HOEFFDING`, :data:`BERNSTEIN` or :data:`L1`.
    scale : float
        Multiplies the bonus.
    optimistic_init : bool
        Value unvisited pairs at the cap ``H - h`` (the algorithm) or at their reward.
    xp : module
        Array namespace of the arrays.

    Returns
    -------
    V0 : array, shape (N, S)
        :math:`\bar V_0` of each seed.
    pi : array, shape (N, H, S), int64
        The greedy policy of each seed.

    References
    ----------
    .. [1] M. G. Azar, I. Osband, R. Munos, "Minimax regret bounds for
       reinforcement learning", ICML 2017, arXiv:1703.05449.
    """
    N, SA, S = C.shape
    A = SA // S
    HR = R.shape[0]
    Hf = float(H)
    seen = n > 0.0
    m = xp.where(seen, n, xp.ones_like(n))  # 1 on unvisited pairs, whose Q is set apart
    if kind == HOEFFDING:
        base = (7.0 * Hf * L) / xp.sqrt(m)
    elif kind == L1:
        base = xp.sqrt((2.0 * (float(S) * math.log(2.0) + L)) / m)
    else:
        # the compiled kernel's left-to-right product 1e4 * H**3 * S**2 * A * L**2
        ccoef = 1.0e4 * (Hf * Hf * Hf) * (float(S) * float(S)) * float(A) * (L * L)
        p = C / m[:, :, None]
    V = xp.zeros((N, S), dtype=xp.float64)
    stages = [None] * H
    for h in range(H - 1, -1, -1):
        cap = Hf - h
        pv = xp.reshape(xp.matmul(C, V[:, :, None]), (N, SA)) / m
        if kind == HOEFFDING:
            b = base
        elif kind == L1:
            b = (0.5 * (cap - 1.0)) * base
        else:
            d = V[:, None, :] - pv[:, :, None]
            var = xp.sum(p * d * d, axis=-1)
            b = xp.sqrt(8.0 * L * var / m) + (14.0 * Hf * L) / (3.0 * m)
            if h + 1 < H:
                w = xp.minimum(ccoef / xp.maximum(nstate[:, h + 1, :], 1.0), Hf * Hf)
                corr = xp.reshape(xp.matmul(p, w[:, :, None]), (N, SA))
                b = b + xp.sqrt(8.0 * corr / m)
        b = b * scale
        Rh = R[h % HR, :]
        q = xp.minimum((Rh + pv) + b, cap)
        q = xp.where(seen, q, cap if optimistic_init else Rh)
        V, stages[h] = _max_argmax(xp.reshape(q, (N, S, A)), xp=xp)
    return V, xp.stack(stages, axis=1)


def _max_argmax(q, *, xp: ModuleType):
    """Maximum over the last axis of q (N, S, A) and its first index.

    A running comparison over the A actions, ``q[..., a] > best`` strictly, so
    ties go to the lowest action as in the compiled kernel; A element-wise
    passes cost less than a reduction over a short last axis.
    """
    best = q[:, :, 0]
    arg = xp.zeros(best.shape, dtype=xp.int64)
    for a in range(1, q.shape[2]):
        qa = q[:, :, a]
        arg = xp.where(qa > best, a, arg)
        best = xp.maximum(best, qa)
    return best, arg


def simulate_xp(Pcum, init_cum, pi, u, HP: int, *, xp: ModuleType):
    r"""One episode per seed under its deterministic policy, by inverse-CDF draws.

    :math:`s_0` is the first index whose cumulative initial mass exceeds
    ``u[:, 0]``, :math:`a_h = \pi_h(s_h)` and :math:`s_{h+1}` the first index
    whose cumulative mass of :math:`P_h(\cdot \mid s_h, a_h)` exceeds
    ``u[:, h + 1]`` (the last index absorbs rounding): the draws of
    :func:`theoryrl.models._sampling_kernels.draw`, so a seed's uniforms give
    the trajectory the single-seed simulator gives. The first index with
    ``u < cdf[j]`` of a non-decreasing ``cdf`` is the number of entries
    ``<= u``, which is how it is computed here.

    Parameters
    ----------
    Pcum : array, shape (HP * SA, S)
        Cumulative sums of the true kernel's rows, row ``(h % HP) * SA + s * A + a``.
    init_cum : array, shape (S,)
        Cumulative sums of the initial distribution.
    pi : array, shape (N, H, S), int64
        The policy of each seed.
    u : array, shape (N, H+1)
        The episode's uniforms of each seed.
    HP : int
        Stages of the kernel (1 or H).
    xp : module
        Array namespace.

    Returns
    -------
    states : array, shape (N, H+1), int64
        :math:`s_0, \dots, s_H`.
    pairs : array, shape (N, H), int64
        :math:`s_h A + a_h`.
    """
    N, H, S = pi.shape
    SA = Pcum.shape[0] // HP
    A = SA // S
    i64 = xp.int64
    pi_flat = xp.reshape(pi, (-1,))
    offset = xp.arange(N, dtype=i64) * (H * S)
    s = xp.minimum(xp.sum(xp.astype(init_cum[None, :] <= u[:, 0:1], i64), axis=1), S - 1)
    states = [s]
    pairs = []
    for h in range(H):
        a = xp.take(pi_flat, offset + h * S + s)
        sa = s * A + a
        cdf = xp.take(Pcum, (h % HP) * SA + sa, axis=0)
        s = xp.minimum(xp.sum(xp.astype(cdf <= u[:, h + 1:h + 2], i64), axis=1), S - 1)
        states.append(s)
        pairs.append(sa)
    return xp.stack(states, axis=1), xp.stack(pairs, axis=1)


def add_episodes_xp(C, n, nstate, states, pairs, *, xp: ModuleType):
    r"""The counts after one episode per seed.

    The episode's transition counts come from one batched product of
    one-hot matrices, :math:`E = X^\top Y` with
    :math:`X_{h, sa} = [s_h A + a_h = sa]` and :math:`Y_{h, s'} = [s_{h+1} = s']`
    (sums of 0/1 products, exact), so no scatter is needed.

    Parameters
    ----------
    C, n, nstate : array
        Counts as in :func:`optimistic_plan_xp`.
    states : array, shape (N, H+1), int64
        Visited states.
    pairs : array, shape (N, H), int64
        Played pairs ``s * A + a``.
    xp : module
        Array namespace.

    Returns
    -------
    C, n, nstate : array
        The updated counts (new arrays).
    """
    N, SA, S = C.shape
    f64 = xp.float64
    XT = xp.astype(xp.arange(SA, dtype=xp.int64)[None, :, None] == pairs[:, None, :], f64)
    Y = xp.astype(states[:, 1:, None] == xp.arange(S, dtype=xp.int64)[None, None, :], f64)
    C = C + xp.matmul(XT, Y)
    n = n + xp.sum(XT, axis=2)
    nstate = nstate + xp.astype(states[:, :, None] == xp.arange(S, dtype=xp.int64), f64)
    return C, n, nstate


def evaluate_xp(PT, R, init, pi, *, xp: ModuleType):
    r"""Exact value :math:`\sum_s \mu(s) V^{\pi}_0(s)` of each seed's policy.

    :math:`V^\pi_H = 0`,
    :math:`V^\pi_h(s) = r_h(s, \pi_h(s)) + P_h(\cdot \mid s, \pi_h(s)) V^\pi_{h+1}`.
    Each stage computes :math:`r_h + P_h V^\pi_{h+1}` for every pair of every
    seed as one product with the shared kernel, ``(N, S) @ (S, SA)``, then
    picks each seed's action: a matrix product instead of a gather of
    ``N * S`` rows of the kernel.

    Parameters
    ----------
    PT : array, shape (HP, S, SA)
        The true kernel, transposed: ``PT[h, s', s * A + a] = P_h(s' | s, a)``
        (HP is 1 or H).
    R : array, shape (HR, SA)
        The true mean rewards (HR is 1 or H).
    init : array, shape (S,)
        Initial distribution :math:`\mu`.
    pi : array, shape (N, H, S), int64
        The policy of each seed.
    xp : module
        Array namespace.

    Returns
    -------
    array, shape (N,)
        The value of each seed's policy.
    """
    N, H, S = pi.shape
    HP, HR = PT.shape[0], R.shape[0]
    SA = PT.shape[2]
    A = SA // S
    rows = (xp.arange(N, dtype=xp.int64) * SA)[:, None] + xp.arange(S, dtype=xp.int64) * A
    W = xp.zeros((N, S), dtype=xp.float64)
    for h in range(H - 1, -1, -1):
        Q = R[h % HR, :] + xp.matmul(W, PT[h % HP, :, :])
        W = xp.reshape(xp.take(xp.reshape(Q, (-1,)), xp.reshape(rows + pi[:, h, :], (-1,))),
                       (N, S))
    return xp.sum(W * init[None, :], axis=1)
