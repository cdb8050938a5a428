"""Cost of one StepMix / EpsMix episode against UCBVI's, timed in the same process.

S = 100, A = 4, H = 20 (``random_mdp`` with branching 10). Each agent runs the
same number of episodes through :func:`theoryrl.run` (planning, pessimistic
evaluation, simulation and exact evaluation of the played policy all included);
the ratio is StepMix's (EpsMix's) seconds per episode over UCBVI-L1's. In the
conservative phase StepMix evaluates up to H knots (H/2 PES passes on average)
and the driver evaluates a stochastic policy exactly (dense, not incremental);
``StepMix-certified`` shows the steady state after certification. A first
short run of every agent compiles (or loads) the numba kernels and is not timed.
The conservative agents run with a baseline of quality 0.5, so most episodes in
the timed window are conservative (all H + 1 knots of StepMix evaluated).
"""

from __future__ import annotations

import argparse
import time

import theoryrl as trl
from theoryrl.agents import UCBVI
from theoryrl.agents.stepmix import EpsMix, StepMix
from theoryrl.envs import conservative_random_mdp_baseline, random_mdp


def _time(agent, mdp, K: int) -> float:
    trl.run(agent, mdp, episodes=3, seeds=1)  # compile / warm caches
    t0 = time.perf_counter()
    trl.run(agent, mdp, episodes=K, seeds=1)
    return (time.perf_counter() - t0) / K


def main(quick: bool = False) -> list[dict]:
    S, A, H = 100, 4, 20
    K = 100 if quick else 400
    mdp = random_mdp(S, A, horizon=H, branching=10, seed=0)
    pib = conservative_random_mdp_baseline(mdp, quality=0.5, seed=0)
    Vb = mdp.initial_value(pib)
    base = _time(UCBVI(mdp.spec, K, 0.05, bonus="l1"), mdp, K)
    rows = [dict(name="UCBVI-L1", seconds_per_episode=base, ratio=1.0)]
    for name, ag in [
        ("EpsMix", EpsMix(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb)),
        ("StepMix", StepMix(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb)),
        ("StepMix-opt-first", StepMix(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb,
                                      order="optimistic_first")),
        ("StepMix-max_ub", StepMix(mdp.spec, K, baseline=pib, alpha=0.1, baseline_value=Vb,
                                   select="max_ub")),
        # steady state: alpha = 1 certifies t = H at the first knot (one PES pass)
        ("StepMix-certified", StepMix(mdp.spec, K, baseline=pib, alpha=1.0, baseline_value=Vb)),
    ]:
        t = _time(ag, mdp, K)
        rows.append(dict(name=name, seconds_per_episode=t, ratio=t / base))
    for r in rows:
        print(f"{r['name']:>18}: {1e3 * r['seconds_per_episode']:8.3f} ms/episode  "
              f"ratio to UCBVI {r['ratio']:.2f}  (S={S}, A={A}, H={H}, K={K})")
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    main(quick=p.parse_args().quick)
