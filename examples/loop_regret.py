"""LOOP figure 1 (ours, docs/theory/loop.md): advantage regret vs T on RiverSwim-6
and a random communicating MDP; LOOP (VTR, and L1 ablation) vs UCRL2 and UCRL2B, log-log, with a
sqrt(T) reference line. Writes ``loop_regret.png``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import theoryrl as trl
from theoryrl.agents import LOOP, UCRL2, UCRL2B
from theoryrl.envs.average import facts, random_communicating, riverswim_average
from theoryrl.experiment import save_figure


def main(out: str = "out", quick: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T, seeds = (2 ** 13, 3) if quick else (2 ** 18, 16)
    envs = {"RiverSwim-6": riverswim_average(6),
            "random S=5, A=2": random_communicating(5, 2, branching=3, seed=0)}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (name, env) in zip(axes, envs.items(), strict=True):
        B = 1.1 * facts(env, with_diameter=False).span
        agents = {"LOOP (vtr)": LOOP(env.spec, span_bound=B),
                  "LOOP (l1, count)": LOOP(env.spec, span_bound=B, confidence="l1",
                                           switching="count"),
                  "UCRL2": UCRL2(env.spec), "UCRL2B": UCRL2B(env.spec)}
        for label, ag in agents.items():
            res = trl.run(ag, env, steps=T, seeds=seeds, n_jobs=1 if quick else 2)
            res.plot(ax=ax, label=label)
        x = res.x
        ax.plot(x, np.sqrt(x), "k--", lw=0.8, label=r"$\sqrt{T}$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{name} (B = 1.1 sp)")
        ax.set_ylabel(r"advantage regret $\sum_t \Delta(s_t,a_t)$")
        ax.legend(fontsize=7)
    path = save_figure(fig, Path(out) / "loop_regret.png")
    plt.close(fig)
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
