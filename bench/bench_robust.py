"""Robust value iteration against a plain NumPy robust value iteration, timed side by side.

:func:`theoryrl.robust.robust_value_iteration` on rectangular ``FiniteSet`` (K = 4
candidate kernels per pair) and ``L1Ball`` (radius 0.2 around a nominal kernel)
uncertainty sets, S = 50 and 200, A = 5, gamma = 0.9, to accuracy 1e-8 (Iyengar 2005,
Sec. 4; Nilim and El Ghaoui 2005, Sec. 4). The reference is the robust value iteration
a user would write with NumPy: the same stopping rule, the finite inner problem as one
``C @ v`` product and a minimum over candidates, the L1 inner problem solved pair by
pair in a Python loop (one sort of the values per pair, mass moved onto the lowest-value
state and taken from the highest-value states first, as in UCRL2's extended value
iteration, Jaksch et al. 2010, Fig. 2, with max and min exchanged).

Every figure is a ratio ``reference time / theoryrl time`` against the reference timed
in the same run (> 1: theoryrl faster), with the largest absolute difference between
the two value vectors. theoryrl's solver also builds the adversary's kernel (an
(S, A, S) array) and the inner solver's error bound at every backup, which the reference
skips; on the finite set, where the reference's inner problem is one BLAS product, that
extra work is most of the cost. Timings are the best of several repeats, the two functions
alternating within each repeat (so the drift of a shared machine's load hits both
alike), after one untimed warm-up call each; BLAS is asked for one thread before NumPy
loads. The machine's core count is printed, and ``--json PATH`` stores every row.
"""

from __future__ import annotations

# _benchkit sets one BLAS thread: it is imported before NumPy loads
from _benchkit import best_interleaved, header, script, write_json

# isort: split

import numpy as np

from theoryrl.envs import random_mdp
from theoryrl.robust import FiniteSet, L1Ball, robust_value_iteration

GAMMA = 0.9
EPSILON = 1e-8
A = 5
K = 4
BETA = 0.2



# -- the plain NumPy reference --------------------------------------------------------------

def l1_inner_pair(p_hat: np.ndarray, v: np.ndarray, beta: float) -> float:
    """min p.v over the simplex within L1 distance ``beta`` of ``p_hat`` (one pair)."""
    order = np.argsort(v)                      # ascending values
    p = p_hat.copy()
    lo = order[0]
    delta = max(min(beta / 2.0, 1.0 - p[lo]), 0.0)
    donors = order[:0:-1]                      # highest value first, lowest excluded
    pd = p[donors]
    take = np.clip(delta - (np.cumsum(pd) - pd), 0.0, pd)
    p[donors] = pd - take
    p[lo] += take.sum()
    return float(p @ v)


def numpy_robust_vi_finite(C: np.ndarray, R: np.ndarray, gamma: float, epsilon: float
                           ) -> np.ndarray:
    V = np.zeros(R.shape[0])
    while True:
        Vn = (R + gamma * (C @ V).min(axis=2)).max(axis=1)
        if gamma * np.abs(Vn - V).max() / (1.0 - gamma) <= epsilon:
            return Vn
        V = Vn


def numpy_robust_vi_l1(P: np.ndarray, R: np.ndarray, beta: float, gamma: float,
                       epsilon: float) -> np.ndarray:
    S, nA = R.shape
    V = np.zeros(S)
    sigma = np.empty((S, nA))
    while True:
        for s in range(S):
            for a in range(nA):
                sigma[s, a] = l1_inner_pair(P[s, a], V, beta)
        Vn = (R + gamma * sigma).max(axis=1)
        if gamma * np.abs(Vn - V).max() / (1.0 - gamma) <= epsilon:
            return Vn
        V = Vn


# -- the benchmark ---------------------------------------------------------------------------

def bench_case(kind: str, S: int, repeats: int) -> dict:
    mdp = random_mdp(S, A, gamma=GAMMA, seed=0)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    if kind == "FiniteSet":
        C = np.stack([np.asarray(random_mdp(S, A, gamma=GAMMA, seed=k).P) for k in range(K)],
                     axis=2)
        uset = FiniteSet(C)
        ref = lambda: numpy_robust_vi_finite(C, R, GAMMA, EPSILON)  # noqa: E731
        label = f"FiniteSet K={K}"
    else:
        uset = L1Ball(P, BETA)
        ref = lambda: numpy_robust_vi_l1(P, R, BETA, GAMMA, EPSILON)  # noqa: E731
        label = f"L1Ball beta={BETA:g}"
    ours = lambda: robust_value_iteration(uset, R, GAMMA, EPSILON)  # noqa: E731
    t, t_ref = best_interleaved([ours, ref], repeats)
    sol = ours()
    diff = float(np.max(np.abs(sol.V - ref())))
    return dict(name=f"{label}, S={S}, A={A}", theoryrl_ms=1e3 * t, numpy_ms=1e3 * t_ref,
                ratio_vs_numpy=t_ref / t, backups=int(sol.iterations),
                max_abs_diff_V=diff)


def main(quick: bool = False, json_path: str | None = None) -> list[dict]:
    """Run every case, print a table of ratios, and return (and optionally store) it."""
    reps = 1 if quick else 5
    print(header(gamma=GAMMA, epsilon=f"{EPSILON:g}"))
    rows = [bench_case(kind, S, reps) for kind in ("FiniteSet", "L1Ball") for S in (50, 200)]
    for r in rows:
        print(f"{r['name']:>30}: theoryrl {r['theoryrl_ms']:9.2f} ms  NumPy "
              f"{r['numpy_ms']:9.2f} ms  ratio {r['ratio_vs_numpy']:7.2f}x  "
              f"({r['backups']} backups, max |V - V_numpy| {r['max_abs_diff_V']:.1e})")
    write_json(json_path, rows)
    return rows


if __name__ == "__main__":
    script(main, __doc__)
