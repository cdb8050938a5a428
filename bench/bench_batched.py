"""Whole UCBVI runs in compiled code, one seed and many, against a plain compiled loop.

(a) One seed of UCBVI-L1 (A=5, H=20, dense ``random_mdp``, S from 25 to 200): the
    time per episode of the compiled whole-run kernel
    (:func:`theoryrl.agents._ucbvi_kernels.run_seeds`: optimistic planning, simulation,
    exact evaluation of the played policy, count update), K episodes in one call,
    divided by K; and the time of its planner alone (one call of
    ``optimistic_plan_t`` on the counts of a finished run). The reference is a plain
    compiled backward induction with a bonus written here: one ``@njit`` loop over
    (h, s, a, s') computing ``Q = r + sum_s' P V + b``, clipped at ``H - h``, max over
    a, no SIMD tricks. Ratios are ``time / plain loop time`` (< 1: faster than the
    loop); the episode target is 1.25 at most, the planner's below 1.
(b) Throughput: ``theoryrl.run(agent, mdp, episodes=500, seeds=8, n_jobs=J)`` for
    J = 1 and 2, as episodes delivered per plain-loop time (``8 * 500 * t_loop /
    t_run``; target 1.6 on two cores), and the speed-up of 2 threads over 1. On a
    loaded machine two threads do not get two cores; the CPU-time columns give what
    the figures would be if they did (a run on J threads taking its CPU time / J).

Timings are the best of several repeats (on a shared machine the best sample is the
one least disturbed by other work), the compared functions alternating within each
repeat and each sample lasting about as long as the slowest single call, after a
warm-up that compiles or loads the numba kernels; CPU times
(``time.process_time``, all threads) are reported next to wall-clock times. BLAS is
asked for one thread before NumPy loads. The machine's core count is printed, and
``--json PATH`` stores every row.
"""

from __future__ import annotations

# _benchkit sets one BLAS thread: it is imported before NumPy loads
from _benchkit import header, script, write_json

# isort: split

import time

import numba
import numpy as np
from numba import njit

import theoryrl as trl
from theoryrl.agents import UCBVI
from theoryrl.agents import _ucbvi_kernels as uk
from theoryrl.envs import random_mdp
from theoryrl.experiment.episodes import EpisodeSimulator

A, H = 5, 20


@njit
def plain_bonus_loop(P, R, B, H, V, pi):
    """Q_h = min(H - h, R + P V_{h+1} + B), V_h = max_a Q_h: the plain compiled floor."""
    S, A = R.shape
    for h in range(H - 1, -1, -1):
        cap = H - h
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                acc = 0.0
                for t in range(S):
                    acc += P[s, a, t] * V[h + 1, t]
                q = R[s, a] + acc + B[s, a]
                if q > cap:
                    q = cap
                if q > best:
                    best = q
                    arg = a
            pi[h, s] = arg
            V[h, s] = best


def _best(fns: list, repeats: int) -> list[tuple[float, float]]:
    """Best (wall, CPU) seconds per call of each function over ``repeats`` samples, the
    functions timed in turn within every repeat.

    Every sample is a batch of calls lasting about as long as the slowest single call
    (at least 5 ms), so a short reference and a long run are equally exposed to the
    interruptions of a shared machine (best-of-N would otherwise favour the short one).
    """
    once = []
    for fn in fns:
        fn()  # warm-up: JIT compile or cache load, page faults
        t0 = time.perf_counter()
        fn()
        once.append(max(time.perf_counter() - t0, 1e-7))
    target = max(5e-3, max(once))
    numbers = [max(1, round(target / t)) for t in once]
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for w, c, fn, n in zip(wall, cpu, fns, numbers):
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(n):
                fn()
            w.append((time.perf_counter() - t0) / n)
            c.append((time.process_time() - c0) / n)
    return [(min(w), min(c)) for w, c in zip(wall, cpu)]


def _ucbvi_inputs(S: int, K: int, seeds: int = 1):
    mdp = random_mdp(S, A, horizon=H, seed=0)
    agent = UCBVI(mdp.spec, episodes=K, bonus="l1")
    sim = EpisodeSimulator(mdp)
    U = np.random.default_rng(1).random((seeds, K, H + 1))
    out = (np.empty((seeds, K, S)), np.empty((seeds, K, S)))
    args = (sim.Pcum, sim.P4, sim.R3, sim.init_cum, U, *agent.compiled_run().args, *out)
    return mdp, agent, args


