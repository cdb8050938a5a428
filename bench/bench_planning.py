"""Exact planners against reference implementations, timed side by side in one process.

(a) Discounted solvers at gamma=0.99 on dense ``random_mdp`` instances (S=50, A=5 and
    S=500, A=10): theoryrl's policy iteration, value iteration to accuracy 1e-6,
    modified policy iteration and the default ``solve``, against QuantEcon's
    ``DiscreteDP`` (policy iteration; value iteration with ``epsilon=1e-6``). QuantEcon
    is an optional bench dependency (``pip install quantecon``); without it those
    columns are skipped and the ratios are left empty.
(b) Finite-horizon backward induction, ``planning.backward_induction(P, R, H)`` as a
    user calls it (validation, allocation, result object included), at S from 25 to
    500, against a vectorised NumPy loop (one ``(S*A, S) @ (S,)`` BLAS product per
    stage) and three compiled floors written here, each given preallocated outputs
    and no validation: the plain ``@njit`` loop over (h, s, a, s'), the same loop
    allowed to reorder sums (``fastmath``: SIMD and fused multiply-adds), and a
    ``fastmath`` loop that first copies P transposed (timed with the copy) so that
    the SIMD runs over the S*A independent sums. theoryrl keeps the plain loop's
    summation order bit for bit (the plain loop is its like-for-like floor); the
    ``fastmath`` floors show what giving that up would buy, and the best of the three
    is "the floor".

Every figure is reported as a ratio ``reference time / theoryrl time`` against
references timed in the same run (> 1: theoryrl faster). Timings are CPU time
(``time.process_time``, so time slices lost to other processes on a shared machine do
not count), the best of several repeats (batches of calls of about 2 ms each, or 1 ms
and twice the repeats for backward induction; the best sample is the one least
disturbed by other work), the compared functions
alternating within each repeat (so the load of a shared machine drifts evenly over
them), after a warm-up that compiles or loads the numba kernels; BLAS and numba are
asked for one thread before NumPy loads, so CPU time is the time of one core. The
machine's core count is printed, and ``--json PATH`` stores every row (times in ms,
ratios, accuracy figures); ``--section`` runs one part only.
"""

from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

from theoryrl import planning  # noqa: E402
from theoryrl.envs import random_mdp  # noqa: E402

GAMMA = 0.99
VI_EPSILON = 1e-6


def _interleaved_ms(fns: list, repeats: int, batch_s: float = 2e-3) -> list[float]:
    """Best (smallest) CPU milliseconds per call of each function over ``repeats``
    samples, the functions timed in turn within every repeat.

    Alternating the functions spreads the drift of a shared machine's load evenly over
    them, so the ratios stay meaningful even when the absolute times do not. Each
    sample times a batch of calls lasting about ``batch_s`` seconds (like ``timeit``'s
    autorange), so sub-millisecond calls are not at the mercy of the timer and of
    single interruptions.
    """
    numbers = []
    for fn in fns:
        fn()  # warm-up: JIT compile or cache load, page faults
        t0 = time.perf_counter()
        fn()
        numbers.append(max(1, int(batch_s / max(time.perf_counter() - t0, 1e-7))))
    ts: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for t, fn, n in zip(ts, fns, numbers):
            t0 = time.process_time()
            for _ in range(n):
                fn()
            t.append((time.process_time() - t0) / n)
    return [1e3 * min(t) for t in ts]


def _quantecon():
    try:
        from quantecon.markov import DiscreteDP
    except ImportError:
        return None
    return DiscreteDP


# -- (a) discounted solvers --------------------------------------------------------------

