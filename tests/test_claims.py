"""Statistics of the proof checks: slopes, exact binomial intervals and tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from theoryrl.claims import (
    CheckResult,
    Interval,
    binomial_at_least,
    clopper_pearson,
    fit_loglog_slope,
    mean_ci,
    paired_ratio_ci,
)


def _synthetic(rng, b=0.5, seeds=8, noise=0.2):
    x = np.array([2.0**k for k in range(6, 12)])
    y = 3.0 * x**b * np.exp(noise * rng.standard_normal((seeds, x.size)))
    return x, y


def test_slope_recovers_exponent_exactly_without_noise():
    x = np.array([1.0, 10.0, 100.0, 1000.0])
    fit = fit_loglog_slope(x, 2.0 * x**0.75)
    assert fit.slope == pytest.approx(0.75, abs=1e-12)
    assert math.exp(fit.intercept) == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_slope_ci_covers_true_exponent(method):
    # 95% intervals over 200 independent synthetic experiments: coverage must be
    # compatible with 0.95 (two-sided exact binomial test at level 0.001)
    rng = np.random.default_rng(2024)
    n_rep = 200 if method == "t" else 100
    hits = 0
    for i in range(n_rep):
        x, y = _synthetic(rng)
        fit = fit_loglog_slope(x, y, method=method, n_boot=300, seed=i)
        hits += 0.5 in fit.ci(0.95)
    p = stats.binomtest(hits, n_rep, 0.95).pvalue
    assert p > 1e-3 or hits / n_rep > 0.95, (hits, n_rep)
    assert hits / n_rep > 0.85


def test_slope_fit_errors():
    with pytest.raises(ValueError, match=r"x must be 1-d with at least 2 points"):
        fit_loglog_slope([1.0], [1.0])
    with pytest.raises(ValueError, match=r"y\[0, 1\] must be positive"):
        fit_loglog_slope([1.0, 2.0, 3.0], [1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match=r"x\[0\] must be positive"):
        fit_loglog_slope([0.0, 2.0, 3.0], [1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"method must be 't' or 'bootstrap'"):
        fit_loglog_slope([1.0, 2.0, 3.0], [1.0, 1.0, 2.0], method="ols")
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
        fit_loglog_slope([1.0, 2.0, 3.0], [1.0, 1.5, 2.0]).ci(1.0)


def test_clopper_pearson_known_values():
    # R 4.x: binom.test(5, 10)$conf.int -> 0.1870860 0.8129140 (exact two-sided 95%)
    lo, hi = clopper_pearson(5, 10)
    assert lo == pytest.approx(0.1870860, abs=5e-7)
    assert hi == pytest.approx(0.8129140, abs=5e-7)
    # closed forms at the edges (Clopper & Pearson 1934): k = 0 gives [0, 1 - (a/2)^(1/n)],
    # k = n gives [(a/2)^(1/n), 1]
    n, a = 20, 0.05
    assert clopper_pearson(0, n) == pytest.approx((0.0, 1 - (a / 2) ** (1 / n)), abs=1e-12)
    assert clopper_pearson(n, n) == pytest.approx(((a / 2) ** (1 / n), 1.0), abs=1e-12)
    # beta-quantile definition for an interior point
    k = 7
    lo, hi = clopper_pearson(k, n, 0.9)
    assert lo == pytest.approx(stats.beta.ppf(0.05, k, n - k + 1), rel=1e-10)
    assert hi == pytest.approx(stats.beta.ppf(0.95, k + 1, n - k), rel=1e-10)
    with pytest.raises(ValueError, match=r"need 0 <= k <= n and n > 0"):
        clopper_pearson(3, 2)


def test_binomial_test_rejects_and_accepts():
    ok = binomial_at_least(95, 100, 0.95)
    assert not ok.rejected and ok.pvalue == pytest.approx(stats.binom.cdf(95, 100, 0.95))
    bad = binomial_at_least(80, 100, 0.95)
    assert bad.rejected and bad.pvalue < 1e-4
    assert bad.ci.high < 0.95  # the one-sided 95% upper bound excludes the claim
    assert not binomial_at_least(100, 100, 0.99).rejected
    # borderline: P(X <= 90 | n=100, p=.95) is about 0.0282
    assert binomial_at_least(90, 100, 0.95, significance=0.05).rejected
    assert not binomial_at_least(90, 100, 0.95, significance=0.01).rejected
    with pytest.raises(ValueError, match=r"p0 must be in \(0, 1\]"):
        binomial_at_least(1, 2, 0.0)
    with pytest.raises(ValueError, match=r"significance must be in \(0, 1\)"):
        binomial_at_least(1, 2, 0.5, significance=1.0)


def test_mean_and_ratio_intervals():
    rng = np.random.default_rng(0)
    covered = sum(1.0 in mean_ci(rng.normal(1.0, 2.0, 30)) for _ in range(400))
    assert 0.92 <= covered / 400 <= 0.98
    num, den = rng.uniform(1, 2, 50), rng.uniform(1, 2, 50)
    r, ci = paired_ratio_ci(2 * num, num)
    assert r == pytest.approx(2.0)
    assert ci.low == pytest.approx(2.0) and ci.high == pytest.approx(2.0)
    r, ci = paired_ratio_ci(num, den)
    assert ci.low <= r <= ci.high
    with pytest.raises(ValueError, match=r"x needs at least 2 replicates"):
        mean_ci([1.0])
    with pytest.raises(ValueError, match=r"num and den must be paired"):
        paired_ratio_ci([1.0, 2.0], [1.0])


def test_check_result_json_and_interval():
    iv = Interval(0.0, 1.0)
    assert 0.5 in iv and 2.0 not in iv and "a" not in iv
    res = CheckResult("ucbvi", "rate", "claim [R]", 0.5, Interval(-math.inf, 1.0), True, 1.25,
                      {"sizes": np.array([1, 2]), "p": float("nan")})
    js = res.to_json()
    assert js["ci"] == [None, 1.0] and js["passed"] is True
    assert js["details"] == {"sizes": [1, 2], "p": None}
    assert str(res).startswith("[PASS] theorem ucbvi.rate: measured 0.5")
    assert js["verdict"] == "pass" and js["kind"] == "theorem" and js["amended"] is False
