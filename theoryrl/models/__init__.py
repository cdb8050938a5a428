"""Exact models; no learning inside."""

from .diffusion import (
    BrownianQuadratic,
    Diffusion1D,
    ErgodicLQ,
    MeanVarianceGaussian,
    OUDiscounted,
    OUQuadratic,
    PolyFeatures,
)
from .linear_mixture import LinearMixtureMDP
from .pomdp import POMDP
from .rewards import check_reward_range, rescale_rewards
from .shared_specific import SharedSpecificClass, TaskLaws
from .tabular import MDPSpec, TabularMDP, check_policy

__all__ = ["BrownianQuadratic", "Diffusion1D", "ErgodicLQ", "LinearMixtureMDP", "MDPSpec",
           "MeanVarianceGaussian", "OUDiscounted", "OUQuadratic", "POMDP", "PolyFeatures",
           "SharedSpecificClass", "TabularMDP", "TaskLaws", "check_policy", "check_reward_range",
           "rescale_rewards"]
