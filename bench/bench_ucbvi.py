"""UCBVI speed: compiled kernels and the full episode loop against plain NumPy, same process.

(a) The backward-induction kernel (``theoryrl.planning._kernels.backward_induction``)
    against a straightforward vectorised-NumPy backward induction (one
    ``(S*A, S) @ (S,)`` product per stage) at S=100, A=4, H=20 and S=500,
    A=10, H=50 (dense random kernels).
(b) A full UCBVI-L1 episode loop, i.e. ``theoryrl.run`` of UCBVI (optimistic
    planning, simulation, count update and exact evaluation of the played
    policy, every episode) in episodes per second at S=50, A=5, H=20 and
    S=100, A=4, H=20 (dense ``random_mdp``, seed 0), against the same loop
    written in vectorised NumPy. Targets: >= 5,000 episodes/s at S=50 and
    >= 2,000 at S=100, one core.

Every timing is the median of several repeats with ``time.perf_counter``
after a warm-up that compiles (or loads) the numba kernels; the episode loop
also reports episodes per CPU second (``time.process_time``), which a busy
machine distorts less than wall-clock time. BLAS is asked
for one thread when this file runs as a script (environment variables set
before NumPy loads), so both sides use one core. Ratios are NumPy time over
theoryrl time (> 1: theoryrl faster).
"""

from __future__ import annotations

# _benchkit sets one BLAS thread: it is imported before NumPy loads
from _benchkit import header, script, write_json

# isort: split

import statistics
import time

import numpy as np

import theoryrl as trl
from theoryrl.agents import UCBVI
from theoryrl.envs import random_mdp
from theoryrl.planning import _kernels as plan_kernels


def _median_time(fn, repeats: int, cpu: list | None = None) -> float:
    """Median wall-clock seconds of ``fn()``; appends the median CPU seconds to ``cpu``."""
    fn()  # warm-up (JIT compile or cache load, page faults)
    ts, cs = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    if cpu is not None:
        cpu.append(statistics.median(cs))
    return statistics.median(ts)


# -- (a) backward induction --------------------------------------------------------------

def numpy_backward_induction(P: np.ndarray, R: np.ndarray, H: int):
    """Plain vectorised NumPy: Q_h = R + P V_{h+1}, V_h = max_a Q_h, pi_h = argmax_a Q_h."""
    S, A = R.shape
    P2 = P.reshape(S * A, S)
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        Q[h] = R + (P2 @ V[h + 1]).reshape(S, A)
        pi[h] = Q[h].argmax(axis=1)
        V[h] = Q[h].max(axis=1)
    return V, Q, pi


def bench_backward_induction(S: int, A: int, H: int, repeats: int) -> dict:
    mdp = random_mdp(S, A, horizon=H, seed=0)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    P4, R3, B3 = P[None], R[None], np.zeros((1, S, A))
    cap = np.full(H, np.inf)
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)

    def kernel():
        plan_kernels.backward_induction(P4, R3, B3, cap, V, Q, pi)

    t_kernel = _median_time(kernel, repeats)
    t_numpy = _median_time(lambda: numpy_backward_induction(P, R, H), repeats)
    Vn, Qn, _ = numpy_backward_induction(P, R, H)
    err = float(np.max(np.abs(Qn - Q)))
    return dict(name=f"backward_induction S={S} A={A} H={H}", theoryrl_ms=1e3 * t_kernel,
                numpy_ms=1e3 * t_numpy, ratio=t_numpy / t_kernel, max_abs_diff=err)


# -- (b) the UCBVI episode loop ------------------------------------------------------------

