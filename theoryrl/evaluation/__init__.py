"""Policy-evaluation estimators.

``martingale_td``: ML, TD(lambda), LSTD(lambda), GTD and the MSTDE baseline in
continuous time and space (Jia & Zhou, JMLR 2022).
"""

from .martingale_td import (
    LinearApproximator,
    Paths,
    TDStatistics,
    ergodic_td,
    gtd_fit,
    gtd_sa,
    lstd,
    martingale_diagnostic,
    ml_fit,
    ml_sgd,
    mstde_fit,
    population_statistics,
    td_lambda_nonlinear,
    td_lambda_sa,
    td_statistics,
    value_error,
)

__all__ = [
    "LinearApproximator",
    "Paths",
    "TDStatistics",
    "ergodic_td",
    "gtd_fit",
    "gtd_sa",
    "lstd",
    "martingale_diagnostic",
    "ml_fit",
    "ml_sgd",
    "mstde_fit",
    "population_statistics",
    "td_lambda_nonlinear",
    "td_lambda_sa",
    "td_statistics",
    "value_error",
]
