"""Cost of one StepMix / EpsMix episode against UCBVI's, timed in the same process.

S = 100, A = 4, H = 20 (``random_mdp`` with branching 10). Each agent runs the
same number of episodes through :func:`theoryrl.run` (planning, pessimistic
evaluation, simulation and exact evaluation of the played policy all included);
the ratio is StepMix's (EpsMix's) seconds per episode over UCBVI-L1's, each the
median over ``repeats`` timed runs, the agents interleaved within every repeat
(so drifts of the machine's speed hit all of them alike). In the conservative
phase StepMix evaluates up to H knots (all of them batched in one compiled
backward pass, ``_stepmix_kernels.stepmix_knots``) and the driver evaluates a
policy that is stochastic at one step (exactly, the deterministic steps by the
deterministic kernel); ``StepMix-certified`` shows the steady state after
certification. A first short run of every agent compiles (or loads) the numba
kernels and is not timed. The conservative agents run with a baseline of
quality 0.5, so most episodes in the timed window are conservative (all H + 1
knots of StepMix evaluated).
"""

from __future__ import annotations

import argparse
import statistics
import time

import theoryrl as trl
from theoryrl.agents import UCBVI
from theoryrl.agents.stepmix import EpsMix, StepMix
from theoryrl.envs import conservative_random_mdp_baseline, random_mdp


def _time(agent, mdp, K: int) -> float:
    t0 = time.perf_counter()
    trl.run(agent, mdp, episodes=K, seeds=1, progress=False)
    return (time.perf_counter() - t0) / K


def main(quick: bool = False, repeats: int | None = None) -> list[dict]:
    S, A, H = 100, 4, 20
    K = 100 if quick else 400
    R = repeats if repeats is not None else (3 if quick else 7)
    mdp = random_mdp(S, A, horizon=H, branching=10, seed=0)
    pib = conservative_random_mdp_baseline(mdp, quality=0.5, seed=0)
    Vb = mdp.initial_value(pib)
    agents = [
        ("UCBVI-L1", UCBVI(mdp.spec, K, 0.05, bonus="l1")),
        ("EpsMix", EpsMix(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb)),
        ("StepMix", StepMix(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb)),
        ("StepMix-opt-first", StepMix(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb,
                                      order="optimistic_first")),
        ("StepMix-max_ub", StepMix(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb,
                                   select="max_ub")),
        # steady state: alpha = 1 certifies t = H at the first knot (one PES pass)
        ("StepMix-certified", StepMix(mdp.spec, K, baseline=pib, alpha=1.0, baseline_value=Vb)),
    ]
    for _, ag in agents:
        trl.run(ag, mdp, episodes=3, seeds=1, progress=False)  # compile / warm caches
    times: dict[str, list[float]] = {name: [] for name, _ in agents}
    for _ in range(R):
        for name, ag in agents:
            times[name].append(_time(ag, mdp, K))
    base = statistics.median(times["UCBVI-L1"])
    rows = []
    for name, _ in agents:
        t = statistics.median(times[name])
        rows.append(dict(name=name, seconds_per_episode=t, ratio=t / base, repeats=R))
    for r in rows:
        print(f"{r['name']:>18}: {1e3 * r['seconds_per_episode']:8.3f} ms/episode  "
              f"ratio to UCBVI {r['ratio']:.2f}  (S={S}, A={A}, H={H}, K={K}, "
              f"median of {R})")
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=None)
    a = p.parse_args()
    main(quick=a.quick, repeats=a.repeats)
