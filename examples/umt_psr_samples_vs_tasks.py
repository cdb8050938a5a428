"""UMT-PSR: per-task samples to a certified eps-optimal output against the number of tasks N.

Joint learner (UMT-PSR) vs N independent single-task learners on the
shared-transition family (``shared_transition_family``), with the bracketing-number
prediction rho*_N * (independent samples) drawn; the task-specific-hard control
family is shown alongside. Writes ``umt_psr_samples_vs_tasks.png``.
"""

from __future__ import annotations

import os


def main(out: str = "out", quick: bool = False) -> str:
    """Run the sweep and write the PNG; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from proofs_checks.umt_psr import QUICK, SWEEP, measure_upstream
    from theoryrl.agents.umt_psr import benefit_ratio
    from theoryrl.experiment import save_figure

    s = dict((QUICK if quick else SWEEP)["upstream"])
    s["N"] = (1, 2, 4) if quick else (1, 2, 4, 8, 16)
    seeds = 4 if quick else 20
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, family in zip(axes, ("shared_hard", "specific_hard")):
        d = measure_upstream(s, seeds, family=family)
        Ns = np.array(s["N"])
        j = np.array([d[N]["joint"]["samples"].mean() for N in Ns])
        i = np.array([d[N]["independent"]["samples"].mean() for N in Ns])
        je = np.array([d[N]["joint"]["samples"].std(ddof=1) / np.sqrt(seeds) for N in Ns])
        ie = np.array([d[N]["independent"]["samples"].std(ddof=1) / np.sqrt(seeds) for N in Ns])
        pred = np.array([benefit_ratio(d[N]["log_joint"], d[N]["log_single"], N, s["delta"])
                         for N in Ns]) * i
        ax.errorbar(Ns, j, je, marker="o", label="UMT-PSR (joint)")
        ax.errorbar(Ns, i, ie, marker="s", label="N independent learners")
        ax.plot(Ns, pred, "k--", label=r"prediction $\rho^*_N \times$ independent")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("number of tasks N")
        ax.set_ylabel("trajectories per task to certified stop")
        ax.set_title(f"{family} family, eps={s['eps']}, delta={s['delta']}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = save_figure(fig, os.path.join(out, "umt_psr_samples_vs_tasks.png"))
    plt.close(fig)
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
