"""LOOP figure 2 (ours, docs/theory/loop.md): number of plans (switches) vs T (log-x) for LOOP
(loop rule), LOOP (det rule) and UCRL2 (count rule) on the two-state gadget, with the
worst-case bounds of ``theoryrl.agents.loop.switch_bound`` dashed.
Writes ``loop_switching.png``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import theoryrl as trl
from theoryrl.agents import LOOP, UCRL2
from theoryrl.agents.loop import switch_bound
from theoryrl.envs.average import two_state_gadget
from theoryrl.experiment import save_figure


def main(out: str = "out", quick: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T, seeds = (2 ** 13, 3) if quick else (2 ** 18, 16)
    env = two_state_gadget(0.2, 0.1)
    B, S, A = 2.5, 2, 2
    agents = {"LOOP (loop, c_sw=16)": LOOP(env.spec, span_bound=B),
              "LOOP (det)": LOOP(env.spec, span_bound=B, switching="det"),
              "UCRL2 (count)": UCRL2(env.spec)}
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, ag in agents.items():
        res = trl.run(ag, env, steps=T, seeds=seeds)
        res.plot(ax=ax, label=label, quantity="switches")
    x = res.x
    L = math.sqrt(S) * B / 2
    ax.plot(x, [switch_bound("det", T=int(t), S=S, A=A, d=S, L=L) for t in x], "C1--", lw=0.8,
            label="det bound")
    ax.plot(x, [switch_bound("loop", T=int(t), S=S, A=A, d=S, L=L) for t in x], "C0--",
            lw=0.8, label="loop bound (on E_conf)")
    ax.plot(x, [switch_bound("count", T=int(t), S=S, A=A) if t >= S * A else np.nan
                for t in x], "C2--", lw=0.8, label="count bound")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel("plans (epochs)")
    ax.legend(fontsize=7)
    path = save_figure(fig, Path(out) / "loop_switching.png")
    plt.close(fig)
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
