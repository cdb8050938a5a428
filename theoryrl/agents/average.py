r"""The average-reward agent contract: a stationary policy plus the rule that ends it.

An average-reward agent is a resettable state machine over *epochs*. The step
driver (:mod:`theoryrl.experiment.average`) asks :meth:`AverageAgent.policy`
for a :class:`StepPlan` -- a deterministic stationary policy ``pi`` (S,) and a
:class:`StopRule` -- runs steps in a compiled loop until the rule fires (or
``T`` is reached), then hands the :class:`Segment` to :meth:`AverageAgent.update`.

Stop rules the compiled loop evaluates after every transition (the transition
that fires a rule belongs to the data of the next plan, LOOP spec Sec. 2.4):

``"count"``
    UCRL2's doubling rule: stop once the in-epoch visits ``nu(s,a)`` reach
    ``nu_limit[s, a] = max(1, N_k(s, a))``.
``"det"``
    Determinant doubling: stop once ``logdet[k] - logdet0[k] > ln 2`` for the
    updated block ``k`` of the ridge statistics.
``"loop"``
    The LOOP test: stop once ``||ptilde[k] - G[k]^{-1} b[k]||^2_{G[k]} > c_sw * beta_k(t)``
    for the updated block (spec Sec. 2.4, rule 1).
``"raw"``
    Ablation / broken variant only: the *raw* squared residual of the epoch,
    :math:`\sum (y - \langle \tilde p_k, x\rangle)^2 > c_{sw}\beta`; it grows like
    ``t * Var`` and gives linear switching (spec Sec. 2.1, "never use").
``"none"``
    Only ``max_steps`` (or ``T``) ends the epoch.
``"qlearn"``
    A per-step learner (Optimistic Q-learning): the loop updates the
    :class:`QState` arrays after every step and acts greedily in ``Qhat``; it
    never stops before ``max_steps``.

Ridge statistics (:class:`RidgeStats`) are the sufficient statistics of the
value-targeted regressions of LOOP / UCRL2-VTR. They belong to the agent, and
the compiled loop updates them **in place** after every step (Sherman--Morrison
for ``Ginv``, the matrix-determinant lemma for ``logdet``), so a rule can be
evaluated at every step at ``O(d^2)`` cost without a Python call; the agent
never recomputes them.

Rules for implementers
----------------------
1. ``__init__`` validates and stores hyper-parameters; ``reset(rng)`` creates
   all learning state.
2. ``policy()`` returns a :class:`StepPlan`; ``pi`` is int64 (S,) in ``[0, A)``.
3. ``update(seg)`` sees states, actions and observed rewards of the epoch
   (and the ridge statistics the loop updated).
4. ``history`` is a list with one dict per plan (``tau``, ``gain``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..models.rewards import check_reward_range
from ..models.tabular import MDPSpec

__all__ = ["AverageAgent", "QState", "RidgeStats", "Segment", "StepPlan", "StopRule",
           "RULES"]

RULES = {"none": 0, "count": 1, "det": 2, "loop": 3, "qlearn": 4, "raw": 5}
_BIG = np.iinfo(np.int64).max // 4


class Segment(NamedTuple):
    """One epoch: ``states`` (n+1,), ``actions`` (n,), ``rewards`` (n,), the global
    index ``t0`` of ``states[0]`` and the stop ``reason`` (rule code or -1 for T)."""

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
    ``potential_raw[k]`` the unclipped sum (elliptical potential, spec C8).
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

    def estimate(self) -> np.ndarray:
        """Ridge estimates ``G^{-1} b`` (nb, d)."""
        return np.einsum("kij,kj->ki", self.Ginv, self.b)


@dataclass
class QState:
    """Optimistic Q-learning state updated in place by the compiled loop
    (Wei et al. 2020): ``Q``, ``Qhat`` (S, A), ``Vhat`` (S,), visit counts ``n`` (S, A),
    ``H`` (discount ``gamma = 1 - 1/H``) and bonus scale ``c`` (``b = c sqrt(H / n)``)."""

    Q: np.ndarray
    Qhat: np.ndarray
    Vhat: np.ndarray
    n: np.ndarray
    H: float
    c: float


@dataclass
class StopRule:
    """What ends an epoch (see the module docstring).

    ``beta_coef`` = (c0, c1, c2, c3) defines the radius used by the ``"loop"``
    rule and by confidence monitoring:
    :math:`\\sqrt{\\beta_k(t)} = c_0 \\sqrt{c_1 + \\log\\det G_k(t) - c_2} + c_3`,
    then :math:`\\beta` is multiplied by ``beta_scale``.
    ``learn_until``: ridge statistics stop receiving data from this global step
    on (a test hook for frozen confidence sets; ``None`` = never).
    """

    kind: str = "none"
    max_steps: int | None = None
    nu_limit: np.ndarray | None = None    # (S, A) int64, "count"
    ridge: RidgeStats | None = None
    logdet0: np.ndarray | None = None     # (nb,), "det" / "loop"
    ptilde: np.ndarray | None = None      # (nb, d), "loop"
    c_sw: float = 16.0
    beta_coef: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    beta_scale: float = 1.0
    q: QState | None = None
    learn_until: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in RULES:
            raise ValueError(f"kind must be one of {sorted(RULES)}, got {self.kind!r}")
        if self.kind == "count" and self.nu_limit is None:
            raise ValueError("kind='count' needs nu_limit")
        if self.kind in ("det", "loop", "raw") and (self.ridge is None or self.logdet0 is None):
            raise ValueError(f"kind={self.kind!r} needs ridge and logdet0")
        if self.kind in ("loop", "raw") and self.ptilde is None:
            raise ValueError(f"kind={self.kind!r} needs ptilde")
        if self.kind == "qlearn" and self.q is None:
            raise ValueError("kind='qlearn' needs q")


@dataclass
class StepPlan:
    """A stationary deterministic policy ``pi`` (S,) and the :class:`StopRule` ending it."""

    pi: np.ndarray
    rule: StopRule


class AverageAgent:
    """Base class of average-reward agents (contract in the module docstring)."""

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

    def policy(self) -> StepPlan:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, seg: Segment) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def true_blocks(self, mdp: Any) -> np.ndarray | None:
        """The true regression parameters per ridge block (nb, d), for confidence
        monitoring by the driver in test mode; ``None`` if the agent has no ridge."""
        return None

    def params(self) -> dict:
        """Hyper-parameters for result metadata (public scalar attributes)."""
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and isinstance(v, (int, float, str, bool))}
