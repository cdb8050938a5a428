"""UMT-PSR downstream: episodes to a certified eps-optimal target policy.

Downstream OMLE on the class built from the upstream confidence set
(shared transition restricted to the upstream projection) against learning
from scratch on the full class (the downstream OMLE of docs/theory/umt_psr.md). Writes
``umt_psr_downstream.png``.
"""

from __future__ import annotations

import os


def main(out: str = "out", quick: bool = False) -> str:
    """Run the comparison and write the PNG; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from proofs_checks.umt_psr import QUICK, SWEEP, measure_downstream
    from theoryrl.experiment import save_figure

    s = (QUICK if quick else SWEEP)["downstream"]
    d = measure_downstream(s, 4 if quick else 30)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for k, (name, lab) in enumerate((("restricted", "upstream-restricted"),
                                     ("scratch", "from scratch"))):
        x = d[name]
        axes[0].bar(k, x.mean(), yerr=x.std(ddof=1) / np.sqrt(x.size), capsize=4)
        axes[0].scatter(np.full(x.size, k) + 0.15, x, s=8, color="k", alpha=0.5)
        axes[1].hist(d["gap_" + name], bins=10, alpha=0.6, label=lab)
    axes[0].set_xticks([0, 1], ["upstream-restricted", "from scratch"])
    axes[0].set_ylabel("episodes to certified stop")
    axes[0].set_yscale("log")
    axes[1].axvline(s["eps"], color="k", ls="--", label="eps")
    axes[1].set_xlabel("true sub-optimality of the output policy")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"downstream OMLE, eps={s['eps']}, {d['restricted'].size} seeds")
    fig.tight_layout()
    path = save_figure(fig, os.path.join(out, "umt_psr_downstream.png"))
    plt.close(fig)
    return path


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
