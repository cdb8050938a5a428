"""LOOP figure 4 (ours, docs/theory/loop.md): optimism gap Jtilde_k - J* vs epoch start tau_k
(log-log) for tabular LOOP on the two-state gadget, with a tau^{-1/2} guide.
Writes ``loop_optimism_gap.png``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from theoryrl.agents import LOOP
from theoryrl.envs.average import facts, two_state_gadget
from theoryrl.experiment import save_figure, seed_sequences
from theoryrl.experiment.average import run_one


def main(out: str = "out", quick: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T, seeds = (2 ** 13, 3) if quick else (2 ** 18, 16)
    env = two_state_gadget(0.2, 0.1)
    f = facts(env)
    ag = LOOP(env.spec, span_bound=2.5, switching="count")
    fig, ax = plt.subplots(figsize=(6, 4))
    for seq in seed_sequences(seeds):
        r = run_one(ag, env, T, seq, keep_trajectory=False)
        h = r["agent"].history
        tau = np.array([x["tau"] for x in h], float)
        gap = np.array([x["gain"] for x in h]) - f.gain
        ax.plot(tau, np.maximum(gap, 1e-6), ".", alpha=0.5)
    t = np.logspace(0, np.log10(T), 50)
    ax.plot(t, 1 / np.sqrt(t), "k--", lw=0.8, label=r"$\tau^{-1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"epoch start $\tau_k$")
    ax.set_ylabel(r"$\tilde J_k - J^*$")
    ax.legend()
    path = save_figure(fig, Path(out) / "loop_optimism_gap.png")
    plt.close(fig)
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
