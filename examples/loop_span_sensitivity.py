"""LOOP figure 5 (ours, docs/theory/loop.md): span-bound sensitivity. Advantage regret of tabular
LOOP on the two-state gadget for B in {0.5, 1, 2, 4} x sp(V*); B < sp(V*) breaks
realizability. Writes ``loop_span_sensitivity.png``."""

from __future__ import annotations

from pathlib import Path

import theoryrl as trl
from theoryrl.agents import LOOP
from theoryrl.envs.average import facts, two_state_gadget
from theoryrl.experiment import save_figure


def main(out: str = "out", quick: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T, seeds = (2 ** 13, 3) if quick else (2 ** 18, 16)
    env = two_state_gadget(0.2, 0.1)
    sp = facts(env).span
    fig, ax = plt.subplots(figsize=(6, 4))
    for m in (0.5, 1.0, 2.0, 4.0):
        ag = LOOP(env.spec, span_bound=m * sp, switching="count")
        trl.run(ag, env, steps=T, seeds=seeds).plot(ax=ax, label=f"B = {m} sp(V*)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel("advantage regret")
    ax.legend(fontsize=7)
    path = save_figure(fig, Path(out) / "loop_span_sensitivity.png")
    plt.close(fig)
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
