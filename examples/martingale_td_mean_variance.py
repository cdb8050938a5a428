"""PG's mean-variance tables (Jia & Zhou JMLR 23(275), Table 2) beside our numbers.

What we can compute honestly [D]: PG's numbers come from policies *learned*
by actor-critic over 2*10^4 iterations; we do not implement that learner.
We report, for each (mu, sigma), the out-of-sample terminal-wealth mean,
variance and Sharpe ratio (Mean - 1)/sqrt(Var) of the *oracle* policies of
Wang & Zhou (2020) in PG's setting (x0 = 1, z = 1.4, T = 1, dt = 1/252,
gamma = 0.1, risk-free rate 0): the deterministic mean policy
u = -(mu/sigma^2)(x - w) and the exploratory Gaussian policy with variance
gamma/(2 sigma^2) e^{rho^2 (T - t)}, actions held over each dt (10^4 paths).
The policy-evaluation part: for the constant-variance Gaussian policy
(MeanVarianceGaussian, v = gamma / (2 sigma^2)) the closed-form J(0, x0) next
to its LSTD(0) and ML estimates from Euler paths. Writes
``martingale_td_mean_variance.png`` and ``martingale_td_mean_variance.txt``.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile

import numpy as np

from theoryrl.evaluation.martingale_td import td_statistics
from theoryrl.models.diffusion import MeanVarianceGaussian

# PG Table 2 (offline Algorithm 4), 100 runs: (mu, sigma): (Mean, Variance, Sharpe) [S]
PG_TABLE2 = {
    (-0.5, .1): (1.40, 0.0, 8.15), (-0.3, .1): (1.40, .01, 4.37), (-0.1, .1): (1.41, .09, 1.37),
    (0.0, .1): (1.13, .91, 0.12), (0.1, .1): (1.51, .47, 0.84), (0.3, .1): (1.41, .01, 3.71),
    (0.5, .1): (1.40, 0.0, 7.35),
    (-0.5, .2): (1.40, .01, 3.98), (-0.3, .2): (1.40, .04, 2.10), (-0.1, .2): (1.53, .93, 0.62),
    (0.0, .2): (1.06, 2.51, 0.04), (0.1, .2): (1.44, 2.02, 0.35), (0.3, .2): (1.42, .06, 1.78),
    (0.5, .2): (1.41, .01, 3.58),
    (-0.5, .3): (1.40, .03, 2.54), (-0.3, .3): (1.41, .10, 1.32), (-0.1, .3): (1.43, 1.79, 0.37),
    (0.0, .3): (1.03, 3.46, 0.02), (0.1, .3): (1.26, 2.78, 0.18), (0.3, .3): (1.44, .17, 1.12),
    (0.5, .3): (1.41, .03, 2.28),
    (-0.5, .4): (1.41, .05, 1.80), (-0.3, .4): (1.43, .24, 0.93), (-0.1, .4): (1.31, 3.13, 0.25),
    (0.0, .4): (1.02, 3.77, 0.01), (0.1, .4): (1.14, 3.60, 0.10), (0.3, .4): (1.53, .74, 0.73),
    (0.5, .4): (1.42, .07, 1.60),
}
X0, Z_TARGET, T, DT, GAMMA = 1.0, 1.4, 1.0, 1 / 252, 0.1


def _atomic_write(path: str, writer) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", suffix=os.path.splitext(path)[1])
    os.close(fd)
    writer(tmp)
    os.replace(tmp, path)


def oracle_terminal(mu: float, sigma: float, explore: bool, n: int, rng) -> np.ndarray:
    """Terminal wealth of the Wang-Zhou oracle policy, actions held over dt."""
    rho2 = (mu / sigma) ** 2
    w = (Z_TARGET * math.exp(rho2 * T) - X0) / math.expm1(rho2 * T) if rho2 > 0 else Z_TARGET
    K = round(T / DT)
    x = np.full(n, X0)
    for k in range(K):
        u = -(mu / sigma ** 2) * (x - w)
        if explore:
            var = GAMMA / (2 * sigma ** 2) * math.exp(rho2 * (T - k * DT))
            u = u + math.sqrt(var) * rng.standard_normal(n)
        x = x + mu * u * DT + sigma * u * math.sqrt(DT) * rng.standard_normal(n)
    return x


def main(out: str = "out", quick: bool = False) -> list[dict]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out, exist_ok=True)
    n = 2000 if quick else 10_000
    n_pe = 2000 if quick else 20_000
    keys = [k for k in PG_TABLE2 if not quick or k[1] in (0.1, 0.4)]
    rows = []
    for i, (mu, sigma) in enumerate(keys):
        rng = np.random.default_rng(100 + i)
        row = {"mu": mu, "sigma": sigma, "pg": PG_TABLE2[(mu, sigma)]}
        for name, ex in (("mean", False), ("explore", True)):
            xT = oracle_terminal(mu, sigma, ex, n, rng)
            m, v = float(xT.mean()), float(xT.var(ddof=1))
            row[name] = (m, v, (m - 1) / math.sqrt(v) if v > 0 else math.inf)
        rho2 = (mu / sigma) ** 2
        w = (Z_TARGET * math.exp(rho2) - X0) / math.expm1(rho2) if rho2 > 0 else Z_TARGET
        mv = MeanVarianceGaussian(mu, sigma, v=GAMMA / (2 * sigma ** 2), w=w, z=Z_TARGET,
                                  gamma=GAMMA)
        st = td_statistics(mv, mv.features(), n_paths=n_pe, K=50, seed=7 + i, scheme="euler",
                           substeps=5)
        phi0 = mv.features()(np.zeros(1), np.full((1, 1), X0))[0, 0]
        row["J0"] = (float(mv.value(0.0, X0)), float(phi0 @ st.lstd(0.0)), float(phi0 @ st.ml()))
        rows.append(row)
    lines = ["mu    sigma | PG T2: Mean  Var   Sharpe | oracle mean-policy: Mean  Var      "
             "Sharpe | oracle exploratory: Mean  Var    Sharpe | J(0,x0) exact  LSTD  ML"]
    for r in rows:
        p, a, e, j = r["pg"], r["mean"], r["explore"], r["J0"]
        lines.append(f"{r['mu']:+.1f}  {r['sigma']:.1f}   | {p[0]:5.2f} {p[1]:5.2f} {p[2]:6.2f}  "
                     f"| {a[0]:6.3f} {a[1]:9.2e} {a[2]:8.2f} | {e[0]:6.3f} {e[1]:6.3f} "
                     f"{e[2]:6.2f} | {j[0]:8.4f} {j[1]:8.4f} {j[2]:8.4f}")
    text = "\n".join(lines)
    print(text)
    _atomic_write(os.path.join(out, "martingale_td_mean_variance.txt"),
                  lambda p: open(p, "w").write(text + "\n"))
    fig, ax = plt.subplots(figsize=(10, 4))
    xs = np.arange(len(rows))
    ax.bar(xs - 0.2, [r["pg"][2] for r in rows], 0.4, label="PG Table 2 (learned, offline)")
    ax.bar(xs + 0.2, [r["explore"][2] for r in rows], 0.4, label="ours: oracle exploratory")
    ax.set_xticks(xs, [f"{r['mu']:+.1f}/{r['sigma']:.1f}" for r in rows], rotation=90,
                  fontsize=7)
    ax.set(ylabel="Sharpe (Mean-1)/sd", title="mean-variance: PG's learned policies vs the "
           "exploratory oracle (not like-for-like)")
    ax.legend(fontsize=8)
    fig.tight_layout()

    def save(p):
        fig.savefig(p, dpi=120)

    _atomic_write(os.path.join(out, "martingale_td_mean_variance.png"), save)
    plt.close(fig)
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="out")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    main(out=a.out, quick=a.quick)
