"""Speed of the compiled average-reward step loop vs a plain-numpy loop (same process).

For UCRL2 (count rule) and tabular LOOP (VTR ridge blocks + LOOP test, O(S^2) per
step) on RiverSwim-12 and a 50-state random communicating MDP: one plan is made
and its rule is made not to fire (visit limit ``2^40``, ``c_sw = 1e300``; the
statistics and the rule test are still computed at every step), so the figure is
the throughput of the step loop itself; the same per-step work (sampling,
statistics, rule test) is done by a plain Python/numpy loop. Prints steps per
second and the ratio. (Planning cost is not included: it is paid once per epoch.)
"""

from __future__ import annotations

import math
import time

import numpy as np

from theoryrl.agents import LOOP, UCRL2
from theoryrl.agents._average_kernels import count_segment
from theoryrl.agents.average import StepSim
from theoryrl.envs.average import random_communicating, riverswim_average

_NEVER = 1 << 40


class _NeverStopUCRL2(UCRL2):
    """UCRL2 whose doubling rule is still counted but never reached."""

    def play(self, sim, pi, t0):
        t, reason = count_segment(tuple(sim), pi, t0, np.full_like(self._N, _NEVER))
        return int(t), int(reason)


def _compiled(env, ag, pi, T, u):
    R = np.ascontiguousarray(env.R)
    Pcum = np.ascontiguousarray(np.cumsum(env.P, axis=-1))
    sim = StepSim(Pcum, R, u[:T], np.zeros(T + 1, dtype=np.int64), np.zeros(T, dtype=np.int64))
    t = 0
    t0 = time.perf_counter()
    while t < T:
        t, _ = ag.play(sim, pi, t)
    return T / (time.perf_counter() - t0)


def _numpy(env, ag, pi, T, u):
    """The same per-step work in plain Python + numpy."""
    P = np.asarray(env.P)
    Pcum = np.cumsum(P, axis=-1)
    S, A = env.n_states, env.n_actions
    nu = np.zeros((S, A), dtype=np.int64)
    loop = isinstance(ag, LOOP)
    if loop:
        rd = ag.ridge
        G, Ginv, b, logdet = rd.G.copy(), rd.Ginv.copy(), rd.b.copy(), rd.logdet.copy()
        c0, c1, c2, c3 = ag.beta_coef()
        ptilde = ag.history[-1]["ptilde"]
    s = 0
    t0 = time.perf_counter()
    for t in range(T):
        a = pi[s]
        s2 = min(int(np.searchsorted(Pcum[s, a], u[t], side="right")), S - 1)
        if not loop:
            nu[s, a] += 1
            if nu[s, a] >= _NEVER:
                nu[:] = 0
        else:
            k = rd.block[s, a]
            x = rd.X[s, a]
            v = Ginv[k] @ x
            q = 1.0 + x @ v
            Ginv[k] -= np.outer(v, v) / q
            G[k] += np.outer(x, x)
            b[k] += rd.y[s2] * x
            logdet[k] += math.log(q)
            sq = c0 * math.sqrt(max(c1 + logdet[k] - c2, 0.0)) + c3
            diff = ptilde[k] - Ginv[k] @ b[k]
            _ = diff @ G[k] @ diff > ag.c_sw * sq * sq
        s = s2
    return T / (time.perf_counter() - t0)


def main(quick: bool = False) -> list[dict]:
    T_c, T_n = (2 ** 16, 2 ** 12) if quick else (2 ** 20, 2 ** 14)
    envs = {"riverswim12": (riverswim_average(12), 16.0),
            "random50": (random_communicating(50, 2, branching=3, seed=0), 2.0)}
    rows = []
    for ename, (env, B) in envs.items():
        for aname, make in (("UCRL2", lambda e: _NeverStopUCRL2(e.spec)),
                            ("LOOP", lambda e, B=B: LOOP(e.spec, span_bound=B, c_sw=1e300))):
            ag = make(env)
            u = np.random.default_rng(1).random(T_c)

            def fresh(ag=ag):
                ag.reset(np.random.default_rng(0))
                return ag, ag.policy()

            _compiled(env, *fresh(), 1000, u)  # compile / warm
            sc = _compiled(env, *fresh(), T_c, u)
            sn = _numpy(env, *fresh(), T_n, u)
            row = dict(agent=aname, env=ename, steps_per_s_compiled=sc,
                       steps_per_s_numpy=sn, ratio=sc / sn)
            rows.append(row)
            print(f"{aname:6s} {ename:12s} compiled {sc:12.0f} steps/s   numpy {sn:10.0f} "
                  f"steps/s   ratio {sc / sn:7.1f}x")
    return rows


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    main(quick=p.parse_args().quick)
