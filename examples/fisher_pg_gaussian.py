"""Normalised momentum policy gradient on the Gaussian bandit: median gap vs samples.

Writes ``<out>/fisher_pg_gaussian.png``: N-PG-IGT and N-HARPG of Fatkhullin,
Barakat, Kireeva and He (2023) against vanilla PG on a one-state bandit with
the Fisher-non-degenerate policy :math:`a \\sim N(\\theta, 1)`, reward
:math:`e^{-a^2/2}`, :math:`\\theta_0 = 1.5`, :math:`\\alpha_0 = 1`: the median
over runs of the exact gap :math:`J^* - J(\\theta_t)` against the environment
samples used (N-HARPG draws two per iteration), with interquartile bands, on
a log-log plot with an :math:`n^{-1}` reference (docs/theory/fisher_pg.md).

Run: ``python examples/fisher_pg_gaussian.py --out out [--quick]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from theoryrl.agents.fisher_pg import GaussianBandit, run_pg
from theoryrl.experiment import save_figure


def main(out: str = "out", quick: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T, runs = (10_000, 100) if quick else (100_000, 400)
    record = np.unique(np.geomspace(1, T, 40).astype(int))
    toy = GaussianBandit(1.0)
    methods = {"n_pg_igt": "N-PG-IGT", "n_harpg": "N-HARPG", "pg": "vanilla PG"}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for j, (method, label) in enumerate(methods.items()):
        res = run_pg(method, toy, np.array([1.5]), T, 1.0, runs=runs, seed=j, record=record)
        gap = toy.optimum() - res.values  # (len(record), runs)
        lo, med, hi = np.percentile(gap, [25, 50, 75], axis=1)
        line = ax.plot(res.samples, med, label=label)[0]
        ax.fill_between(res.samples, lo, hi, color=line.get_color(), alpha=0.2)
    n = res.samples
    ax.plot(n, med[-1] * n[-1] / n, "k--", lw=0.8, label=r"$n^{-1}$ through the last point")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("environment samples $n$")
    ax.set_ylabel(r"median $J^* - J(\theta_t)$")
    ax.set_title(rf"Gaussian bandit, $\sigma$ = 1, {runs} runs, interquartile bands")
    ax.legend(fontsize=7)
    path = save_figure(fig, Path(out) / "fisher_pg_gaussian.png")
    plt.close(fig)
    return path


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
