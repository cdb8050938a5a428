"""Independent runs of the mean-variance learners in PG's table format
(Jia & Zhou, JMLR 23(275), Section 5.1, Tables 1-2).

Learners: :mod:`theoryrl.agents.mean_variance`; evaluation and PG's tables:
:mod:`theoryrl.evaluation.mean_variance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_int
from ..agents.mean_variance import (
    MVSetting,
    check_market,
    check_setting,
    emv_wang_zhou,
    pg_offline_ac,
)
from ..evaluation.mean_variance import evaluate_policy
from .seeding import map_seeds

__all__ = ["MVStats", "replicate"]


@dataclass(frozen=True)
class MVStats:
    """One cell of PG's tables from independent runs.

    Attributes
    ----------
    algorithm : str
        ``"wz"`` or ``"pg"``.
    mu, sigma : float
        The scenario.
    mean, var, sharpe : (float, float)
        Average over runs and its SD over runs (ddof 1; 0 with one run), PG's
        "value (SD)" format; runs with a non-finite statistic are left out.
    coef, w : (float, float)
        The same for the learned coefficient and multiplier.
    runs : tuple of dict
        Per run: ``mean``, ``var``, ``sharpe``, ``coef``, ``w``, ``seed``.
    diverged : int
        Runs whose training diverged (not in ``runs``).
    """

    algorithm: str
    mu: float
    sigma: float
    mean: tuple[float, float]
    var: tuple[float, float]
    sharpe: tuple[float, float]
    coef: tuple[float, float]
    w: tuple[float, float]
    runs: tuple[dict, ...]
    diverged: int


def _one_run(algorithm, mu, sigma, iterations, n_test, seed, setting, kw):
    fn = emv_wang_zhou if algorithm == "wz" else pg_offline_ac
    fit = fn(mu, sigma, iterations=iterations, setting=setting, seed=seed, **kw)
    if fit.diverged:
        return None
    ev = evaluate_policy(fit, mu, sigma, n_paths=n_test, setting=setting, seed=10 ** 6 + seed)
    return {**ev, "coef": fit.coef, "w": fit.w, "seed": seed}


def _avg_sd(v) -> tuple[float, float]:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def replicate(algorithm: str, mu: float, sigma: float, *, runs: int, iterations: int,
              n_test: int = 10_000, seed: int = 0, setting: MVSetting | None = None,
              n_jobs: int = 1, **kw) -> MVStats:
    """Independent runs of one learner at one scenario, in PG's table format [D].

    Run ``r`` trains with seed ``seed + r`` (its own 20-year series) and is
    tested on ``n_test`` fresh years (seed ``10**6 + seed + r``).

    Parameters
    ----------
    algorithm : {"wz", "pg"}
        :func:`emv_wang_zhou` (PG Table 1) or :func:`pg_offline_ac` (Table 2).
    mu : float
        Drift.
    sigma : float
        Volatility, > 0.
    runs : int
        Independent runs, >= 1 (PG: 100 [S]).
    iterations : int
        Training iterations per run (PG: :math:`2\\cdot10^4` [S]).
    n_test : int
        Out-of-sample years per run, >= 2.
    seed : int
        Seed of the first run.
    setting : MVSetting, optional
        Fixed quantities (default PG's).
    n_jobs : int
        Parallel runs through :func:`theoryrl.experiment.map_seeds` (joblib);
        the numbers do not depend on it.
    **kw
        Learning rates or ``chunk``, passed to the learner.

    Returns
    -------
    MVStats
    """
    check_choice(algorithm, "algorithm", ("wz", "pg"))
    mu, sigma = check_market(mu, sigma)
    runs = check_int(runs, "runs", 1)
    iterations = check_int(iterations, "iterations", 1)
    n_test = check_int(n_test, "n_test", 2)
    seed = check_int(seed, "seed", 0)
    setting = check_setting(setting)
    n_jobs = check_int(n_jobs, "n_jobs")
    unknown = set(kw) - {"lr_theta", "lr_phi", "lr_w", "chunk"}
    if unknown:
        raise TypeError(f"replicate got unexpected keyword arguments {sorted(unknown)}")
    args = [(algorithm, mu, sigma, iterations, n_test, seed + r, setting, kw)
            for r in range(runs)]
    results = map_seeds(_one_run, args, n_jobs=n_jobs, progress=False, desc=algorithm)
    stats = tuple(r for r in results if r is not None)
    col = {k: _avg_sd([st[k] for st in stats]) for k in ("mean", "var", "sharpe", "coef", "w")}
    return MVStats(algorithm, mu, sigma, col["mean"], col["var"], col["sharpe"], col["coef"],
                   col["w"], stats, runs - len(stats))
