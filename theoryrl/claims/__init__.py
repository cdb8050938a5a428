"""Claims and the statistics that judge them.

This subpackage uses nothing of ``theoryrl`` but numpy and scipy: a proof check
measures with the algorithms, then judges here.
"""

from .result import CheckResult, Interval
from .stats import (
    SlopeFit,
    binomial_at_least,
    clopper_pearson,
    fit_loglog_slope,
    mean_ci,
    paired_ratio_ci,
)

__all__ = [
    "CheckResult",
    "Interval",
    "SlopeFit",
    "binomial_at_least",
    "clopper_pearson",
    "fit_loglog_slope",
    "mean_ci",
    "paired_ratio_ci",
]