def bench_episode(S: int, K: int, repeats: int) -> dict:
    mdp, agent, args = _ucbvi_inputs(S, K)
    P, R = np.ascontiguousarray(mdp.P), np.ascontiguousarray(mdp.R)
    B = np.random.default_rng(2).random((S, A))
    V = np.zeros((H + 1, S))
    pi = np.empty((H, S), dtype=np.int64)
    # the planner alone, on the counts a K-episode run ends with
    a = agent
    a.reset(np.random.default_rng(0))
    sim = EpisodeSimulator(mdp)
    rng = np.random.default_rng(3)
    for _ in range(K):
        traj = sim.sample(a.policy(), rng)
        a.update(traj)
    (t_loop, c_loop), (t_run, c_run), (t_plan, c_plan) = _best(
        [lambda: plain_bonus_loop(P, R, B, H, V, pi), lambda: uk.run_seeds(*args),
         lambda: a.plan()], repeats)
    return dict(section="episode", name=f"S={S}, A={A}, H={H}", K=K,
                plain_loop_us=1e6 * t_loop, episode_us=1e6 * t_run / K, planner_us=1e6 * t_plan,
                plain_loop_cpu_us=1e6 * c_loop, episode_cpu_us=1e6 * c_run / K,
                planner_cpu_us=1e6 * c_plan,
                episode_ratio=t_run / K / t_loop, planner_ratio=t_plan / t_loop,
                episode_cpu_ratio=c_run / K / c_loop, planner_cpu_ratio=c_plan / c_loop)


def bench_throughput(S: int, K: int, seeds: int, repeats: int) -> dict:
    mdp = random_mdp(S, A, horizon=H, seed=0)
    agent = UCBVI(mdp.spec, episodes=K, bonus="l1")
    mdp.optimal_value()  # solved once and cached, as in any experiment
    P, R = np.ascontiguousarray(mdp.P), np.ascontiguousarray(mdp.R)
    B = np.random.default_rng(2).random((S, A))
    V = np.zeros((H + 1, S))
    pi = np.empty((H, S), dtype=np.int64)
    (t_loop, c_loop), (t1, c1), (t2, c2) = _best(
        [lambda: plain_bonus_loop(P, R, B, H, V, pi),
         lambda: trl.run(agent, mdp, episodes=K, seeds=seeds, n_jobs=1, progress=False),
         lambda: trl.run(agent, mdp, episodes=K, seeds=seeds, n_jobs=2, progress=False)],
        repeats)
    n = K * seeds
    # CPU-time figures: what the wall-clock ones would be with the cores to ourselves
    # (a run on J threads finishing in its CPU time / J)
    return dict(section="throughput", name=f"S={S}, A={A}, H={H}, {seeds} seeds x {K}",
                plain_loop_us=1e6 * t_loop, run_1_thread_s=t1, run_2_threads_s=t2,
                episodes_per_loop_1=n * t_loop / t1, episodes_per_loop_2=n * t_loop / t2,
                speedup_2_over_1=t1 / t2, cpu_s_1=c1, cpu_s_2=c2,
                cpu_episodes_per_loop_1=n * c_loop / c1,
                cpu_episodes_per_loop_2=n * c_loop / (c2 / 2))


def main(quick: bool = False, json_path: str | None = None) -> list[dict]:
    """Run every benchmark, print a table of ratios, and return (and optionally store) it."""
    reps = 3 if quick else 7
    print(header(numba_threads=numba.config.NUMBA_NUM_THREADS))
    rows = [bench_episode(S, 500 if quick else 1000, reps) for S in (25, 50, 100, 200)]
    for r in rows:
        print(f"UCBVI-L1 {r['name']:>18}: plain loop {r['plain_loop_us']:8.1f} us  episode "
              f"{r['episode_us']:8.1f} us ({r['episode_ratio']:.2f}x, CPU "
              f"{r['episode_cpu_ratio']:.2f}x)  planner {r['planner_us']:8.1f} us "
              f"({r['planner_ratio']:.2f}x, CPU {r['planner_cpu_ratio']:.2f}x)")
    for S in ((50,) if quick else (25, 50, 100, 200)):
        r = bench_throughput(S, 500, 8, max(2, reps // 3))
        rows.append(r)
        print(f"run() {r['name']:>30}: 1 thread {r['run_1_thread_s']:6.2f} s "
              f"({r['episodes_per_loop_1']:.2f} episodes per plain loop), 2 threads "
              f"{r['run_2_threads_s']:6.2f} s ({r['episodes_per_loop_2']:.2f}); 2 over 1 "
              f"{r['speedup_2_over_1']:.2f}x; CPU time {r['cpu_s_1']:.2f} s vs "
              f"{r['cpu_s_2']:.2f} s "
              f"({r['cpu_episodes_per_loop_1']:.2f} and {r['cpu_episodes_per_loop_2']:.2f} "
              f"episodes per plain loop with whole cores)")
    write_json(json_path, rows, numba=numba.__version__,
               numba_threads=numba.config.NUMBA_NUM_THREADS)
    return rows


if __name__ == "__main__":
    script(main, __doc__)
