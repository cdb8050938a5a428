"""Claims and the statistics that judge them.

This subpackage uses nothing of ``theoryrl`` but numpy and scipy: a proof check
measures with the algorithms, then judges here.
"""

from .result import CheckResult, Interval
from .rules import (
    AllOf,
    AnyOf,
    AtLeast,
    AtMost,
    Binomial,
    CIMeets,
    CIWithin,
    FamilyRule,
    PValueBelow,
    Rule,
    detectable_failure_rate,
    rule_from_dict,
)
from .stats import (
    SlopeFit,
    binomial_at_least,
    clopper_pearson,
    fit_loglog_slope,
    mean_ci,
    paired_ratio_ci,
)

__all__ = [
    "AllOf",
    "AnyOf",
    "AtLeast",
    "AtMost",
    "Binomial",
    "CIMeets",
    "CIWithin",
    "FamilyRule",
    "PValueBelow",
    "Rule",
    "detectable_failure_rate",
    "rule_from_dict",
    "CheckResult",
    "Interval",
    "SlopeFit",
    "binomial_at_least",
    "clopper_pearson",
    "fit_loglog_slope",
    "mean_ci",
    "paired_ratio_ci",
]
