"""StepMix / EpsMix benchmark figures (our benchmark, docs/theory/stepmix.md, NOT a reproduction
of the paper's experiments, which could not be read).

Writes three PNGs under ``<out>``:

``stepmix_regret.png``
    exact cumulative regret (mean, 95% t-bands over seeds) on the random
    instance Q (S=3, A=2, H=3) with alpha = 0.1: StepMix (both orders), EpsMix,
    unconstrained UCBVI-L1, CUCBVI, the budget reduction, DOPE-style switching
    and the baseline alone.
``stepmix_values.png``
    exact value of the played policy per episode (minimum over seeds) on the
    conservative trap (H=5) against the threshold (1 - alpha) V_b.
``stepmix_violations.png``
    episode-wise violations (mean per run) and cumulative-constraint violations
    of every agent on the trap.

Run: ``python examples/stepmix_benchmark.py --out out [--quick]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import theoryrl as trl
from theoryrl.agents import CUCBVI, UCBVI, BaselineOnly, BudgetConservative, DOPESwitch
from theoryrl.agents.conservative import cumulative_violations
from theoryrl.agents.stepmix import EpsMix, StepMix, constraint_violations
from theoryrl.experiment import save_figure


def _agents(mdp, pib, Vb, alpha, K):
    kw = dict(baseline=pib, alpha=alpha, baseline_value=Vb)
    return {
        "UCBVI-L1 (unconstrained)": UCBVI(mdp.spec, K, 0.05, bonus="l1"),
        "EpsMix": EpsMix(mdp.spec, K, **kw),
        "StepMix (baseline first)": StepMix(mdp.spec, K, **kw),
        "StepMix (optimistic first)": StepMix(mdp.spec, K, order="optimistic_first", **kw),
        "CUCBVI (cumulative)": CUCBVI(mdp.spec, K, **kw),
        "Budget reduction (cumulative)": BudgetConservative(mdp.spec, K, **kw),
        "DOPE-style switch": DOPESwitch(mdp.spec, K, **kw),
        "baseline only": BaselineOnly(mdp.spec, K, **kw),
    }


def main(out: str = "out", quick: bool = False) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    alpha = 0.1
    K, seeds = (1000, 3) if quick else (8000, 10)
    paths = []
    # -- regret on Q ---------------------------------------------------------------
    mdp = trl.envs.conservative_random_mdp()
    pib = trl.envs.conservative_random_mdp_baseline(mdp)
    Vb = mdp.initial_value(pib)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for label, ag in _agents(mdp, pib, Vb, alpha, K).items():
        trl.run(ag, mdp, episodes=K, seeds=seeds, n_jobs=2, progress=False).plot(ax=ax,
                                                                                 label=label)
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylabel("cumulative exact regret")
    ax.set_title(f"Random MDP Q (S=3, A=2, H=3), alpha={alpha}: {seeds} seeds, 95% bands")
    ax.legend(fontsize=7)
    paths.append(save_figure(fig, Path(out) / "stepmix_regret.png"))
    plt.close(fig)
    # -- values and violations on the trap -------------------------------------------
    trap = trl.envs.conservative_trap()
    pib = trl.envs.conservative_trap_baseline(trap)
    Vb = trap.initial_value(pib)
    Kt = 300 if quick else 2000
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    names, ep_viol, cum_viol = [], [], []
    for label, ag in _agents(trap, pib, Vb, alpha, Kt).items():
        res = trl.run(ag, trap, episodes=Kt, seeds=seeds, n_jobs=2, progress=False)
        ax.plot(res.x, res.values.min(axis=0), label=label, lw=0.8)
        names.append(label)
        ep_viol.append(constraint_violations(res.values, Vb, alpha).sum(axis=1).mean())
        cum_viol.append(cumulative_violations(res.values, Vb, alpha).sum(axis=1).mean())
    ax.axhline((1 - alpha) * Vb, color="k", ls="--", label="(1 - alpha) V_b")
    ax.set_xscale("log")
    ax.set_xlabel("episode")
    ax.set_ylabel("exact value of the played policy (min over seeds)")
    ax.set_title(f"Conservative trap (H=5, V*=3.2, V_b=2.5), alpha={alpha}")
    ax.legend(fontsize=7)
    paths.append(save_figure(fig, Path(out) / "stepmix_values.png"))
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    y = np.arange(len(names))
    ax.barh(y - 0.2, ep_viol, 0.4, label="episode-wise violations")
    ax.barh(y + 0.2, cum_viol, 0.4, label="cumulative-constraint violations")
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlabel(f"episodes per run (mean over {seeds} seeds, K={Kt})")
    ax.set_title("Violations on the conservative trap")
    ax.legend(fontsize=7)
    paths.append(save_figure(fig, Path(out) / "stepmix_violations.png"))
    plt.close(fig)
    return paths


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    for path in main(a.out, a.quick):
        print(path)
