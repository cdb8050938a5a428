r"""The average-reward variant of the agent contract: stationary policies played in epochs.

Same four methods as the episodic contract (:mod:`theoryrl.agents.base`), over
*epochs* of one endless trajectory instead of episodes. The step driver
(:mod:`theoryrl.experiment.average`) repeats

1. ``pi = agent.policy()``: a deterministic stationary policy, int64 (S,) in ``[0, A)``;
2. ``t_end, reason = agent.play(sim, pi, t)``: the agent plays ``pi`` in **its own
   compiled kernel** from step ``t`` until its stop rule fires (or ``T``), updating
   in place whatever statistics the rule needs; ``reason`` is the agent's code of the
   rule that fired, or -1. There is no Python call per step. The default plays ``pi``
   to the end (:func:`play_fixed`);
3. ``agent.update(Segment)`` with the epoch's states, actions and observed rewards.

The transition that fires a rule belongs to the data of the next plan: a rule is
tested after the statistics have taken the transition in (docs/theory/loop.md). Adding an
average-reward agent touches only :mod:`theoryrl.agents`: its rule is its ``play``
and its kernel lives next to it (numba cannot cache a kernel that takes another
compiled function as an argument, so the driver calls a method, not a kernel).

Ridge statistics (:class:`RidgeStats`) are the sufficient statistics of the
value-targeted regressions of LOOP / UCRL2-VTR; the compiled loop updates them in
place after every step (Sherman--Morrison for ``Ginv``, the matrix-determinant
lemma for ``logdet``), so a rule can be tested at every step at ``O(d^2)`` cost.

Rules for implementers
----------------------
1. ``__init__`` validates and stores hyper-parameters; ``reset(rng)`` creates
   all learning state; randomised agents draw only from ``rng``.
2. ``policy()`` returns int64 (S,) in ``[0, A)``; ``play`` must return
   ``t < t_end <= T`` after writing ``sim.actions[t:t_end]`` and
   ``sim.states[t+1:t_end+1]`` with :func:`theoryrl.models._sampling_kernels.draw`
   and the uniforms ``sim.u[t:t_end]``, so the state process depends only on the
   seed and the actions.
3. ``update(seg)`` sees states, actions and observed rewards of the epoch.
4. ``info()`` may return scalar diagnostics; ``history`` is a list with one dict
   per plan (``tau``, ``gain``...).
5. Agents with confidence sets may support the driver's monitor
   (:meth:`AverageAgent.start_monitor`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..models.rewards import check_reward_range
from ..models.tabular import MDPSpec
from . import _average_kernels as K

__all__ = ["AverageAgent", "RidgeStats", "Segment", "StepSim", "play_fixed"]

NO_LIMIT = np.iinfo(np.int64).max // 4


class StepSim(NamedTuple):
    """The arrays of one run that an agent's ``play`` reads and writes
    (``tuple(sim)`` is what the kernels take).

    Attributes
    ----------
    Pcum : ndarray, shape (S, A, S)
        Cumulative transition kernel, used only to draw next states.
    R : ndarray, shape (S, A)
        Mean rewards.
    u : ndarray, shape (T,)
        The run's transition uniforms.
    states : ndarray of int64, shape (T+1,)
        Filled in by the kernels.
    actions : ndarray of int64, shape (T,)
        Filled in by the kernels.
    """

    Pcum: np.ndarray
    R: np.ndarray
    u: np.ndarray
    states: np.ndarray
    actions: np.ndarray


def play_fixed(sim: StepSim, pi: np.ndarray, t0: int, max_steps: int | None = None
               ) -> tuple[int, int]:
    """Play ``pi`` from step ``t0`` for ``max_steps`` steps (``None``: until ``T``).

    Parameters
    ----------
    sim : StepSim
    pi : ndarray of int64, shape (S,)
    t0 : int
    max_steps : int, optional

    Returns
    -------
    (int, int)
        ``(t_end, -1)``.
    """
    limit = NO_LIMIT if max_steps is None else int(max_steps)
    t, reason = K.fixed_segment(tuple(sim), pi, int(t0), limit)
    return int(t), int(reason)


class Segment(NamedTuple):
    """One epoch, as the learner sees it.

    Attributes
    ----------
    states : ndarray of int64, shape (n+1,)
    actions : ndarray of int64, shape (n,)
    rewards : ndarray, shape (n,)
    t0 : int
        Global step index of ``states[0]``.
    reason : int
        The agent's code of the rule that ended the epoch, or -1 for ``T`` or a
        step limit.
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    t0: int
    reason: int


