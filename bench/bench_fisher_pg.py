"""Throughput of N-PG-IGT's independent runs, vectorised against one run at a time.

:func:`theoryrl.agents.fisher_pg.run_pg` with ``method="n_pg_igt"`` (Fatkhullin,
Barakat, Kireeva and He 2023, Algorithm 1) on the tabular softmax oracle of a
``random_mdp`` instance (S = 10, A = 4, gamma = 0.9, trajectories of H = 40 steps),
T iterations and R independent runs. theoryrl advances all R runs together (one
batch of R trajectories per iteration); the reference is the per-run Python loop a
user would write otherwise, ``run_pg(..., runs=1)`` once per seed. Both record the
exact value only at the last iteration.

The figure is trajectories per second of each side and their ratio
``reference time / theoryrl time`` (> 1: theoryrl faster), timed in the same run; the
mean final value of both (independent draws of the same distribution) is shown as a
sanity check. Timings are the best of several repeats, the two alternating within
each repeat, after one untimed warm-up call each; BLAS is asked for one thread
before NumPy loads. The machine's core count is printed, and ``--json PATH`` stores
every row.
"""

from __future__ import annotations

# _benchkit sets one BLAS thread: it is imported before NumPy loads
from _benchkit import best_interleaved, header, script, write_json

# isort: split

import numpy as np

from theoryrl.agents.fisher_pg import TabularOracle, run_pg
from theoryrl.envs import random_mdp
from theoryrl.evaluation.policy_gradient import PolicyGradientMDP

S, A, GAMMA, H = 10, 4, 0.9, 40



def bench_case(T: int, runs: int, repeats: int) -> dict:
    mdp = random_mdp(S, A, gamma=GAMMA, seed=0)
    oracle = TabularOracle(PolicyGradientMDP(mdp.P, mdp.R, GAMMA, np.full(S, 1.0 / S)), H)
    theta0 = np.zeros(oracle.dim)

    def vectorised():
        return run_pg("n_pg_igt", oracle, theta0, T, 1.0, runs=runs, seed=0, record=[T])

    def per_run():
        return [run_pg("n_pg_igt", oracle, theta0, T, 1.0, runs=1, seed=r, record=[T])
                for r in range(runs)]

    t, t_ref = best_interleaved([vectorised, per_run], repeats)
    j_vec = float(vectorised().values[-1].mean())
    j_ref = float(np.mean([r.values[-1, 0] for r in per_run()]))
    return dict(name=f"S={S}, A={A}, H={H}, T={T}, runs={runs}",
                theoryrl_ms=1e3 * t, per_run_ms=1e3 * t_ref,
                theoryrl_traj_per_s=T * runs / t, per_run_traj_per_s=T * runs / t_ref,
                ratio_vs_per_run=t_ref / t, mean_final_J=j_vec, mean_final_J_per_run=j_ref)


def main(quick: bool = False, json_path: str | None = None) -> list[dict]:
    """Run every case, print a table of ratios, and return (and optionally store) it."""
    reps = 2 if quick else 7
    T = 50 if quick else 200
    print(header(gamma=GAMMA))
    rows = [bench_case(T, runs, reps) for runs in ((8, 32) if quick else (8, 64))]
    for r in rows:
        print(f"{r['name']:>36}: theoryrl {r['theoryrl_traj_per_s']:9.0f} traj/s  per-run "
              f"loop {r['per_run_traj_per_s']:9.0f} traj/s  ratio {r['ratio_vs_per_run']:6.2f}x"
              f"  (mean final J {r['mean_final_J']:.4f} vs {r['mean_final_J_per_run']:.4f})")
    write_json(json_path, rows)
    return rows


if __name__ == "__main__":
    script(main, __doc__)
