"""IWOCS on the windy walk: the certificate U_i >= robust value >= L_i, and the winner's curse.

Writes ``<out>/iwocs_windy_walk.png``. Left: Zouitine, Geist and Rachelson
(2024), Algorithm 1, on the windy walk (25 wind strengths in [0, 0.5],
gamma = 0.95) with exact evaluation: the upper bound :math:`U_i` and the
lower bound :math:`L_i` at each iteration for the paper's variant and the
``rect`` variant, against robust value iteration on the family's rectangular
hull (docs/theory/iwocs.md). Right: the paper's Monte-Carlo worst-case search
on 25 near-tied models (wind in [0.45, 0.5]) at the IWOCS policy: the minimum
of the 25 sample means is biased below the true minimum, the more so the
fewer rollouts per model (mean bias with 95% intervals over repetitions).

Run: ``python examples/iwocs_windy_walk.py --out out [--quick]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from theoryrl.agents.iwocs import iwocs, monte_carlo_values
from theoryrl.envs.robust import windy_walk
from theoryrl.experiment import save_figure
from theoryrl.robust import robust_value_iteration, static_value


def main(out: str = "out", quick: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rollouts, reps = ((10, 30, 100, 300), 10) if quick else ((10, 30, 100, 300, 1000), 200)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4))

    inst = windy_walk()
    hull = robust_value_iteration(inst.uset.hull(), inst.R, inst.gamma, epsilon=1e-10)
    # the two variants coincide here: the paper's drawn wide under the rect one
    for variant, marker, lw in (("paper", "o", 4.0), ("rect", "s", 1.2)):
        res = iwocs(inst.uset, inst.R, inst.gamma, inst.init, variant=variant)
        i = np.arange(res.iterations)
        ax.plot(i, res.upper, marker=marker, lw=lw, alpha=0.8, label=f"$U_i$ ({variant})")
        ax.plot(i, res.lower, marker=marker, lw=lw, alpha=0.8, ls="--",
                label=f"$L_i$ ({variant}, {res.status})")
    ax.axhline(hull.V[inst.init], color="k", lw=0.8, ls=":", label="robust VI on the hull")
    ax.set_xticks(i)
    ax.set_xlabel("iteration $i$")
    ax.set_ylabel(r"value at $s_0$")
    ax.set_title(r"windy walk, 25 winds in [0, 0.5], $\gamma$ = 0.95")
    ax.legend(fontsize=7)

    near = windy_walk(np.linspace(0.45, 0.5, 25))
    pi = iwocs(near.uset, near.R, near.gamma, near.init).policy
    exact = min(static_value(T, near.R, near.gamma, pi)[near.init] for T in near.uset.models)
    rng = np.random.default_rng(0)
    means, halves = [], []
    for n in rollouts:
        bias = np.array([monte_carlo_values(near.uset.models, near.R, near.gamma, pi,
                                            near.init, n, rng)[0].min() - exact
                         for _ in range(reps)])
        means.append(bias.mean())
        halves.append(1.96 * bias.std(ddof=1) / np.sqrt(reps))
    bx.errorbar(rollouts, means, yerr=halves, marker="o", capsize=3,
                label=r"$\min_\alpha \hat V_\alpha - \min_\alpha V_\alpha$")
    bx.axhline(0.0, color="k", lw=0.8)
    bx.set_xscale("log")
    bx.set_xlabel("rollouts per model")
    bx.set_ylabel("bias of the Monte-Carlo worst case")
    bx.set_title(f"25 near-tied winds in [0.45, 0.5], {reps} repetitions, 95% CI",
                 fontsize=10)
    bx.legend(fontsize=7)
    path = save_figure(fig, Path(out) / "iwocs_windy_walk.png")
    plt.close(fig)
    return path


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
