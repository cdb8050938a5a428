"""Statistics for proof checks: slopes, binomial tests, intervals.

Every function is pure and returns small frozen objects (scipy's
``binomtest`` / ``ConfidenceInterval`` pattern).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .result import Interval


@dataclass(frozen=True)
class SlopeFit:
    r"""Least-squares fit of :math:`\log y = a + b \log x`.

    Attributes
    ----------
    slope, intercept : float
        ``b`` and ``a``.
    stderr : float
        Standard error of the slope.
    dof : int
        Degrees of freedom of the t interval.
    n : int
        Number of points (or seeds, for a bootstrap fit).
    method : str
        ``"t"`` (OLS on seed-averaged logs, t interval) or ``"bootstrap"``.
    boot : tuple
        Bootstrap slopes (empty for ``"t"``).
    """

    slope: float
    intercept: float
    stderr: float
    dof: int
    n: int
    method: str = "t"
    boot: tuple = ()

    def ci(self, level: float = 0.95) -> Interval:
        """Two-sided confidence interval for the slope."""
        _check_level(level)
        if self.method == "bootstrap":
            q = (1 - level) / 2
            lo, hi = np.quantile(np.asarray(self.boot), [q, 1 - q])
            return Interval(float(lo), float(hi))
        t = stats.t.ppf(0.5 + level / 2, self.dof)
        return Interval(self.slope - t * self.stderr, self.slope + t * self.stderr)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")


def fit_loglog_slope(
    x: np.ndarray,
    y: np.ndarray,
    *,
    method: str = "t",
    n_boot: int = 2000,
    seed: int = 0,
) -> SlopeFit:
    r"""Fit the growth exponent ``b`` in :math:`y \approx c\, x^b`.

    Parameters
    ----------
    x : array_like, shape (m,)
        Positive sizes (episodes K, steps T, sample sizes N...).
    y : array_like, shape (m,) or (seeds, m)
        Positive measurements; a 2-d array holds one row per seed.
    method : {"t", "bootstrap"}
        ``"t"``: ordinary least squares of every (seed, size) log-point with a
        t interval on ``seeds * m - 2`` degrees of freedom, which treats seeds as
        independent replicates at each size (they are: seeds are independent
        runs). ``"bootstrap"``: resample seeds with replacement, refit the slope
        of the seed-mean curve, percentile interval; use it when one run
        produces the whole curve (the points of a row are then correlated).
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap resampling, so verdicts are deterministic.

    Returns
    -------
    SlopeFit
        The slope ``b``, its standard error and, through :meth:`SlopeFit.ci`, its interval.

    Examples
    --------
    >>> K = np.array([100, 200, 400, 800])
    >>> fit = fit_loglog_slope(K, 3.0 * np.sqrt(K))
    >>> round(fit.slope, 6)
    0.5
    """
    x = np.asarray(x, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"x must be 1-d with at least 2 points, got shape {x.shape}")
    if y.shape[1] != x.size:
        raise ValueError(f"y must have {x.size} columns (one per x), got shape {y.shape}")
    if np.any(x <= 0):
        raise ValueError(f"x[{int(np.argmax(x <= 0))}] must be positive ({x[np.argmax(x <= 0)]})")
    if np.any(~(y > 0)):
        i = tuple(int(j) for j in np.argwhere(~(y > 0))[0])
        raise ValueError(f"y{list(i)} must be positive and finite ({y[i]})")
    lx, ly = np.log(x), np.log(y)
    if method == "t":
        X = np.tile(lx, y.shape[0])
        Y = ly.ravel()
        if X.size < 3:
            raise ValueError("a t interval needs at least 3 points")
        res = stats.linregress(X, Y)
        return SlopeFit(float(res.slope), float(res.intercept), float(res.stderr),
                        X.size - 2, y.shape[0], "t")
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        n = y.shape[0]
        idx = rng.integers(0, n, size=(n_boot, n))
        curves = np.log(y[idx].mean(axis=1))  # (n_boot, m)
        xc = lx - lx.mean()
        slopes = (curves - curves.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
        full = np.log(y.mean(axis=0))
        b = float((full - full.mean()) @ xc / (xc @ xc))
        a = float(full.mean() - b * lx.mean())
        return SlopeFit(b, a, float(slopes.std(ddof=1)), n - 1, n, "bootstrap",
                        tuple(slopes.tolist()))
    raise ValueError(f"method must be 't' or 'bootstrap', got {method!r}")


def clopper_pearson(k: int, n: int, level: float = 0.95) -> Interval:
    """Exact (Clopper-Pearson) two-sided interval for a binomial proportion.

    Parameters
    ----------
    k : int
        Number of successes, in ``[0, n]``.
    n : int
        Number of trials, positive.
    level : float, default 0.95
        Confidence level in (0, 1).

    Returns
    -------
    Interval
        The interval for the success probability.

    Examples
    --------
    >>> lo, hi = clopper_pearson(32, 32, level=0.9)
    >>> round(lo, 3), hi
    (0.911, 1.0)
    """
    _check_level(level)
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level,
                                                       method="exact")
    return Interval(float(ci.low), float(ci.high))


@dataclass(frozen=True)
class BinomialVerdict:
    """Result of :func:`binomial_at_least`."""

    successes: int
    n: int
    p0: float
    pvalue: float
    rejected: bool
    ci: Interval


def binomial_at_least(successes: int, n: int, p0: float,
                      significance: float = 0.05) -> BinomialVerdict:
    r"""One-sided exact test of "success probability :math:`\ge p_0`".

    The claim "with probability at least :math:`1-\delta`" is rejected when
    :math:`P(X \le k \mid p = p_0) <` ``significance`` for
    :math:`X \sim \mathrm{Bin}(n, p_0)`: too few successes to be compatible
    with the claim. The returned ``ci`` is the Clopper-Pearson interval at
    level ``1 - 2 * significance`` (its lower end is the one-sided bound).

    Parameters
    ----------
    successes : int
        Number of runs in which the event held.
    n : int
        Number of independent runs.
    p0 : float
        Claimed lower bound on the success probability, in (0, 1].
    significance : float, default 0.05
        Level of the test.

    Returns
    -------
    BinomialVerdict
        The p-value, whether the claim is rejected, and the interval.

    Examples
    --------
    >>> binomial_at_least(30, 32, 0.9).rejected
    False
    >>> binomial_at_least(20, 32, 0.9).rejected
    True
    """
    if not 0 < p0 <= 1:
        raise ValueError(f"p0 must be in (0, 1], got {p0}")
    if not 0 < significance < 1:
        raise ValueError(f"significance must be in (0, 1), got {significance}")
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n > 0, got {successes}, {n}")
    p = float(stats.binom.cdf(successes, n, p0))
    return BinomialVerdict(int(successes), int(n), float(p0), p, p < significance,
                           clopper_pearson(successes, n, 1 - 2 * significance))


def mean_ci(x: np.ndarray, level: float = 0.95) -> Interval:
    """Student-t interval for the mean of independent replicates.

    Parameters
    ----------
    x : array_like
        Replicates (flattened), at least 2.
    level : float, default 0.95
        Confidence level in (0, 1).

    Returns
    -------
    Interval
        The interval for the mean.
    """
    _check_level(level)
    x = np.asarray(x, dtype=float).ravel()
    if x.size < 2:
        raise ValueError(f"x needs at least 2 replicates, got {x.size}")
    m = x.mean()
    se = x.std(ddof=1) / np.sqrt(x.size)
    t = stats.t.ppf(0.5 + level / 2, x.size - 1)
    return Interval(float(m - t * se), float(m + t * se))


def paired_ratio_ci(num: np.ndarray, den: np.ndarray, level: float = 0.95,
                    n_boot: int = 2000, seed: int = 0) -> tuple[float, Interval]:
    """Ratio of means ``mean(num) / mean(den)`` with a seed-bootstrap interval.

    ``num`` and ``den`` are paired by seed (same index, same seed).

    Parameters
    ----------
    num, den : array_like
        Paired replicates (flattened), at least 2 each.
    level : float, default 0.95
        Confidence level in (0, 1).
    n_boot : int, default 2000
        Bootstrap resamples.
    seed : int, default 0
        Seed of the resampling, so verdicts are deterministic.

    Returns
    -------
    ratio : float
        ``mean(num) / mean(den)``.
    ci : Interval
        Percentile bootstrap interval of the ratio.
    """
    _check_level(level)
    num = np.asarray(num, dtype=float).ravel()
    den = np.asarray(den, dtype=float).ravel()
    if num.shape != den.shape or num.size < 2:
        raise ValueError(f"num and den must be paired with >= 2 entries, got "
                         f"{num.shape} and {den.shape}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num.size, size=(n_boot, num.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        boots = num[idx].mean(axis=1) / den[idx].mean(axis=1)
        r = num.mean() / den.mean()
    q = (1 - level) / 2
    lo, hi = np.quantile(boots, [q, 1 - q])
    return float(r), Interval(float(lo), float(hi))