def numpy_ucbvi(mdp, K: int, delta: float, seed: int) -> np.ndarray:
    """UCBVI-L1 written in vectorised NumPy; returns the exact value of each played policy.

    Same algorithm as :class:`theoryrl.agents.UCBVI` with ``bonus="l1"``: counts,
    optimistic backward induction clipped at H - h, greedy policy, an episode
    sampled by inverse-CDF draws, then the played policy evaluated exactly.
    """
    S, A, H = mdp.n_states, mdp.n_actions, mdp.horizon
    P, R, init = np.asarray(mdp.P), np.asarray(mdp.R), np.asarray(mdp.init)
    Pcum = np.cumsum(P, axis=-1)
    init_cum = np.cumsum(init)
    iota = np.log(S * A * H * K / delta)
    c = np.sqrt(2.0 * (S * np.log(2.0) + iota))
    rng = np.random.default_rng(seed)
    N = np.zeros((S * A, S))
    n = np.zeros(S * A)
    idx = np.arange(S)
    values = np.empty(K)
    V = np.zeros((H + 1, S))
    pi = np.empty((H, S), dtype=np.int64)
    Rf = R.reshape(-1)
    for k in range(K):
        seen = n > 0
        m = np.maximum(n, 1.0)
        base = c / np.sqrt(m)
        for h in range(H - 1, -1, -1):
            cap = H - h
            q = Rf + (N @ V[h + 1]) / m + 0.5 * (cap - 1) * base
            q = np.where(seen, np.minimum(q, cap), cap).reshape(S, A)
            pi[h] = q.argmax(axis=1)
            V[h] = q[idx, pi[h]]
        u = rng.random(H + 1)
        s = min(int(np.searchsorted(init_cum, u[0], side="right")), S - 1)
        for h in range(H):
            a = pi[h, s]
            nxt = min(int(np.searchsorted(Pcum[s, a], u[h + 1], side="right")), S - 1)
            N[s * A + a, nxt] += 1.0
            n[s * A + a] += 1.0
            s = nxt
        W = np.zeros(S)
        for h in range(H - 1, -1, -1):
            W = R[idx, pi[h]] + P[idx, pi[h]] @ W
        values[k] = init @ W
    return values


def bench_episode_loop(S: int, A: int, H: int, K: int, K_numpy: int, repeats: int) -> dict:
    mdp = random_mdp(S, A, horizon=H, seed=0)
    agent = UCBVI(mdp.spec, episodes=K, delta=0.05, bonus="l1")
    mdp.optimal_value()  # solved once, cached, as in any experiment
    cpu: list[float] = []
    t = _median_time(lambda: trl.run(agent, mdp, episodes=K, seeds=1), repeats, cpu)
    t_np = _median_time(lambda: numpy_ucbvi(mdp, K_numpy, 0.05, 0), max(1, repeats // 2), cpu)
    eps, eps_np = K / t, K_numpy / t_np
    return dict(name=f"UCBVI-L1 episode loop S={S} A={A} H={H}", episodes=K,
                theoryrl_episodes_per_s=eps, numpy_episodes_per_s=eps_np, ratio=eps / eps_np,
                theoryrl_cpu_episodes_per_s=K / cpu[0], numpy_cpu_episodes_per_s=K_numpy / cpu[1])


def main(quick: bool = False, json_path: str | None = None) -> list[dict]:
    """Run the benchmarks, print one line each, and return them as dicts."""
    reps = 3 if quick else 7
    print(header())
    rows = [bench_backward_induction(100, 4, 20, reps),
            bench_backward_induction(500, 10, 50, reps if not quick else 2)]
    K = 400 if quick else 2000
    K_np = 100 if quick else 300
    rows += [bench_episode_loop(50, 5, 20, K, K_np, reps),
             bench_episode_loop(100, 4, 20, K, K_np, reps)]
    for r in rows:
        if "theoryrl_ms" in r:
            print(f"{r['name']:>42}: theoryrl {r['theoryrl_ms']:9.3f} ms   numpy "
                  f"{r['numpy_ms']:9.3f} ms   ratio {r['ratio']:6.2f}x   "
                  f"(max |dQ| {r['max_abs_diff']:.1e})")
        else:
            print(f"{r['name']:>42}: theoryrl {r['theoryrl_episodes_per_s']:9.0f} ep/s   numpy "
                  f"{r['numpy_episodes_per_s']:9.0f} ep/s   ratio {r['ratio']:6.2f}x   "
                  f"(K={r['episodes']}; CPU time: {r['theoryrl_cpu_episodes_per_s']:.0f} vs "
                  f"{r['numpy_cpu_episodes_per_s']:.0f} ep/s)")
    write_json(json_path, rows)
    return rows


if __name__ == "__main__":
    script(main, __doc__)
