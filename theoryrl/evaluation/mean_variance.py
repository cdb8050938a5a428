r"""Out-of-sample evaluation of mean-variance policies, and PG's result tables
(Jia & Zhou, JMLR 23(275), Section 5.1).

The learners are in :mod:`theoryrl.agents.mean_variance`; independent runs in
PG's table format in :mod:`theoryrl.experiment.mean_variance`.

Out of sample (:func:`evaluate_policy`) [R]: the learned policy's *mean*
:math:`u=-c(x-w)` (deterministic, actions held over :math:`\Delta t`) on fresh
simulated years; mean, variance and Sharpe :math:`(\bar x_T-x_0)/\mathrm{sd}(x_T)`
of terminal wealth. PG's near-zero variances at :math:`|\rho|=5` rule out
evaluating the exploratory policy. Returns are exact GBM daily returns
:math:`e^{(\mu-\sigma^2/2)\Delta t+\sigma\sqrt{\Delta t}Z}-1` [D].

PG's Tables 1-2 are data files (``data/pg_table1.csv``, ``data/pg_table2.csv``):
one row per scenario ``(mu, sigma)``, each statistic followed by its SD over
PG's 100 runs [S]; they load as ``{(mu, sigma): ((mean, sd), (var, sd), (sharpe, sd))}``.

References
----------
.. [1] Y. Jia and X. Y. Zhou, "Policy gradient and actor-critic learning in
   continuous time and space: theory and algorithms", JMLR 23(275), 2022 (PG).
.. [2] H. Wang and X. Y. Zhou, "Continuous-time mean-variance portfolio
   selection: a reinforcement learning framework", Mathematical Finance
   30(4), 2020 (WZ).
"""

from __future__ import annotations

import csv
import math
from importlib import resources

import numpy as np

from .._validation import check_choice, check_int, check_real
from ..agents.mean_variance import MVFit, MVSetting, check_market, check_setting, simulate_returns
from ._mean_variance_kernels import _terminal_wealth

__all__ = ["PG_GRID", "PG_TABLE1", "PG_TABLE2", "evaluate_policy", "load_pg_table"]


def load_pg_table(name: str) -> dict:
    """One of PG's result tables, ``"pg_table1"`` (Wang & Zhou's algorithm as run by PG)
    or ``"pg_table2"`` (PG's offline Algorithm 4), 100 runs each [S].

    Parameters
    ----------
    name : {"pg_table1", "pg_table2"}

    Returns
    -------
    dict
        ``(mu, sigma) -> ((mean, sd), (var, sd), (sharpe, sd))`` of terminal wealth.
    """
    check_choice(name, "name", ("pg_table1", "pg_table2"))
    text = resources.files(__package__).joinpath("data", f"{name}.csv").read_text()
    out = {}
    for row in csv.DictReader(text.splitlines()):
        v = {k: float(x) for k, x in row.items()}
        out[(v["mu"], v["sigma"])] = ((v["mean"], v["mean_sd"]), (v["var"], v["var_sd"]),
                                      (v["sharpe"], v["sharpe_sd"]))
    return out


PG_TABLE1 = load_pg_table("pg_table1")
"""PG Table 1 (Wang & Zhou's algorithm as run by PG), 100 runs [S]."""

PG_TABLE2 = load_pg_table("pg_table2")
"""PG Table 2 (PG's offline Algorithm 4), 100 runs; parentheses read in order [S]."""

PG_GRID = tuple(sorted(PG_TABLE2))
"""The 28 (mu, sigma) scenarios of PG Section 5.1 [S]."""


def _check_policy(policy) -> tuple[float, float]:
    if isinstance(policy, MVFit):
        return policy.coef, policy.w
    if isinstance(policy, (str, bytes)) or not hasattr(policy, "__len__") or len(policy) != 2:
        raise TypeError(f"policy must be an MVFit or a pair (c, w), got {type(policy).__name__}")
    return check_real(policy[0], "policy[0]"), check_real(policy[1], "policy[1]")


def evaluate_policy(policy: MVFit | tuple[float, float], mu: float, sigma: float, *,
                    n_paths: int = 10_000, setting: MVSetting | None = None,
                    seed: int = 0) -> dict:
    r"""Out-of-sample terminal wealth of the mean policy :math:`u=-c\,(x-w)` [R].

    Simulates ``n_paths`` fresh years :math:`x_{k+1}=x_k-c\,(x_k-w)R_k`
    (exact GBM returns, actions held over :math:`\Delta t`).

    Parameters
    ----------
    policy : MVFit or (float, float)
        A learned policy (its ``coef``, ``w``) or a pair ``(c, w)``.
    mu : float
        Drift.
    sigma : float
        Volatility, > 0.
    n_paths : int
        Test years, >= 2.
    setting : MVSetting, optional
        ``x0``, ``T``, ``dt`` (default PG's).
    seed : int
        Fixes the test returns.

    Returns
    -------
    dict
        ``mean``, ``var`` (ddof 1) and ``sharpe = (mean - x0) / sqrt(var)`` of
        :math:`x_T` (PG's table columns); ``sharpe`` is ``±inf`` at zero
        variance, all NaN if the wealth overflowed.

    Examples
    --------
    >>> r = evaluate_policy((0.0, 2.0), 0.3, 0.2, n_paths=10)
    >>> r["mean"], r["var"]
    (1.0, 0.0)
    """
    c, w = _check_policy(policy)
    mu, sigma = check_market(mu, sigma)
    s = check_setting(setting)
    n_paths = check_int(n_paths, "n_paths", 2)
    seed = check_int(seed, "seed", 0)
    R = simulate_returns(mu, sigma, (n_paths, s.K), s.dt, np.random.default_rng(seed))
    xT = np.empty(n_paths)
    _terminal_wealth(R, float(c), float(w), s.x0, xT)
    m, v = float(xT.mean()), float(xT.var(ddof=1))
    if not (math.isfinite(m) and math.isfinite(v)):
        return {"mean": math.nan, "var": math.nan, "sharpe": math.nan}
    if v > 0:
        sh = (m - s.x0) / math.sqrt(v)
    else:
        sh = math.copysign(math.inf, m - s.x0) if m != s.x0 else math.nan
    return {"mean": m, "var": v, "sharpe": sh}
