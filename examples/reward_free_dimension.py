"""Episodes to reach accuracy eps against the dimension d (HF-UCRL-RFE++).

Our figure: hard linear mixture family, H = 8, Delta = 0.1/(d-1); each run
explores until the all-reward certificate C (practical radius) is at most eps;
the d^2 reference line is Corollary 2.6.4's O~(d^2/eps^2) and the matching
lower bound of Theorem 2.6.8 (shape only; constants are not plotted).
"""

from __future__ import annotations

import os

import numpy as np

from proofs_checks.reward_free import explore
from theoryrl.agents.reward_free import HFUCRLRFEpp
from theoryrl.envs.linear_mixture import hard_linear_mixture
from theoryrl.experiment import save_figure


def episodes_to_eps(agent, inst, eps, K_max, every, seed) -> int:
    """First checkpoint k with certificate <= eps, or K_max (censored)."""
    hit = {"k": K_max}

    def cp(a, k):
        if a.certificate(project=False) <= eps:
            hit["k"] = k
            return True
        return False

    explore(agent, inst, K_max, seed, every=every, on_checkpoint=cp)
    return hit["k"]


def main(out: str = "out", quick: bool = False) -> str:
    """Write ``reward_free_dimension.png`` into ``out``; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = [3, 4, 5] if quick else [3, 4, 5, 6]
    K_max, every, seeds, eps = (4000, 500, 1, 0.9) if quick else (40000, 1000, 2, 0.6)
    ys = []
    for d in ds:
        ks = []
        for seed in range(seeds):
            inst = hard_linear_mixture(d, 8, 0.1 / (d - 1), seed=seed)
            ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, K_max)
            ks.append(episodes_to_eps(ag, inst, eps, K_max, every, seed))
        ys.append(np.mean(ks))
    ys = np.array(ys)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(ds, ys, "o-", label="HF-UCRL-RFE++ (C <= eps)")
    ax.plot(ds, ys[0] * (np.array(ds) / ds[0]) ** 2, "--", color="gray", label="~ d^2")
    ax.axhline(K_max, ls=":", color="gray", label="budget (censored)")
    ax.set(xscale="log", yscale="log", xlabel="dimension d",
           ylabel=f"episodes until C <= eps={eps}", title="Dependence on d (ours)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = save_figure(fig, os.path.join(out, "reward_free_dimension.png"))
    plt.close(fig)
    return str(path)


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
