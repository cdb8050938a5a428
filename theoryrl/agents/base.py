"""The episodic agent contract shared by every algorithm.

An agent is a resettable state machine over whole episodes (STYLE.md, Sec. 6):
the driver asks :meth:`Agent.policy` for the next episode's policy, simulates
the episode in a compiled kernel, then hands the trajectory to
:meth:`Agent.update`. No Python call per step.

Rules for implementers
----------------------
1. ``__init__`` validates hyper-parameters and stores them; it does not
   allocate learning state. ``reset(rng)`` (re)creates all learning state, so
   one agent object describes a whole experiment and ``run`` gives every seed
   a fresh copy.
2. ``policy()`` returns an int array (H, S), a float array (H, S, A), or a
   :class:`Mixture` of those (an episode-level randomisation the driver draws
   with its own generator and records exactly).
3. ``update(traj)`` sees only what a learner may see: states, actions,
   rewards, and for a mixture the component played.
4. ``info()`` may return scalar per-episode diagnostics (certified lower
   bounds, optimistic values...) recorded by the driver in ``Result.extras``.
5. Randomised agents draw only from the generator handed to ``reset``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..models.rewards import check_reward_range
from ..models.tabular import MDPSpec

__all__ = ["Agent", "Mixture", "Trajectory"]


class Trajectory(NamedTuple):
    """One episode: ``states`` (H+1,), ``actions`` (H,), ``rewards`` (H,), and the
    index of the :class:`Mixture` component played (-1 for a plain policy)."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    component: int = -1


@dataclass(frozen=True)
class Mixture:
    """Play ``policies[i]`` for the whole episode with probability ``weights[i]``."""

    weights: np.ndarray
    policies: tuple

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=float)
        if w.ndim != 1 or w.size != len(self.policies) or w.size == 0:
            raise ValueError(f"weights must be 1-d with one entry per policy, got {w.shape} "
                             f"for {len(self.policies)} policies")
        if np.any(w < 0) or abs(w.sum() - 1) > 1e-9:
            raise ValueError(f"weights must be a distribution, got {w}")


class Agent:
    """Base class of episodic agents (see the module docstring for the contract)."""

    name = "agent"
    #: Reward range the agent's guarantee assumes, checked at construction (None: no check).
    reward_range: tuple[float, float] | None = (0.0, 1.0)

    def __init__(self, spec: MDPSpec) -> None:
        if not isinstance(spec, MDPSpec):
            raise TypeError(f"spec must be an MDPSpec (mdp.spec), got {type(spec).__name__}")
        if self.reward_range is not None:
            check_reward_range(spec, *self.reward_range, who=type(self).__name__)
        self.spec = spec

    def reset(self, rng: np.random.Generator) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def policy(self) -> np.ndarray | Mixture:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, traj: Trajectory) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def info(self) -> dict[str, float]:
        """Per-episode scalar diagnostics (none by default)."""
        return {}

    def params(self) -> dict:
        """Hyper-parameters for result metadata (public scalar attributes)."""
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and isinstance(v, (int, float, str, bool))}
