"""Exact solvers: backward induction, VI/PI, RVI, policy evaluation. Nothing stochastic."""

from .average import (
    AverageSolution,
    is_weakly_communicating,
    maximal_end_components,
    policy_gain_bias,
    relative_value_iteration,
    span,
)
from .discounted import (
    ConvergenceError,
    DiscountedSolution,
    PrecisionError,
    evaluate_policy_discounted,
    modified_policy_iteration,
    policy_iteration,
    value_iteration,
)
from .episodic import EpisodicSolution, backward_induction, evaluate_policy
from .solve import solve

__all__ = [
    "AverageSolution", "ConvergenceError", "DiscountedSolution", "EpisodicSolution",
    "backward_induction", "evaluate_policy", "evaluate_policy_discounted",
    "is_weakly_communicating", "maximal_end_components", "modified_policy_iteration",
    "PrecisionError", "policy_gain_bias",
    "policy_iteration", "relative_value_iteration", "solve", "span", "value_iteration",
]
from .amdp import AverageFacts, average_facts  # noqa: E402
from .diameter import diameter, hitting_times  # noqa: E402
from .extended_vi import (  # noqa: E402
    EVIConvergenceWarning,
    EVIResult,
    evi_box,
    evi_ellipsoid,
    evi_l1,
    evi_linear_mixture,
    extended_value_iteration,
)

__all__ += ["AverageFacts", "EVIConvergenceWarning", "EVIResult", "average_facts", "diameter",
            "evi_box", "evi_ellipsoid", "evi_l1", "evi_linear_mixture",
            "extended_value_iteration", "hitting_times"]
