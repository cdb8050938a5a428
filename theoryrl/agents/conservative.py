r"""Conservative-exploration baselines compared with StepMix/EpsMix.

* :class:`BaselineOnly` — plays :math:`\pi_b` forever (regret
  :math:`K\Delta_b`, always safe).
* :class:`CUCBVI` — Garcelon, Ghavamzadeh, Lazaric, Pirotta (AISTATS 2020)
  [V abstract; R mechanics]: *cumulative* constraint, plays :math:`\pi^k` when a
  pessimistic version of the cumulative condition holds, else :math:`\pi_b`.
* :class:`BudgetConservative` — the budget-based black-box reduction of Yang
  et al. (2021) [V abstract; R mechanics and name]: the baseline earns a
  budget; the unconstrained learner (UCBVI, fed only its own episodes) runs
  when the budget covers a worst-case episode.
* :class:`DOPESwitch` — DOPE-style optimistic-pessimistic play [D surrogate of
  Bura et al., NeurIPS 2022]: under the CMDP mapping (cost
  :math:`1 - r`), play :math:`\pi^k` when its pessimistic value certifies the
  episode-wise constraint, else :math:`\pi_b`; no mixing. DOPE proper solves
  an LP over occupancy measures of the confidence set (not implemented): this
  surrogate restricts the LP to :math:`\{\pi^k, \pi_b\}`, keeping DOPE's
  zero-violation guarantee on the same event.

Unconstrained UCBVI is :class:`~theoryrl.agents.ucbvi.UCBVI` (``bonus="l1"``).
All share :class:`~theoryrl.agents.stepmix.EpsMix`'s counts and widths, so
their certificates live on the same event.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..models.tabular import MDPSpec
from .base import Trajectory
from .stepmix import _Conservative, _document_parameters, regret_order
from .ucbvi import UCBVI

__all__ = ["BaselineOnly", "CUCBVI", "BudgetConservative", "DOPESwitch",
           "regret_bound_cucbvi", "regret_bound_budget", "regret_bound_dope",
           "cumulative_violations"]


@_document_parameters
class BaselineOnly(_Conservative):
    r"""Plays the baseline in every episode (the trivial safe reference).

    Parameters
    ----------
    {base_parameters}
    {width_parameters}
    """

    name = "BaselineOnly"

    def _choose(self) -> None:
        self._plan_out = self._pib
        lo, _ = self._baseline_bounds()
        self._last = {"conservative": 1.0, "lower_bound": lo}


class _Switching(_Conservative):
    """Plays ``pi^k`` or ``pi_b`` for the whole episode by a rule (``_rule``)."""

    def reset(self, rng: np.random.Generator) -> None:
        super().reset(rng)
        self._sum_lb = 0.0  # sum of certified lower bounds of the episodes played
        self._k = 0

    def _choose(self) -> None:
        ub = self._opt_plan()
        Lk = self._bound0(self._pik_float(), True, self._pik)
        lo, hi = self._baseline_bounds()
        go = self._rule(Lk, lo, hi)
        self._go = go
        self._plan_out = self._pik.copy() if go else self._pib
        self._lb_played = Lk if go else lo
        self._last = {"pessimistic_value": Lk, "optimistic_value": ub,
                      "lower_bound": self._lb_played, "conservative": float(not go)}

    def update(self, traj: Trajectory) -> None:
        self._sum_lb += self._lb_played
        self._k += 1
        super().update(traj)

    def _played(self, traj: Trajectory) -> float:
        return float(self._go)


@_document_parameters
class CUCBVI(_Switching):
    r"""CUCBVI (Garcelon et al. 2020) [V abstract; R mechanics].

    Plays :math:`\pi^k` iff
    :math:`\sum_{l < k} \underline V_l + \underline V^{\pi^k} \ge (1-\alpha)\,k\,V_b`,
    where :math:`\underline V_l` is the certified lower bound of the episode-l
    policy (PES-EVAL of :math:`\pi^l`, or :math:`V_b` for baseline episodes; with
    unknown :math:`V_b` the certified lower/upper bounds replace it). Satisfies the
    *cumulative* constraint only; its episode-wise violations are allowed and
    reported.

    Parameters
    ----------
    {base_parameters}
    {width_parameters}
    """

    name = "CUCBVI"

    def _rule(self, Lk: float, lo: float, hi: float) -> bool:
        return self._sum_lb + Lk >= (1.0 - self.alpha) * (self._k + 1) * hi


@_document_parameters
class DOPESwitch(_Switching):
    r"""DOPE-style optimistic-pessimistic play [D surrogate]: play
    :math:`\pi^k` iff :math:`\underline V^{\pi^k}_1(s_1) \ge (1-\alpha)V_b`
    (zero episode-wise violations on the event), else :math:`\pi_b`. Equivalent to
    EpsMix with :math:`\rho_k \in \{0, 1\}` — it pays the :math:`1/\kappa`-type
    overhead that mixing avoids.

    Parameters
    ----------
    {base_parameters}
    {width_parameters}
    """

    name = "DOPESwitch"

    def _rule(self, Lk: float, lo: float, hi: float) -> bool:
        if self._offline is not None:
            return Lk >= self._offline.threshold
        return Lk >= (1.0 - self.alpha) * hi


@_document_parameters
class BudgetConservative(_Conservative):
    r"""Budget-based conservative reduction (Yang et al. 2021) [V abstract; R mechanics].

    A black-box UCBVI-L1 is run on its own episodes only (``k_l`` so far). Its
    regret after ``m`` episodes is at most :math:`B(m)` = :func:`_l1_bound` (the
    bound of :func:`~theoryrl.agents.ucbvi.regret_bound_l1` with the log factor of
    the configured K) with probability :math:`1 - 2\delta`, so its cumulative value
    is at least :math:`m V^* - B(m) \ge m V_b - B(m)`. The learner's episode is
    allowed when the cumulative constraint survives that worst case [D]:

    .. math::

        \alpha\, k\, \underline V_b \ge B(k_l + 1)

    (``k`` counting the current episode); otherwise the baseline is played and
    earns budget. No model of the learner's policy is used: that is what makes
    it a reduction. With guarantee-carrying constants :math:`B` is large, so the
    reduction plays the baseline for :math:`n_0 \approx (B(n_0)/(\alpha V_b))`
    episodes (:func:`regret_bound_budget`). Cumulative constraint only.

    Parameters
    ----------
    {base_parameters}
    **kw
        ``bonus``, ``bonus_scale``, ``optimistic_bonus`` (``"l1"`` only: the budget
        uses :func:`~theoryrl.agents.ucbvi.regret_bound_l1`), ``anytime`` as in
        :class:`~theoryrl.agents.stepmix.EpsMix`.
    """

    name = "BudgetConservative"

    def __init__(self, spec: MDPSpec, episodes: int, baseline: Any = None, alpha: float = 0.1,
                 delta: float = 0.05, baseline_value: float | None = None, **kw: Any) -> None:
        super().__init__(spec, episodes, baseline, alpha, delta, baseline_value, **kw)
        if self.optimistic_bonus != "l1":
            raise ValueError("optimistic_bonus must be 'l1' for BudgetConservative (its budget "
                             f"uses regret_bound_l1), got {self.optimistic_bonus!r}")

    def reset(self, rng: np.random.Generator) -> None:
        super().reset(rng)
        self._inner = UCBVI(self.spec, self.episodes, self.delta, bonus="l1",
                            bonus_scale=self.bonus_scale)
        self._inner.reset(rng)
        self._nl = 0
        self._k = 0

    def _choose(self) -> None:
        lo, _ = self._baseline_bounds()
        S, A, H = self.spec.n_states, self.spec.n_actions, self.spec.horizon
        need = _l1_bound(S, A, H, self._nl + 1, self.episodes, self.delta)
        go = self.alpha * (self._k + 1) * lo >= need
        self._go = go
        self._plan_out = self._inner.policy().copy() if go else self._pib
        self._last = {"budget": self.alpha * (self._k + 1) * lo - need,
                      "conservative": float(not go)}

    def update(self, traj: Trajectory) -> None:
        self._k += 1
        if self._go:
            self._inner.update(traj)
            self._nl += 1
        super().update(traj)

    def _played(self, traj: Trajectory) -> float:
        return float(self._go)


def _l1_bound(S: int, A: int, H: int, m: int, K: int, delta: float) -> float:
    """:func:`~theoryrl.agents.ucbvi.regret_bound_l1` after ``m`` episodes of a run
    configured for ``K`` (log factor of K; valid for every m <= K)."""
    iota = math.log(S * A * H * K / delta)
    return (2 * (H - 1) * math.sqrt(2 * (S * math.log(2) + iota))
            * (2 * math.sqrt(S * A * m * H) + S * A * H)
            + S * A * H**2 + H * math.sqrt(2 * m * H * math.log(1 / delta)))


def cumulative_violations(values: np.ndarray, baseline_value: float, alpha: float,
                          tol: float = 1e-9) -> np.ndarray:
    r"""True where the cumulative constraint fails:
    :math:`\sum_{l \le k} V^{\pi_l} < (1-\alpha) k V_b`; ``values`` (..., K)."""
    v = np.asarray(values, float)
    k = np.arange(1, v.shape[-1] + 1)
    return np.cumsum(v, axis=-1) < (1.0 - alpha) * k * baseline_value - tol


def _overhead(S, A, H, delta, alpha, V_b, gap_b):
    if not 0 < alpha <= 1 or not V_b > 0 or gap_b < 0:
        raise ValueError(f"need alpha in (0, 1], V_b > 0, gap_b >= 0; got {alpha}, {V_b}, "
                         f"{gap_b}")
    kappa = alpha * V_b
    return H**3 * S * A * math.log(S * A * H / delta) * gap_b / (kappa * (kappa + gap_b))


def regret_bound_cucbvi(S: int, A: int, H: int, K: int, delta: float, alpha: float,
                        V_b: float, gap_b: float) -> float:
    r"""Garcelon et al. (2020), CUCBVI regret theorem [R form, orders only]: with
    probability at least :math:`1-\delta`, the unconstrained order plus a K-independent
    term :math:`H^3 S A\,\iota\,\Delta_b / (\kappa(\kappa + \Delta_b))`,
    :math:`\kappa = \alpha V_b` (cumulative constraint)."""
    return regret_order(S, A, H, K, delta) + _overhead(S, A, H, delta, alpha, V_b, gap_b)


def regret_bound_budget(S: int, A: int, H: int, K: int, delta: float, alpha: float,
                        V_b: float, gap_b: float) -> float:
    r"""Regret of :class:`BudgetConservative` [D for this implementation; R for the
    paper's reduction]: with probability at least :math:`1 - 2\delta`,

    .. math::

        \mathrm{Reg}(K) \le B(K) + \Delta_b \min(K, n_0),\qquad
        n_0 = \min\{k : \alpha k V_b \ge B(k)\},

    :math:`B` the UCBVI-L1 bound (:func:`~theoryrl.agents.ucbvi.regret_bound_l1`):
    the baseline runs only while the budget is short, at most :math:`n_0`
    episodes, each costing :math:`\Delta_b`. Since :math:`B(k) \sim \sqrt{k}`,
    :math:`n_0 \sim B(1)^2/(\alpha V_b)^2`: a :math:`1/\alpha^2` overhead."""
    if not 0 < alpha <= 1 or not V_b > 0 or gap_b < 0:
        raise ValueError(f"need alpha in (0, 1], V_b > 0, gap_b >= 0; got {alpha}, {V_b}, "
                         f"{gap_b}")
    lo, hi = 1, K
    if alpha * K * V_b < _l1_bound(S, A, H, K, K, delta):
        n0 = K
    else:
        while lo < hi:  # alpha k V_b - B(k) is increasing for k beyond its minimum
            mid = (lo + hi) // 2
            if alpha * mid * V_b >= _l1_bound(S, A, H, mid, K, delta):
                hi = mid
            else:
                lo = mid + 1
        n0 = lo
    return _l1_bound(S, A, H, K, K, delta) + gap_b * n0


def regret_bound_dope(S: int, A: int, H: int, K: int, delta: float, alpha: float,
                      V_b: float) -> float:
    r"""DOPE (Bura et al. 2022) [V abstract :math:`\tilde O(|S|\sqrt{|A|K})`; R H- and
    slack-dependence]: :math:`H^3 S\sqrt{AK}\,\iota\,(1 + H/\kappa)` with
    :math:`\kappa = \alpha V_b` the baseline's slack under the CMDP mapping; the
    :math:`1/\kappa` factor multiplies the *leading* term."""
    if not 0 < alpha <= 1 or not V_b > 0:
        raise ValueError(f"need alpha in (0, 1] and V_b > 0, got {alpha}, {V_b}")
    iota = math.log(S * A * H * K / delta)
    return H**3 * S * math.sqrt(A * K) * iota * (1 + H / (alpha * V_b))
