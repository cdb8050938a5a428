"""UCBVI for many seeds through the array API against the compiled single-seed run, same process.

:func:`theoryrl.experiment.run_batched` (every seed's counts in one array, each
step of an episode one array operation over the seed axis) with UCBVI-L1
(Azar, Osband, Munos 2017) on ``random_mdp(25, 5, horizon=20, seed=0)``, for
N = 1, 16, 256 and 4096 seeds in the chosen namespace (NumPy by default;
``--backend cupy`` on a GPU), against the reference ``theoryrl.run(agent,
mdp, K, seeds=1)``, the compiled single-seed loop on one core.

The figure is the time per seed-episode of each side and their ratio
``reference / batched`` (> 1: the batched run is faster per seed-episode),
timed in the same run; both sides' values of the first seeds are compared
(largest relative difference, expected at rounding level). Each timing is
the best of a few repeats after an untimed warm-up (compilation, imports).
For NumPy the peak memory per seed (``tracemalloc``) is set against
:func:`theoryrl.experiment.bytes_per_seed` (the model's arrays, shared by
all seeds, taken off). BLAS is asked for one thread
before NumPy loads, so both sides use one core; the machine's core count is
printed and ``--json PATH`` stores every row.
"""

from __future__ import annotations

# _benchkit sets one BLAS thread: it is imported before NumPy loads
from _benchkit import header, write_json

# isort: split

import argparse
import time
import tracemalloc

import numpy as np

import theoryrl as trl
from theoryrl.agents import UCBVI
from theoryrl.envs import random_mdp
from theoryrl.experiment import bytes_per_seed, run_batched

S, A, H = 25, 5, 20


def _best_s(fn, repeats: int) -> float:
    """Smallest wall-clock seconds of ``fn()`` over ``repeats`` calls after one warm-up."""
    fn()
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_reference(mdp, K: int, repeats: int) -> float:
    """Seconds per episode of the compiled single-seed run."""
    agent = UCBVI(mdp.spec, episodes=K)
    return _best_s(lambda: trl.run(agent, mdp, K, seeds=1, progress=False), repeats) / K


def bench_batched(mdp, N: int, backend: str, repeats: int, t_ref: float, work: int) -> dict:
    """One row: ``work`` seed-episodes (at least 2 episodes) of N seeds, timed."""
    K = max(2, min(200, work // N))
    agent = UCBVI(mdp.spec, episodes=K)
    t = _best_s(lambda: run_batched(agent, mdp, K, seeds=N, backend=backend),
                repeats if N < 4096 else 1)
    per = t / (N * K)
    row = dict(name=f"S={S} A={A} H={H} seeds={N}", seeds=N, episodes=K, backend=backend,
               batched_us_per_seed_episode=1e6 * per,
               reference_us_per_episode=1e6 * t_ref, ratio=t_ref / per,
               bytes_per_seed_bound=bytes_per_seed(S, A, H, K, seeds=N))
    if backend == "numpy" and 16 <= N <= 256:  # with fewer seeds, shared arrays dominate
        tracemalloc.start()
        try:
            run_batched(agent, mdp, K, seeds=N)
            shared = 16 * S * S * A + 8 * S * A + 16 * S  # the model's arrays (stationary)
            row["peak_bytes_per_seed"] = (tracemalloc.get_traced_memory()[1] - shared) / N
        finally:
            tracemalloc.stop()
    return row


def agreement(mdp, backend: str) -> float:
    """Largest relative difference of the values of 4 seeds x 30 episodes, batched vs run."""
    agent = UCBVI(mdp.spec, episodes=30)
    a = run_batched(agent, mdp, 30, seeds=4, backend=backend).values
    b = trl.run(agent, mdp, 30, seeds=4, progress=False).values
    return float(np.max(np.abs(a - b) / np.abs(b)))


def main(quick: bool = False, backend: str = "numpy", json_path: str | None = None
         ) -> list[dict]:
    """Run every case, print a table of ratios, and return (and optionally store) it."""
    reps = 2 if quick else 3
    print(header(backend=backend))
    mdp = random_mdp(S, A, horizon=H, seed=0)
    mdp.optimal_value()  # solved once, cached, as in any experiment
    t_ref = bench_reference(mdp, 200 if quick else 1000, reps)
    work = 8_000 if quick else 40_000  # seed-episodes per timed batched call
    rows = [bench_batched(mdp, N, backend, reps, t_ref, work)
            for N in ((1, 16, 256, 1024) if quick else (1, 16, 256, 4096))]
    diff = agreement(mdp, backend)
    for r in rows:
        mem = (f"  peak {r['peak_bytes_per_seed'] / 1e3:6.1f} kB/seed"
               if "peak_bytes_per_seed" in r else "")
        print(f"{r['name']:>30}: batched {r['batched_us_per_seed_episode']:9.1f} us/seed-episode"
              f"  compiled single seed {r['reference_us_per_episode']:7.1f} us/episode  "
              f"ratio {r['ratio']:6.3f}x  (bound {r['bytes_per_seed_bound'] / 1e3:.1f} "
              f"kB/seed{mem})")
    print(f"largest relative difference of the values, batched vs theoryrl.run: {diff:.1e}")
    write_json(json_path, rows, backend=backend, max_relative_difference=diff)
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer seeds and repeats")
    p.add_argument("--backend", default="numpy", choices=("numpy", "cupy"),
                   help="array namespace of the batched run")
    p.add_argument("--json", help="store the results here as JSON")
    a = p.parse_args()
    main(quick=a.quick, backend=a.backend, json_path=a.json)
