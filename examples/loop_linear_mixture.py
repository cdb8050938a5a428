"""LOOP figure 3 (ours, docs/theory/loop.md): linear mixtures. Left: advantage regret vs T on the
Wu-Zhou-Gu hard instance (d = 4, 6) for LOOP-LM (det rule, span truncation) and
UCRL2-VTR (Hoeffding radius, no truncation). Right: regret at fixed T vs d (log-log).
Writes ``loop_linear_mixture.png``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import theoryrl as trl
from theoryrl.agents import LOOP, UCRL2VTR
from theoryrl.envs.average import facts, wzg_hard_linear_mixture
from theoryrl.experiment import save_figure


def main(out: str = "out", quick: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T, seeds, ds = (2 ** 12, 2, (3, 4)) if quick else (2 ** 16, 8, (4, 6, 8))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    final = {"LOOP-LM": [], "UCRL2-VTR": []}
    for d in ds:
        lm = wzg_hard_linear_mixture(d=d, delta_s=0.2, T=T, seed=d)
        f = facts(lm)
        C = float(np.linalg.norm(lm.theta)) * 1.001
        agents = {"LOOP-LM": LOOP(lm.spec, model="linear_mixture", span_bound=1.1 * f.span,
                                  features=lm.phi, theta_norm=C),
                  "UCRL2-VTR": UCRL2VTR(lm.spec, lm.phi, f.diameter, C)}
        for label, ag in agents.items():
            res = trl.run(ag, lm, steps=T, seeds=seeds)
            if d in ds[:2]:
                res.plot(ax=ax, label=f"{label}, d={d}")
            final[label].append(res.regret[:, -1].mean())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title("Wu-Zhou-Gu hard instance")
    ax.legend(fontsize=7)
    for label, v in final.items():
        ax2.plot(ds, np.maximum(v, 1e-9), "o-", label=label)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("d")
    ax2.set_ylabel(f"mean advantage regret at T={T}")
    ax2.legend(fontsize=7)
    path = save_figure(fig, Path(out) / "loop_linear_mixture.png")
    plt.close(fig)
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
