"""Exact policy mirror descent against a plain NumPy loop, timed side by side.

:func:`theoryrl.agents.mdpo.policy_mirror_descent` (unregularised, constant step
t = 1, i.e. the exact NPG / PMD update of Xiao 2022, Eq. 37; and entropy-regularised
with weight 0.1, Cen et al. 2021) on ``random_mdp`` instances with S = 50 and 200,
A = 5, gamma = 0.9, 50 iterations. The reference is the loop a user would write with
NumPy: per iteration one ``np.linalg.solve`` for the exact values of the current
policy, ``Q = r + gamma P V``, and the closed-form step
``pi <- softmax((1 - lambda t) log pi + t Q)`` per state.

Every figure is a ratio ``reference time / theoryrl time`` (> 1: theoryrl faster),
shown with both sides' iterations per second and the largest absolute difference
between their final log-policies and values. Timings are the best of several repeats,
the two functions alternating within each repeat (so the drift of a shared machine's
load hits both alike), after one untimed warm-up call each; BLAS is asked for one
thread before NumPy loads. The machine's core count is printed, and ``--json PATH``
stores every row.
"""

from __future__ import annotations

# _benchkit sets one BLAS thread: it is imported before NumPy loads
from _benchkit import best_interleaved, header, script, write_json

# isort: split

import numpy as np

from theoryrl.agents.mdpo import policy_mirror_descent
from theoryrl.envs import random_mdp

GAMMA = 0.9
A = 5
STEP = 1.0
ITERATIONS = 50



def numpy_pmd(P: np.ndarray, R: np.ndarray, gamma: float, iterations: int, t: float,
              reg: float) -> tuple[np.ndarray, np.ndarray]:
    """Plain NumPy exact mirror descent; returns the final log-policy and its values."""
    S, nA = R.shape
    eye = np.eye(S)
    pi = np.full((S, nA), 1.0 / nA)
    for k in range(iterations + 1):
        with np.errstate(divide="ignore"):  # an underflowed action: log 0 = -inf
            logpi = np.log(pi)
        P_pi = np.einsum("sa,sat->st", pi, P)
        r_pi = (pi * R).sum(axis=1)
        if reg:
            r_pi -= reg * (pi * logpi).sum(axis=1)
        V = np.linalg.solve(eye - gamma * P_pi, r_pi)
        if k == iterations:
            return logpi, V
        Q = R + gamma * P @ V
        logits = (1.0 - reg * t) * logpi + t * Q
        logits -= logits.max(axis=1, keepdims=True)
        pi = np.exp(logits)
        pi /= pi.sum(axis=1, keepdims=True)
    raise AssertionError("unreachable")


def bench_case(S: int, reg: float, repeats: int) -> dict:
    mdp = random_mdp(S, A, gamma=GAMMA, seed=0)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    t, t_ref = best_interleaved(
        [lambda: policy_mirror_descent(P, R, GAMMA, ITERATIONS, STEP, reg=reg),
         lambda: numpy_pmd(P, R, GAMMA, ITERATIONS, STEP, reg)], repeats)
    res = policy_mirror_descent(P, R, GAMMA, ITERATIONS, STEP, reg=reg)
    logpi_ref, V_ref = numpy_pmd(P, R, GAMMA, ITERATIONS, STEP, reg)
    return dict(name=f"S={S}, A={A}, reg={reg:g}, {ITERATIONS} iterations",
                theoryrl_ms=1e3 * t, numpy_ms=1e3 * t_ref,
                theoryrl_it_per_s=ITERATIONS / t, numpy_it_per_s=ITERATIONS / t_ref,
                ratio_vs_numpy=t_ref / t,
                max_abs_diff_logpi=float(np.max(np.abs(res.logpi[-1] - logpi_ref))),
                max_abs_diff_V=float(np.max(np.abs(res.V[-1] - V_ref))))


def main(quick: bool = False, json_path: str | None = None) -> list[dict]:
    """Run every case, print a table of ratios, and return (and optionally store) it."""
    reps = 3 if quick else 15
    print(header(gamma=GAMMA, step_t=f"{STEP:g}"))
    rows = [bench_case(S, reg, reps) for S in (50, 200) for reg in (0.0, 0.1)]
    for r in rows:
        print(f"{r['name']:>36}: theoryrl {r['theoryrl_it_per_s']:8.0f} it/s  NumPy "
              f"{r['numpy_it_per_s']:8.0f} it/s  ratio {r['ratio_vs_numpy']:5.2f}x  "
              f"(max diff log pi {r['max_abs_diff_logpi']:.1e}, V {r['max_abs_diff_V']:.1e})")
    write_json(json_path, rows)
    return rows


if __name__ == "__main__":
    script(main, __doc__)
