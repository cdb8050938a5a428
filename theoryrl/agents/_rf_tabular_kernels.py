"""Compiled exploration backups of the tabular reward-free baselines (RF-Express, RF-UCRL).

Kept free of Python objects; the formulas are documented on
:class:`~theoryrl.agents.rf_baselines.RFExpress` and
:class:`~theoryrl.agents.rf_baselines.RFUCRL`. The per-episode recomputation is
:math:`O(H S^2 A)` arithmetic; in NumPy its cost was dominated by per-step call
overhead (about 1 ms per episode at H = 32, S = 3, A = 2).
"""

from __future__ import annotations

import math

from numba import njit

RF_EXPRESS = 0
RF_UCRL = 1


@njit(cache=True)
def add_episode(N, states, actions):
    """``N[h mod Hc, s_h, a_h, s_{h+1}] += 1`` along one trajectory."""
    Hc = N.shape[0]
    for h in range(actions.shape[0]):
        N[h % Hc, states[h], actions[h], states[h + 1]] += 1.0


@njit(cache=True)
def exploration_backup(N, H, kind, scale, delta, W):
    """Fill ``W (H + 1, S, A)`` backward from ``W[H] = 0``.

    ``kind = RF_EXPRESS``: :math:`\\beta = \\log(3SAH/\\delta) + S\\log(8e(n+1))`,
    :math:`W_h = \\min(H, 15H^2 c\\beta/n + (1 + 1/H)\\hat p_h \\max_b W_{h+1})`;
    ``kind = RF_UCRL``: :math:`\\beta = \\log(2SAH/\\delta) + (S-1)\\log(e(1 + n/(S-1)))`,
    :math:`W_h = \\min(2(H-h), (H-h)\\sqrt{c\\beta/n} + \\hat p_h \\max_b W_{h+1})`
    (0-based ``h``). Unvisited pairs (``n = 0``) get the cap (``H``, resp. ``2(H-h)``).
    """
    Hc, S, A = N.shape[0], N.shape[1], N.shape[2]
    Sm = max(S - 1, 1)
    log_e = math.log(3.0 * S * A * H / delta) if kind == RF_EXPRESS else \
        math.log(2.0 * S * A * H / delta)
    grow = 1.0 + 1.0 / H if kind == RF_EXPRESS else 1.0
    for s in range(S):
        for a in range(A):
            W[H, s, a] = 0.0
    for h in range(H - 1, -1, -1):
        Nh = N[h % Hc]
        cap = float(H) if kind == RF_EXPRESS else 2.0 * (H - h)
        for s in range(S):
            for a in range(A):
                n = 0.0
                for t in range(S):
                    n += Nh[s, a, t]
                if n == 0.0:
                    W[h, s, a] = cap
                    continue
                pv = 0.0
                for t in range(S):
                    m = W[h + 1, t, 0]
                    for b in range(1, A):
                        if W[h + 1, t, b] > m:
                            m = W[h + 1, t, b]
                    pv += Nh[s, a, t] / n * m
                if kind == RF_EXPRESS:
                    beta = log_e + S * math.log(8.0 * math.e * (n + 1.0))
                    bonus = 15.0 * H * H * scale * beta / n
                else:
                    beta = log_e + Sm * math.log(math.e * (1.0 + n / Sm))
                    bonus = (H - h) * math.sqrt(scale * beta / n)
                w = bonus + grow * pv
                W[h, s, a] = w if w < cap else cap
