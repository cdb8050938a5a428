"""PG's mean-variance Tables 1-2 (Jia & Zhou, JMLR 23(275)) with our numbers beside theirs.

For each of PG's 28 scenarios (mu, sigma) we train both learners of
PG's learners (:mod:`theoryrl.agents.mean_variance`) in PG's setting (x0 = 1, z = 1.4,
T = 1, dt = 1/252, temperature 0.1, 20-year training series, 128 windows per
iteration) and report the out-of-sample mean, variance and Sharpe ratio
(Mean - 1)/sqrt(Var) of terminal wealth under the learned mean policy:

* Table 1: Wang & Zhou's MSTDE-based EMV algorithm (``emv_wang_zhou``);
* Table 2: PG's offline actor-critic, Algorithm 4 (``pg_offline_ac``);

beside PG's numbers (its Tables 1-3 [S]) and the Wang-Zhou oracle mean policy
u = -(mu/sigma^2)(x - w*), evaluated the same way.

The default run is reduced (2000 iterations, 1 run per cell, about 1.5 min on
one core); ``--full`` is PG's 2*10^4 iterations x 100 runs (about 14 s per run
per core, so roughly 20 core-hours: use ``--jobs``). SDs are over runs, as in
PG; with one run they are not available ("-"). Diverged runs (non-finite
parameters) are counted in column ``div`` and left out of the averages.

Writes ``martingale_td_mean_variance.txt`` and ``martingale_td_mean_variance.png``
(atomically) under ``--out``.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from theoryrl.agents.mean_variance import oracle_policy
from theoryrl.evaluation.mean_variance import PG_GRID, PG_TABLE1, PG_TABLE2, evaluate_policy
from theoryrl.experiment import atomic_write_bytes, save_figure
from theoryrl.experiment.mean_variance import replicate

CONFIGS = {  # iterations, runs, out-of-sample years per run
    "quick": (500, 1, 2000),
    "default": (2000, 1, 10_000),
    "full": (20_000, 100, 10_000),            # PG Section 5.1 [S]
}
QUICK_CELLS = ((-0.5, 0.1), (0.5, 0.1), (0.3, 0.2), (0.0, 0.3))


def _pair(v: tuple[float, float], runs: int, fmt: str = "{:.2f}") -> str:
    a, sd = v
    if not math.isfinite(a):
        return "     nan      "
    s = "-" if runs < 2 or not math.isfinite(sd) else f"{sd:.2g}"
    return f"{fmt.format(a):>6} ({s:>7})"


def _table_lines(title: str, pg_table: dict, rows: list[dict], key: str, runs: int
                 ) -> list[str]:
    lines = [title,
             "  mu   sigma |  PG: Mean (SD)    Var (SD)           Sharpe (SD)     |"
             " ours: Mean (SD)   Var (SD)           Sharpe (SD)     |  coef     w     div"]
    for r in rows:
        p, o = pg_table[(r["mu"], r["sigma"])], r[key]
        lines.append(
            f"{r['mu']:+5.1f}  {r['sigma']:4.1f}  | {_pair(p[0], 2)} {_pair(p[1], 2)} "
            f"{_pair(p[2], 2)} | {_pair(o.mean, runs)} {_pair(o.var, runs, '{:.3f}')} "
            f"{_pair(o.sharpe, runs)} | {o.coef[0]:6.2f} {o.w[0]:6.2f} {o.diverged:3d}")
    return lines


def main(out: str = "out", quick: bool = False, full: bool = False,
         iterations: int | None = None, runs: int | None = None, n_jobs: int = 1
         ) -> list[dict]:
    """Run both learners on PG's grid and write the tables and a figure.

    Parameters
    ----------
    out : str
        Output folder.
    quick : bool
        Four scenarios, 500 iterations (a smoke run).
    full : bool
        PG's 2*10^4 iterations x 100 runs.
    iterations, runs : int, optional
        Override the configuration's.
    n_jobs : int
        Parallel runs (joblib); the numbers do not depend on it.

    Returns
    -------
    list of dict
        Per scenario: ``mu``, ``sigma``, ``wz`` and ``pg`` (:class:`MVStats`),
        ``oracle`` (``c``, ``w`` and :func:`evaluate_policy`'s dict).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    name = "full" if full else "quick" if quick else "default"
    it, n_runs, n_test = CONFIGS[name]
    it = iterations if iterations is not None else it
    n_runs = runs if runs is not None else n_runs
    cells = QUICK_CELLS if quick else PG_GRID
    t0 = time.perf_counter()
    rows = []
    for mu, sigma in cells:
        row = {"mu": mu, "sigma": sigma}
        for algo in ("wz", "pg"):
            row[algo] = replicate(algo, mu, sigma, runs=n_runs, iterations=it, n_test=n_test,
                                  seed=0, n_jobs=n_jobs)
        c, w = oracle_policy(mu, sigma)
        row["oracle"] = {"c": c, "w": w,
                         **evaluate_policy((c, w), mu, sigma, n_paths=n_test, seed=10 ** 6)}
        rows.append(row)
    elapsed = time.perf_counter() - t0

    head = [f"PG mean-variance tables vs ours ({name}: {it} iterations x {n_runs} run(s) per "
            f"cell, {n_test} out-of-sample years per run, {elapsed:.0f} s)",
            "Learned mean policy u = -coef (x - w); coef, w averaged over runs; div = diverged "
            "runs (left out).", ""]
    lines = head + _table_lines("Table 1 -- Wang & Zhou EMV (MSTDE):", PG_TABLE1, rows, "wz",
                                n_runs)
    lines += [""] + _table_lines("Table 2 -- PG offline actor-critic (Algorithm 4):", PG_TABLE2,
                                 rows, "pg", n_runs)
    lines += ["", "Oracle mean policy u = -(mu/sigma^2)(x - w*) [WZ], same evaluation:",
              "  mu   sigma |      c        w*      Mean      Var        Sharpe"]
    for r in rows:
        o = r["oracle"]
        lines.append(f"{r['mu']:+5.1f}  {r['sigma']:4.1f}  | {o['c']:7.2f} {o['w']:8.3f} "
                     f"{o['mean']:8.4f} {o['var']:10.3g} {o['sharpe']:12.4g}")
    text = "\n".join(lines)
    print(text)
    os.makedirs(out, exist_ok=True)
    atomic_write_bytes(os.path.join(out, "martingale_td_mean_variance.txt"),
                       (text + "\n").encode())

    fig, axes = plt.subplots(2, 2, figsize=(13, 7), sharex=True)
    xs = np.arange(len(rows))
    labels = [f"{r['mu']:+.1f}/{r['sigma']:.1f}" for r in rows]
    for j, (algo, table, title) in enumerate((("wz", PG_TABLE1, "Table 1: Wang-Zhou EMV"),
                                              ("pg", PG_TABLE2, "Table 2: PG Algorithm 4"))):
        for i, (col, ylabel) in enumerate(((2, "Sharpe (Mean-1)/sd"), (0, "mean terminal wealth"))):
            ax = axes[i, j]
            pg = [table[(r["mu"], r["sigma"])][col] for r in rows]
            ours = [(r[algo].sharpe if col == 2 else r[algo].mean) for r in rows]
            ax.bar(xs - 0.2, [p[0] for p in pg], 0.4, yerr=[p[1] for p in pg], label="PG",
                   capsize=2)
            ax.bar(xs + 0.2, [o[0] for o in ours], 0.4,
                   yerr=[o[1] if n_runs > 1 else 0.0 for o in ours], label="ours", capsize=2)
            if col == 0:
                ax.axhline(1.4, color="k", lw=0.8, ls="--", label="target z")
            ax.set(ylabel=ylabel, title=f"{title} ({it} it. x {n_runs} run(s))" if i == 0
                   else None)
            ax.legend(fontsize=7)
        axes[1, j].set_xticks(xs, labels, rotation=90, fontsize=7)
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "martingale_td_mean_variance.png"))
    plt.close(fig)
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="out")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="4 scenarios, 500 iterations")
    mode.add_argument("--full", action="store_true", help="PG's 2*10^4 iterations x 100 runs")
    ap.add_argument("--iterations", type=int, default=None)
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=1, help="parallel runs (joblib)")
    a = ap.parse_args()
    main(out=a.out, quick=a.quick, full=a.full, iterations=a.iterations, runs=a.runs,
         n_jobs=a.jobs)
