r"""UCBVI (Azar, Osband, Munos, ICML 2017): optimistic value iteration for episodic MDPs.

The learner knows the rewards ``R`` (``mdp.spec``) and estimates a
time-homogeneous kernel from pooled counts. Each episode it plans by
optimistic backward induction (:func:`~theoryrl.agents._ucbvi_kernels.optimistic_plan`)

.. math::

    \bar Q_h(s, a) = \min\big(H - h,\; r(s, a) + \hat P_{s,a} \bar V_{h+1} + b_h(s, a)\big),
    \qquad \bar V_h(s) = \max_a \bar Q_h(s, a)

(0-indexed h, so :math:`H - h` bounds the value-to-go), and plays the greedy policy.

Bonuses (``bonus=``):

``"hoeffding"`` (UCBVI-CH, [1]_ Alg. 3) [R constants]
    :math:`b = 7 H L / \sqrt{n}`, :math:`L = \ln(5 S A T / \delta)`, :math:`T = KH`.
``"bernstein"`` (UCBVI-BF, [1]_ Alg. 4) [R constants]
    :math:`b = \sqrt{8 L \mathrm{Var}_{\hat P}(\bar V_{h+1}) / n} + 14 H L / (3 n)
    + \sqrt{8 \sum_y \hat P(y) \min(10^4 H^3 S^2 A L^2 / n'_{h+1}(y), H^2) / n}`.
``"l1"`` [D]
    :math:`b_h = \tfrac{H-h-1}{2} \sqrt{2 (S \ln 2 + \iota) / n}`,
    :math:`\iota = \ln(S A H K / \delta)`: valid for *every* value function in
    :math:`[0, H-h-1]^S` on the Weissman L1 event, so optimism
    :math:`\bar V_0 \ge V^*_0` holds on an event of probability at least
    :math:`1 - \delta` and :func:`regret_bound_l1` holds.

The paper's constants make CH and BF bonuses exceed the horizon for
:math:`n \lesssim 10^4` on any instance of interest, so at feasible sizes they
explore uniformly; the proof checks use ``"l1"``, whose guarantee we prove in
the docs (never a scaled-down bonus: ``bonus_scale < 1`` voids every guarantee
and exists for illustrations only).

References
----------
.. [1] M. G. Azar, I. Osband, R. Munos, "Minimax regret bounds for
   reinforcement learning", ICML 2017, arXiv:1703.05449.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._validation import (
    as_float_array,
    check_choice,
    check_int,
    check_open_unit,
    check_positive,
)
from ..models.tabular import MDPSpec
from . import _ucbvi_kernels as _k
from .base import Agent, CompiledRun, Trajectory

__all__ = ["UCBVI", "UCBVIBernstein", "UCBVIHoeffding", "regret_bound_ch", "regret_bound_bf",
           "regret_bound_l1", "bonus_log_factor", "OptimisticPlan", "optimistic_plan"]

_KINDS = {"hoeffding": _k.HOEFFDING, "bernstein": _k.BERNSTEIN, "l1": _k.L1}


def bonus_log_factor(bonus: str, S: int, A: int, H: int, K: int, delta: float) -> float:
    """The log factor ``L`` of each bonus: ``ln(5SAT/delta)`` for CH/BF
    (``T = KH``), ``iota = ln(SAHK/delta)`` for ``"l1"``."""
    if bonus == "l1":
        return math.log(S * A * H * K / delta)
    return math.log(5 * S * A * K * H / delta)


class UCBVI(Agent):
    r"""UCBVI with a Hoeffding (CH), Bernstein-Freedman (BF) or L1 bonus.

    Parameters
    ----------
    spec : MDPSpec
        ``mdp.spec`` of an episodic MDP (known rewards, no kernel).
    episodes : int
        Number of episodes K, which sets the log factor (``T = KH``).
    delta : float
        Confidence level in (0, 1).
    bonus : {"l1", "hoeffding", "bernstein"}
        ``"l1"`` by default: it keeps a regret guarantee (:func:`regret_bound_l1`)
        and learns at feasible sizes, whereas the paper's constants make the
        ``"hoeffding"`` and ``"bernstein"`` bonuses exceed the horizon until
        :math:`n \gtrsim 10^4` visits per pair, so those learners explore
        uniformly (on ``riverswim(5, horizon=8)`` the Hoeffding learner never
        plays action 1 in 2,000 episodes). :class:`UCBVIHoeffding` and
        :class:`UCBVIBernstein` keep the paper's bonuses.
    bonus_scale : float
        Multiplies the bonus. 1 by default; any other value voids the
        guarantees.

    Attributes
    ----------
    optimistic_init : bool
        Class attribute: unvisited pairs are valued at the horizon cap (``True``,
        the algorithm); a subclass setting it to ``False`` values them at their
        reward alone (with ``bonus_scale=0``, the greedy certainty-equivalent
        learner).
    """

    name = "UCBVI"
    bonus = "l1"
    optimistic_init = True

    def __init__(self, spec: MDPSpec, episodes: int, delta: float = 0.05,
                 bonus: str | None = None, bonus_scale: float = 1.0) -> None:
        super().__init__(spec)
        if spec.horizon is None:
            raise ValueError("spec must be episodic (horizon=H) for UCBVI")
        self.episodes = check_int(episodes, "episodes", 1)
        self.delta = check_open_unit(delta, "delta")
        bonus = self.bonus if bonus is None else bonus
        check_choice(bonus, "bonus", _KINDS)
        self.bonus = bonus
        self.bonus_scale = check_positive(bonus_scale, "bonus_scale", allow_zero=True)
        S, A, H = spec.n_states, spec.n_actions, spec.horizon
        self._L = bonus_log_factor(bonus, S, A, H, self.episodes, self.delta)
        self._R = np.ascontiguousarray(spec.R if spec.R.ndim == 3 else spec.R[None])
        self.name = f"UCBVI-{ {'hoeffding': 'CH', 'bernstein': 'BF', 'l1': 'L1'}[bonus] }"

    def reset(self, rng: np.random.Generator) -> None:
        S, A, H = self.spec.n_states, self.spec.n_actions, self.spec.horizon
        self._N = np.zeros((S, A, S))
        self._NT = np.zeros((S, S * A))  # NT[t, s * A + a] = N[s, a, t]: SIMD planning
        self._n = np.zeros((S, A), dtype=np.int64)
        self._nstate = np.zeros((H + 1, S))
        self._V = np.zeros((H + 1, S))
        self._Q = np.empty((H, S, A))
        self._pi = np.empty((H, S), dtype=np.int64)
        self._b = np.empty((H, S, A))
        self._fresh = False

    def plan(self) -> None:
        """Recompute the optimistic values and greedy policy from the counts."""
        _k.optimistic_plan_t(self._N, self._NT, self._n, self._nstate, self._R,
                             self.spec.horizon, self._L, _KINDS[self.bonus], self.bonus_scale,
                             self.optimistic_init, self._V, self._Q, self._pi, self._b)
        self._fresh = True

    def policy(self) -> np.ndarray:
        if not self._fresh:
            self.plan()
        return self._pi

    def update(self, traj: Trajectory) -> None:
        _k.add_episode_t(self._N, self._NT, self._n, self._nstate, traj.states, traj.actions)
        self._fresh = False

    def optimistic_value(self) -> float:
        r"""``init @ V_bar_0`` of the current plan (an upper bound on :math:`V^*` on the
        confidence event)."""
        if not self._fresh:
            self.plan()
        return float(self.spec.init @ self._V[0])

    def info(self) -> dict[str, float]:
        return {"optimistic_value": float(self.spec.init @ self._V[0])}

    def compiled_run(self) -> CompiledRun:
        """Inputs of the compiled whole-run kernel ``"ucbvi"``, which plays whole runs of
        this agent bit for bit (see :mod:`theoryrl.experiment.batched`).

        Returns
        -------
        CompiledRun
            Kernel ``"ucbvi"``; arguments: the known rewards (HR, S, A), the log
            factor, the bonus kind, ``bonus_scale`` and ``optimistic_init``.
        """
        return CompiledRun("ucbvi", UCBVI, (self._R, float(self._L), _KINDS[self.bonus],
                                            float(self.bonus_scale), bool(self.optimistic_init)))


class OptimisticPlan(NamedTuple):
    """Result of :func:`optimistic_plan`."""

    V: np.ndarray
    """Optimistic values, shape (H, S) (``V_bar_H = 0`` left out)."""
    Q: np.ndarray
    """Optimistic action values, shape (H, S, A)."""
    policy: np.ndarray
    """Greedy actions, int64, shape (H, S)."""
    bonus: np.ndarray
    """The bonus b_h(s, a), shape (H, S, A); ``inf`` where ``n(s, a) = 0``."""


def optimistic_plan(N, R, horizon: int, episodes: int, delta: float,
                    bonus: str = "l1", bonus_scale: float = 1.0) -> OptimisticPlan:
    r"""The plan of :class:`UCBVI` from transition counts ``N``.

    Optimistic backward induction from :math:`\bar V_H = 0`,

    .. math::

        \bar Q_h(s, a) = \min\big(H - h,\; R(s, a) + \hat P_{s,a} \bar V_{h+1}
        + b_h(s, a)\big), \qquad \bar V_h(s) = \max_a \bar Q_h(s, a),

    with :math:`\hat P = N / n`, :math:`n(s, a) = \sum_{s'} N(s, a, s')`, and
    :math:`\bar Q_h(s, a) = H - h` where :math:`n(s, a) = 0`: the same numbers as
    the agent's own planner, with the log factor of :func:`bonus_log_factor`.

    Parameters
    ----------
    N : array_like, shape (S, A, S)
        Transition counts (non-negative integers, as floats or ints).
    R : array_like, shape (S, A)
        Known mean rewards.
    horizon : int
        H >= 1.
    episodes : int
        K >= 1 (in the log factor).
    delta : float
        Confidence level in (0, 1).
    bonus : {"l1", "hoeffding"}
        The bonus (``"bernstein"`` needs per-stage visit counts, which
        transition counts do not hold).
    bonus_scale : float
        Multiplies the bonus.

    Returns
    -------
    OptimisticPlan
        ``(V, Q, policy, bonus)``.

    Examples
    --------
    >>> import numpy as np
    >>> plan = optimistic_plan(np.zeros((2, 1, 2)), np.zeros((2, 1)), 3, 10, 0.1)
    >>> plan.V[:, 0].tolist()
    [3.0, 2.0, 1.0]
    """
    N = as_float_array(N, "N")
    R = as_float_array(R, "R")
    if N.ndim != 3 or N.shape[0] != N.shape[2]:
        raise ValueError(f"N must have shape (S, A, S), got {N.shape}")
    if R.shape != N.shape[:2]:
        raise ValueError(f"R must have shape {N.shape[:2]} (S, A) to match N, got {R.shape}")
    if np.any(N < 0) or np.any(N != np.round(N)):
        raise ValueError("N must hold non-negative integer counts")
    H = check_int(horizon, "horizon", 1)
    check_choice(bonus, "bonus", ("l1", "hoeffding"))
    S, A = R.shape
    L = bonus_log_factor(bonus, S, A, H, check_int(episodes, "episodes", 1),
                         check_open_unit(delta, "delta"))
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    b = np.empty((H, S, A))
    _k.optimistic_plan(np.ascontiguousarray(N), N.sum(axis=2).astype(np.int64),
                       np.zeros((H + 1, S)), np.ascontiguousarray(R[None]), H, L,
                       _KINDS[bonus], check_positive(bonus_scale, "bonus_scale",
                                                     allow_zero=True), True, V, Q, pi, b)
    return OptimisticPlan(V[:H], Q, pi, b)


class UCBVIHoeffding(UCBVI):
    """UCBVI-CH: :class:`UCBVI` with the Hoeffding bonus (Azar et al. 2017, Alg. 3).

    Parameters
    ----------
    spec : MDPSpec
        ``mdp.spec`` of an episodic MDP.
    episodes : int
        Number of episodes K.
    delta : float, optional
        Confidence level in (0, 1); the regret bound holds with probability
        at least :math:`1 - \\delta`. 0.05 by default.
    bonus : {"hoeffding", "bernstein", "l1"}, optional
        Defaults to this class's bonus.
    bonus_scale : float, optional
        Multiplies the bonus (1, the default, is the algorithm; any other
        value voids the guarantees).

    Attributes
    ----------
    optimistic_init : bool
        Class attribute, ``True``: unvisited pairs are valued at the horizon cap.
    """

    bonus = "hoeffding"


class UCBVIBernstein(UCBVI):
    """UCBVI-BF: :class:`UCBVI` with the Bernstein-Freedman bonus (Azar et al. 2017, Alg. 4).

    Parameters
    ----------
    spec : MDPSpec
        ``mdp.spec`` of an episodic MDP.
    episodes : int
        Number of episodes K.
    delta : float, optional
        Confidence level in (0, 1); the regret bound holds with probability
        at least :math:`1 - \\delta`. 0.05 by default.
    bonus : {"hoeffding", "bernstein", "l1"}, optional
        Defaults to this class's bonus.
    bonus_scale : float, optional
        Multiplies the bonus (1, the default, is the algorithm; any other
        value voids the guarantees).

    Attributes
    ----------
    optimistic_init : bool
        Class attribute, ``True``: unvisited pairs are valued at the horizon cap.
    """

    bonus = "bernstein"


def _check_sizes(S, A, H, K, delta):
    for v, n in ((S, "S"), (A, "A"), (H, "H"), (K, "K")):
        check_int(v, n, 1)
    check_open_unit(delta, "delta")


def regret_bound_ch(S: int, A: int, H: int, K: int, delta: float) -> float:
    r"""Theorem 1 of [1] (UCBVI-CH) [R constants]: with probability at least
    :math:`1-\delta`, :math:`\mathrm{Regret}(K) \le 20 H L \sqrt{S A T}
    + 250 H^2 S^2 A L^2`, :math:`T = KH`, :math:`L = \ln(5 S A T / \delta)`."""
    _check_sizes(S, A, H, K, delta)
    T = K * H
    L = math.log(5 * S * A * T / delta)
    return 20 * H * L * math.sqrt(S * A * T) + 250 * H**2 * S**2 * A * L**2


def regret_bound_bf(S: int, A: int, H: int, K: int, delta: float) -> float:
    r"""Theorem 2 of [1] (UCBVI-BF) [R constants]: with probability at least
    :math:`1-\delta`, :math:`\mathrm{Regret}(K) \le 30 H L \sqrt{S A T}
    + 2500 H^2 S^2 A L^2 + 4 H \sqrt{T L}`, the first term improving to
    :math:`\sqrt{H S A T}` order when :math:`T \ge H^3 S^3 A`."""
    _check_sizes(S, A, H, K, delta)
    T = K * H
    L = math.log(5 * S * A * T / delta)
    return 30 * math.sqrt(H * S * A * T) * L + 2500 * H**2 * S**2 * A * L**2 \
        + 4 * H * math.sqrt(T * L)


def regret_bound_l1(S: int, A: int, H: int, K: int, delta: float,
                    planned_episodes: int | None = None) -> float:
    r"""Regret bound of UCBVI with the ``"l1"`` bonus [D] (proof in the docs).

    With probability at least :math:`1 - 2\delta`,

    .. math::

        \mathrm{Regret}(K) \le (H-1) \sqrt{2 (S \ln 2 + \iota)}
            \big(2\sqrt{2 S A K H} + 2 S A H\big) + S A H
            + H \sqrt{2 K (H+1) \ln(1/\delta)},

    :math:`\iota = \ln(SAHK'/\delta)` where :math:`K' \ge K` is the number of
    episodes the agent was configured for (``planned_episodes``, default K), so
    the bound holds at every checkpoint :math:`K \le K'` of one run.

    Proof sketch (full version in the docs). On the Weissman L1 event
    (probability :math:`\ge 1-\delta`, union over (s, a) and the sample index
    :math:`n \le KH`), :math:`|(\hat P - P) V| \le b` for every
    :math:`V \in [0, H-h-1]^S`, so :math:`\bar V \ge V^*` and
    :math:`\bar V_h - V^{\pi}_h \le 2 b_h + P(\bar V_{h+1} - V^\pi_{h+1})` on
    visited pairs, while a pair never visited before the episode costs at most
    :math:`H` once, in at most :math:`SA` episodes. Along the trajectory the
    differences form a martingale with increments bounded by H
    (:math:`K(H+1)` of them, initial draw included; Azuma-Hoeffding,
    probability :math:`\ge 1-\delta`). With counts updated after each episode
    (at most H visits per pair per episode),
    :math:`\sum_{k,h} n_k^{-1/2} \le 2\sqrt{2 S A K H} + 2 S A H`: a pair's
    episodes with :math:`n_k < H` add at most :math:`2H`, the others
    :math:`m/\sqrt{n} \le 2\sqrt2 (\sqrt{n+m} - \sqrt n)`, then Cauchy-Schwarz.
    """
    _check_sizes(S, A, H, K, delta)
    Kp = K if planned_episodes is None else check_int(planned_episodes, "planned_episodes", K)
    iota = math.log(S * A * H * Kp / delta)
    return ((H - 1) * math.sqrt(2 * (S * math.log(2) + iota))
            * (2 * math.sqrt(2 * S * A * K * H) + 2 * S * A * H)
            + S * A * H + H * math.sqrt(2 * K * (H + 1) * math.log(1 / delta)))