def bench_discounted(S: int, A: int, repeats: int) -> list[dict]:
    mdp = random_mdp(S, A, gamma=GAMMA, seed=0)
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    DiscreteDP = _quantecon()
    ddp = DiscreteDP(R, P, GAMMA) if DiscreteDP is not None else None
    vstar = planning.policy_iteration(P, R, GAMMA).V
    rows = []
    ours = {"policy iteration": lambda: planning.policy_iteration(P, R, GAMMA),
            f"value iteration to {VI_EPSILON:g}":
                lambda: planning.value_iteration(P, R, GAMMA, VI_EPSILON)}
    theirs = {"policy iteration": lambda: ddp.solve(method="policy_iteration"),
              f"value iteration to {VI_EPSILON:g}":
                  lambda: ddp.solve(method="value_iteration", epsilon=VI_EPSILON)}
    if hasattr(planning, "modified_policy_iteration"):
        ours[f"modified policy iteration to {VI_EPSILON:g}"] = (
            lambda: planning.modified_policy_iteration(P, R, GAMMA, VI_EPSILON))
        theirs[f"modified policy iteration to {VI_EPSILON:g}"] = (
            lambda: ddp.solve(method="modified_policy_iteration", epsilon=VI_EPSILON))
    ours["solve (default method)"] = lambda: planning.solve(mdp)
    theirs["solve (default method)"] = lambda: ddp.solve(method="policy_iteration")
    for name, fn in ours.items():
        # planning.solve(mdp) bypasses the model's cached solution
        if ddp is None:
            t, = _interleaved_ms([fn], repeats)
        else:
            t, tq = _interleaved_ms([fn, theirs[name]], repeats)
        sol = fn()
        row = dict(section="discounted", name=f"{name}, S={S}, A={A}", theoryrl_ms=t,
                   reported_error=float(getattr(sol, "error", np.nan)),
                   actual_error=float(np.max(np.abs(sol.V - vstar))))
        if ddp is not None:
            row.update(quantecon_ms=tq, ratio_vs_quantecon=tq / t)
        rows.append(row)
    return rows


# -- (b) backward induction --------------------------------------------------------------

def numpy_backward_induction(P2: np.ndarray, R: np.ndarray, H: int):
    """Vectorised NumPy: Q_h = R + P V_{h+1} as one BLAS product, V_h = max_a Q_h."""
    S, A = R.shape
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        Q[h] = R + (P2 @ V[h + 1]).reshape(S, A)
        pi[h] = Q[h].argmax(axis=1)
        V[h] = Q[h].max(axis=1)
    return V, Q, pi


def _loop(P, R, H, V, Q, pi):
    S, A = R.shape
    for h in range(H - 1, -1, -1):
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                acc = 0.0
                for t in range(S):
                    acc += P[s, a, t] * V[h + 1, t]
                q = R[s, a] + acc
                Q[h, s, a] = q
                if q > best:
                    best = q
                    arg = a
            pi[h, s] = arg
            V[h, s] = best


def _transposed_loop(P, R, H, V, Q, pi):
    S, A = R.shape
    PT = np.empty((S, S * A))
    for s in range(S):
        for a in range(A):
            for t in range(S):
                PT[t, s * A + a] = P[s, a, t]
    pv = np.empty(S * A)
    for h in range(H - 1, -1, -1):
        pv[:] = 0.0
        for t in range(S):
            vt = V[h + 1, t]
            for r in range(S * A):
                pv[r] += PT[t, r] * vt
        for s in range(S):
            best = -np.inf
            arg = 0
            for a in range(A):
                q = R[s, a] + pv[s * A + a]
                Q[h, s, a] = q
                if q > best:
                    best = q
                    arg = a
            pi[h, s] = arg
            V[h, s] = best


plain_loop = njit(_loop)  # compiled in the warm-up; a script's cache would depend on how it was run
fastmath_loop = njit(fastmath=True)(_loop)
fastmath_transposed_loop = njit(fastmath=True)(_transposed_loop)


