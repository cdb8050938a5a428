"""The agent contract shared by every algorithm, and its two variants.

An agent is a resettable state machine over rounds of interaction: the driver
(:func:`theoryrl.experiment.run`) asks :meth:`Agent.policy` for the next round's
policy, simulates the round in a compiled kernel, then hands the data to
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
   rewards, and for a mixture the component played (a :class:`Trajectory`).
4. ``info()`` may return scalar per-episode diagnostics (certified lower
   bounds, optimistic values...) recorded by the driver in ``Result.extras``.
5. Randomised agents draw only from the generator handed to ``reset``.
6. Optionally, ``compiled_run()`` returns a :class:`CompiledRun`: the inputs of a
   compiled kernel that plays whole runs exactly as ``reset``, ``policy``,
   ``update`` and ``info`` would, bit for bit. The driver then runs every seed
   in that kernel, seeds spread over threads
   (:mod:`theoryrl.experiment.batched`); a subclass that overrides any of those
   methods is run in Python, episode by episode.

Variants
--------
Average reward (:class:`theoryrl.agents.average.AverageAgent`)
    A round is an *epoch* of one endless trajectory: ``policy()`` returns a
    stationary policy (S,), the agent's ``play`` runs it in its own compiled
    kernel until its stop rule fires, ``update`` receives a
    :class:`~theoryrl.agents.average.Segment`.
Multi-task POMDPs (:class:`theoryrl.agents.umt_psr.MultiTaskAgent`)
    A round is an *iteration* over tasks: ``policy()`` returns
    :class:`TaskPlays` (the tasks to play and one flat history-dependent
    policy tensor per play), ``update`` receives a :class:`TaskBatch` (the flat
    trajectory index of each play); the agent also says when it is ``done``
    and which ``output_policies`` it certifies.

:func:`theoryrl.agents.check_agent` checks every rule on a given agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..models.rewards import check_reward_range
from ..models.tabular import MDPSpec

__all__ = ["Agent", "CompiledRun", "Mixture", "TaskBatch", "TaskPlays", "Trajectory"]


class Trajectory(NamedTuple):
    """One episode, as the learner sees it.

    Attributes
    ----------
    states : ndarray of int64, shape (H+1,)
    actions : ndarray of int64, shape (H,)
    rewards : ndarray, shape (H,)
    component : int
        Index of the :class:`Mixture` component played (-1 for a plain policy).
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    component: int = -1


class TaskPlays(NamedTuple):
    """One iteration of a multi-task agent: what to play on which task.

    Attributes
    ----------
    tasks : ndarray of int64, shape (J,)
        The task of each play.
    policies : ndarray, shape (J, F)
        The flat history-dependent policy tensor of each play.
    """

    tasks: np.ndarray
    policies: np.ndarray


class TaskBatch(NamedTuple):
    """What a multi-task agent observes of one iteration.

    Attributes
    ----------
    tasks : ndarray of int64, shape (J,)
        The task of each play.
    idx : ndarray of int64, shape (J,)
        The flat trajectory index (observations and actions) of each play.
    """

    tasks: np.ndarray
    idx: np.ndarray


@dataclass(frozen=True)
class Mixture:
    """Play ``policies[i]`` for the whole episode with probability ``weights[i]``.

    Attributes
    ----------
    weights : ndarray, shape (n,)
        A probability distribution over the components.
    policies : tuple of ndarray
        ``n`` episodic policies (int (H, S) or float (H, S, A)).
    """

    weights: np.ndarray
    policies: tuple

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=float)
        if w.ndim != 1 or w.size != len(self.policies) or w.size == 0:
            raise ValueError(f"weights must be 1-d with one entry per policy, got {w.shape} "
                             f"for {len(self.policies)} policies")
        if np.any(w < 0) or abs(w.sum() - 1) > 1e-9:
            raise ValueError(f"weights must be a distribution, got {w}")


@dataclass(frozen=True)
class CompiledRun:
    """What a compiled whole-run kernel needs to reproduce an agent (rule 6 of the contract).

    Attributes
    ----------
    kernel : str
        Name of the kernel (:data:`theoryrl.experiment.batched.KERNELS` lists them).
    mirrors : type
        The class whose ``reset``, ``plan``, ``policy``, ``update`` and ``info`` the
        kernel reproduces. An agent whose class resolves any of these names to other
        code (a subclass overriding one), or whose instance shadows one, is run in
        Python instead.
    args : tuple
        The kernel's arguments after the model's arrays: the agent's known rewards
        and hyper-parameters (arrays and scalars, no Python objects).
    """

    kernel: str
    mirrors: type
    args: tuple


class Agent:
    """Base class of episodic agents (see the module docstring for the contract).

    Parameters
    ----------
    spec : MDPSpec
        What the learner may know of the MDP (``mdp.spec``).
    """

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

    def compiled_run(self) -> CompiledRun | None:
        """The inputs of a compiled kernel that runs this agent's whole episodes.

        Returns
        -------
        CompiledRun or None
            ``None`` (the default): the driver calls ``policy`` and ``update`` once
            per episode.
        """
        return None

    def params(self) -> dict:
        """Hyper-parameters for result metadata (public scalar attributes)."""
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and isinstance(v, (int, float, str, bool))}
