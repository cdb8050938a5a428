"""Robust MDPs: rectangular uncertainty sets, exact inner problems, robust
value iteration and robust policy evaluation (Iyengar 2005; Nilim and El
Ghaoui 2005). The IWOCS meta-algorithm built on them is
:func:`theoryrl.agents.iwocs`; the theory page is ``docs/theory/iwocs.md``."""

from .inner import finite_worst, kl_worst, l1_worst
from .rmdp import (
    RobustEvaluation,
    RobustSolution,
    robust_bellman,
    robust_policy_evaluation,
    robust_value_iteration,
    static_value,
)
from .sets import FiniteSet, KLBall, L1Ball, ModelFamily

__all__ = [
    "FiniteSet", "KLBall", "L1Ball", "ModelFamily", "RobustEvaluation", "RobustSolution",
    "finite_worst", "kl_worst", "l1_worst", "robust_bellman", "robust_policy_evaluation",
    "robust_value_iteration", "static_value",
]
