"""Exact policy mirror descent: the gap V* - V^{pi_k} under constant, geometric and Shani steps.

Writes ``<out>/mdpo_rates.png``: on a random MDP (S = 8, A = 4, Dirichlet(0.5)
kernel, rewards U[0, 1], gamma = 0.9) with exact evaluation, the gap at
iteration k on a log-log plot for constant steps t (with the bound
:math:`\\log|A|/((1-\\gamma) t k) + 1/((1-\\gamma)^2 k)` of Agarwal et al. 2021,
Thm 16, and Xiao 2022, Thm 8), geometric steps :math:`t_k = t_0/\\gamma^k`
(uniform-weighted gap, with Xiao's linear bound, Thm 10) and the unregularised
schedule of Shani, Efroni and Mannor (2020), Thm 2 (a :math:`k^{-1/2}` line
for its rate; docs/theory/mdpo.md). Gaps at the solver's accuracy
(below 1e-13) are not drawn.

Run: ``python examples/mdpo_rates.py --out out [--quick]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from theoryrl.agents.mdpo import (
    constant_step_bound,
    geometric_step_bound,
    policy_mirror_descent,
    schedule,
    soft_optimum,
)
from theoryrl.experiment import save_figure

GAMMA = 0.9
FLOOR = 1e-13


def _theta_rho(P: np.ndarray, pi: np.ndarray, rho: np.ndarray) -> float:
    """Xiao's distribution-mismatch coefficient of the optimal policy."""
    S = P.shape[0]
    d = (1 - GAMMA) * np.linalg.solve((np.eye(S) - GAMMA * P[np.arange(S), pi]).T, rho)
    return float(np.max(d / rho) / (1 - GAMMA))


def _draw(ax, k, gap, **kw):
    ok = gap > FLOOR
    return ax.plot(k[ok], gap[ok], **kw)[0]


def main(out: str = "out", quick: bool = False) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    K = 200 if quick else 2000
    S, A = 8, 4
    rng = np.random.default_rng(0)
    P, R = rng.dirichlet(np.full(S, 0.5), size=(S, A)), rng.uniform(size=(S, A))
    opt = soft_optimum(P, R, GAMMA)
    k = np.arange(1, K + 1)
    fig, ax = plt.subplots(figsize=(7, 4.5))

    for t in (0.1, 1.0, 10.0):
        gap = (opt.V - policy_mirror_descent(P, R, GAMMA, K, t).V[1:]).max(axis=1)
        line = _draw(ax, k, gap, label=f"constant t = {t:g}: max$_s$ gap")
        ax.plot(k, [constant_step_bound(i, t, GAMMA, A) for i in k], ls="--", lw=0.8,
                color=line.get_color())

    rho = np.full(S, 1 / S)
    theta = _theta_rho(P, opt.logpi.argmax(axis=1), rho)
    t0 = (1 - GAMMA) / GAMMA * np.log(A)
    res = policy_mirror_descent(P, R, GAMMA, K, schedule("geometric", t0=t0, gamma=GAMMA))
    line = _draw(ax, k, (opt.V - res.V[1:]) @ rho,
                 label=r"geometric $t_0/\gamma^k$: $\rho^\top$gap, $\rho$ uniform")
    ax.plot(k, [geometric_step_bound(i, GAMMA, theta) for i in k], ls="--", lw=0.8,
            color=line.get_color())

    res = policy_mirror_descent(P, R, GAMMA, K, schedule("shani_unreg", gamma=GAMMA, c_max=1.0))
    gap = (opt.V - res.V[1:]).max(axis=1)
    line = _draw(ax, k, gap, label=r"Shani $(1-\gamma)/\sqrt{k+1}$: max$_s$ gap")
    ax.plot(k, gap[0] / np.sqrt(k), ls=":", lw=0.8, color=line.get_color(),
            label=r"$k^{-1/2}$ (Shani et al.'s rate)")

    ax.plot([], [], "k--", lw=0.8, label="bounds (same colour)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(FLOOR, None)
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel(r"$V^* - V^{\pi_k}$")
    ax.set_title(rf"exact PMD, random MDP S={S}, A={A}, $\gamma$={GAMMA}")
    ax.legend(fontsize=7)
    path = save_figure(fig, Path(out) / "mdpo_rates.png")
    plt.close(fig)
    return path


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(main(a.out, a.quick))