def bench_backward_induction(S: int, A: int, H: int, repeats: int) -> dict:
    mdp = random_mdp(S, A, horizon=H, seed=0)
    P, R = np.ascontiguousarray(mdp.P), np.ascontiguousarray(mdp.R)
    P2 = P.reshape(S * A, S)
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    t, t_np, t_plain, t_fast, t_fast_t = _interleaved_ms(
        [lambda: planning.backward_induction(P, R, H), lambda: numpy_backward_induction(P2, R, H),
         lambda: plain_loop(P, R, H, V, Q, pi), lambda: fastmath_loop(P, R, H, V, Q, pi),
         lambda: fastmath_transposed_loop(P, R, H, V, Q, pi)],
        repeats, batch_s=1e-3)  # short batches: more samples fall between interruptions
    floor = min(t_plain, t_fast, t_fast_t)
    sol = planning.backward_induction(P, R, H)
    plain_loop(P, R, H, V, Q, pi)
    return dict(section="backward induction", name=f"S={S}, A={A}, H={H}", theoryrl_ms=t,
                numpy_ms=t_np, plain_loop_ms=t_plain, fastmath_loop_ms=t_fast,
                fastmath_transposed_loop_ms=t_fast_t, best_floor_ms=floor,
                ratio_vs_numpy=t_np / t, ratio_vs_plain_loop=t_plain / t,
                ratio_vs_best_floor=floor / t,
                bit_identical_to_plain_loop=bool(np.array_equal(sol.Q, Q)),
                max_abs_diff_vs_numpy=float(np.max(np.abs(
                    sol.Q - numpy_backward_induction(P2, R, H)[1]))))


SECTIONS = ("discounted", "backward")


def main(quick: bool = False, json_path: str | None = None,
         sections: tuple[str, ...] = SECTIONS) -> dict:
    """Run the benchmarks, print a table of ratios, and return (and optionally store) it."""
    reps = 3 if quick else 15
    cores = os.cpu_count()
    print(f"cores: {cores}, BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}, "
          f"timer: CPU time (process), gamma={GAMMA}, "
          f"QuantEcon: {'yes' if _quantecon() else 'not installed'}")
    rows = []
    if "discounted" in sections:
        rows += bench_discounted(50, 5, reps) + bench_discounted(500, 10, max(3, reps // 3))
    if "backward" in sections:
        for S, A, H in ((25, 5, 20), (50, 5, 20), (100, 4, 20), (200, 5, 20), (500, 10, 50)):
            rows.append(bench_backward_induction(S, A, H,
                                                 2 * reps if S < 500 else max(3, reps // 3)))
    for r in rows:
        if r["section"] == "discounted":
            q = (f"QuantEcon {r['quantecon_ms']:9.3f} ms  ratio {r['ratio_vs_quantecon']:6.2f}x"
                 if "quantecon_ms" in r else "QuantEcon -")
            print(f"{r['name']:>48}: theoryrl {r['theoryrl_ms']:9.3f} ms  {q}  "
                  f"(error reported {r['reported_error']:.1e}, actual {r['actual_error']:.1e})")
        else:
            t = r["theoryrl_ms"]
            same = "yes" if r["bit_identical_to_plain_loop"] else "no"
            print(f"{'backward induction ' + r['name']:>40}: theoryrl {t:8.3f} ms"
                  f"  vs NumPy {r['ratio_vs_numpy']:5.2f}x  vs best floor "
                  f"{r['ratio_vs_best_floor']:5.2f}x  (plain {r['ratio_vs_plain_loop']:5.2f}x, "
                  f"fastmath {r['fastmath_loop_ms'] / t:5.2f}x, "
                  f"fastmath transposed {r['fastmath_transposed_loop_ms'] / t:5.2f}x; "
                  f"bit-identical to plain: {same})")
    out = dict(cores=cores, machine=platform.machine(), python=platform.python_version(),
               numpy=np.__version__, blas_threads=os.environ["OPENBLAS_NUM_THREADS"],
               timer="process_time", rows=rows)
    if json_path:
        with open(json_path, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--json", help="store the results here as JSON")
    p.add_argument("--section", choices=SECTIONS, action="append",
                   help="run only this part (repeatable); all by default")
    a = p.parse_args()
    main(quick=a.quick, json_path=a.json, sections=tuple(a.section or SECTIONS))