@dataclass
class RidgeStats:
    r"""Block ridge regressions :math:`x_t = X[s_t, a_t]`, :math:`y_t = y[s_{t+1}]`.

    Block ``k = block[s, a]`` keeps :math:`G_k = \lambda I + \sum x x^\top`, its
    inverse, :math:`b_k = \sum y x` and :math:`\log\det G_k`. ``X`` and ``y`` are
    set by the agent at each plan (the epoch's target :math:`w^k`).
    ``potential[k]`` accumulates :math:`\sum \min(1, x^\top G^{-1} x)` and
    ``potential_raw[k]`` the unclipped sum (the elliptical potential of LOOP check C8).
    """

    block: np.ndarray   # (S, A) int64
    X: np.ndarray       # (S, A, d)
    y: np.ndarray       # (S,)
    G: np.ndarray       # (nb, d, d)
    Ginv: np.ndarray    # (nb, d, d)
    b: np.ndarray       # (nb, d)
    logdet: np.ndarray  # (nb,)
    lam: float
    potential: np.ndarray = field(default=None)      # (nb,)
    potential_raw: np.ndarray = field(default=None)  # (nb,)
    visits: np.ndarray = field(default=None)         # (nb,) int64

    @classmethod
    def new(cls, block: np.ndarray, n_blocks: int, d: int, S: int, lam: float) -> RidgeStats:
        A = block.shape[1]
        G = np.repeat((lam * np.eye(d))[None], n_blocks, axis=0)
        Ginv = np.repeat((np.eye(d) / lam)[None], n_blocks, axis=0)
        return cls(np.ascontiguousarray(block, dtype=np.int64), np.zeros((S, A, d)),
                   np.zeros(S), G, Ginv, np.zeros((n_blocks, d)),
                   np.full(n_blocks, d * np.log(lam)), float(lam), np.zeros(n_blocks),
                   np.zeros(n_blocks), np.zeros(n_blocks, dtype=np.int64))

    @property
    def n_blocks(self) -> int:
        return self.G.shape[0]

    @property
    def dim(self) -> int:
        return self.G.shape[1]

    def arrays(self) -> tuple:
        """The arrays the compiled loops update, in their order."""
        return (self.block, self.X, self.y, self.G, self.Ginv, self.b, self.logdet,
                self.potential, self.potential_raw, self.visits)

    def estimate(self) -> np.ndarray:
        """Ridge estimates ``G^{-1} b`` (nb, d)."""
        return np.einsum("kij,kj->ki", self.Ginv, self.b)


class AverageAgent:
    """Base class of average-reward agents (contract in the module docstring).

    Parameters
    ----------
    spec : MDPSpec
        What the learner may know of the average-reward MDP (``mdp.spec``).
    """

    name = "average-agent"
    #: Reward range the agent's guarantee assumes, checked at construction (None: no check).
    reward_range: tuple[float, float] | None = (0.0, 1.0)

    def __init__(self, spec: MDPSpec) -> None:
        if not isinstance(spec, MDPSpec):
            raise TypeError(f"spec must be an MDPSpec (mdp.spec), got {type(spec).__name__}")
        if spec.criterion != "average":
            raise ValueError(f"spec must describe an average-reward MDP (no horizon, no "
                             f"gamma), got criterion {spec.criterion!r}")
        if self.reward_range is not None:
            check_reward_range(spec, *self.reward_range, who=type(self).__name__)
        self.spec = spec
        self.history: list[dict[str, Any]] = []

    def reset(self, rng: np.random.Generator) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def policy(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def play(self, sim: StepSim, pi: np.ndarray, t0: int) -> tuple[int, int]:
        """Play ``pi`` from step ``t0`` until the agent's stop rule fires or ``T``;
        returns ``(t_end, reason)``. The default never stops before ``T``."""
        return play_fixed(sim, pi, t0)

    def update(self, seg: Segment) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def info(self) -> dict[str, float]:
        """Scalar diagnostics of the last plan (none by default)."""
        return {}

    def start_monitor(self, mdp: Any) -> bool:
        """Watch whether the true parameters of ``mdp`` stay in the agent's confidence
        sets during the run (called by the driver after ``reset`` with ``monitor=True``);
        returns ``False`` when the agent has no confidence sets to watch."""
        return False

    def monitor_record(self) -> tuple[int, np.ndarray | None]:
        """``(first, worst)``: the first 1-based step after whose update a true parameter
        left its set (-1: never) and the largest ratio distance / radius per set."""
        return -1, None

    def params(self) -> dict:
        """Hyper-parameters for result metadata (public scalar attributes)."""
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and isinstance(v, (int, float, str, bool))}
