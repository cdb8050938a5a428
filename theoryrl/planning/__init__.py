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
    evaluate_policy_discounted,
    policy_iteration,
    value_iteration,
)
from .episodic import EpisodicSolution, backward_induction, evaluate_policy
from .solve import solve

__all__ = [
    "AverageSolution", "ConvergenceError", "DiscountedSolution", "EpisodicSolution",
    "backward_induction", "evaluate_policy", "evaluate_policy_discounted",
    "is_weakly_communicating", "maximal_end_components", "policy_gain_bias",
    "policy_iteration", "relative_value_iteration", "solve", "span", "value_iteration",
]
