"""Exact models; no learning inside."""

from .linear_mixture import LinearMixtureMDP
from .tabular import MDPSpec, TabularMDP, check_policy

__all__ = ["LinearMixtureMDP", "MDPSpec", "TabularMDP", "check_policy"]
from .pomdp import POMDP as POMDP
from .rewards import check_reward_range, rescale_rewards  # noqa: E402

__all__ += ["check_reward_range", "rescale_rewards"]
