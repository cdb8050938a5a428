r"""StepMix and EpsMix: conservative exploration under episode-wise constraints.

D. Li, R. Huang, C. Shen, J. Yang, *Near-optimal Conservative Exploration in
Reinforcement Learning under Episode-wise Constraints*, ICML 2023 ([1]_).
docs/theory/stepmix.md states what is reconstructed and why. Provenance
tags: [V] verified from a retrievable source (the abstract), [R]
reconstructed, [D] our design (holds for this code whatever the paper says).

Setting [V tabular episodic; R details]. A known safe baseline
:math:`\pi_b` with value :math:`V_b = V^{\pi_b}_1(s_1)`; with probability at
least :math:`1-\delta`, every episode's (expected, for randomised policies)
value must satisfy

.. math::

    \forall k \le K:\quad V^{\pi_k}_1(s_1) \ge (1-\alpha) V_b .

Shared machinery [D]. Counts are pooled over steps (the true kernel
is time-homogeneous, as in :class:`~theoryrl.agents.ucbvi.UCBVI`). On the L1
event of Weissman et al. (2003), which has probability at least
:math:`1-\delta` with :math:`\iota = \ln(SAHK/\delta)`,

.. math::

    \|\hat P_{s,a} - P_{s,a}\|_1 \le \varepsilon(n) = \sqrt{2 (S\ln 2 + \iota)/n}
    \quad\text{for every } (s, a) \text{ and every count } n \ge 1,

so :math:`|(\hat P - P) V| \le \tfrac12 \mathrm{span}(V)\, \varepsilon(n)` for
*every* V, data-dependent ones included (we use the span of the
vector being propagated instead of its a-priori range :math:`H-h`, which is
tighter and equally valid [D]). ``bonus="bernstein"`` adds the entrywise
empirical-Bernstein radius (Maurer & Pontil 2009) with
:math:`\iota' = \ln(4 S^2 A H K / \delta)` and uses the smaller of the two
widths, each event at :math:`\delta/2`. ``anytime=True`` replaces
:math:`\iota` by :math:`\ln(S A H n (n+1)/\delta)` (no K needed for safety).

* ``OPT-PLAN``: UCBVI's compiled optimistic planner
  (``optimistic_bonus``; ``"l1"`` shares the event above).
* ``PES-EVAL(pi)`` (Lemma 2.1 [D]):
  :math:`\underline Q_h = r_h + \max(0, \hat P \underline V_{h+1} - \beta)`
  (:math:`r_h` when :math:`n = 0`), :math:`\underline V_h = \pi_h \underline Q_h`;
  on the event, :math:`\underline V^\pi \le V^\pi` for every Markov policy.
* Per-episode certificate [D]: :math:`V^* - V^{\pi_k} \le
  \bar V_1(s_1) - LB_k`; ``info()`` reports both sides.

EpsMix [R mechanism, D constants]: play :math:`\pi^k` with
probability :math:`\rho_k` and :math:`\pi_b` otherwise, :math:`\rho_k = 1` if
:math:`L_k \ge (1-\alpha)V_b`, else :math:`\rho_k = \alpha V_b / (V_b - L_k)`
: the largest weight whose certified mixture value
:math:`\rho L_k + (1-\rho) V_b` reaches the threshold.

StepMix [R low confidence in the exact family; D safety]: the Markov
policy :math:`\mu^{(t)}` that switches between :math:`\pi_b` and
:math:`\pi^k` at one step, with a fractional action mixture at that step;
its value is affine between knots (Lemma 4.1), so the certified bound is
the interpolation of the knot bounds and :math:`t_k` is the largest
feasible t (``select="max_t"``) or the feasible t with the largest
optimistic value (``"max_ub"``).

References
----------
.. [1] D. Li, R. Huang, C. Shen, J. Yang, "Near-optimal Conservative
   Exploration in Reinforcement Learning under Episode-wise Constraints",
   ICML 2023, PMLR 202, arXiv:2306.06265.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .._validation import check_choice, check_int, check_open_unit, check_positive
from ..models.tabular import MDPSpec, check_policy
from . import _stepmix_kernels as _k
from . import _ucbvi_kernels as _uk
from .base import Agent, Mixture, Trajectory

__all__ = [
    "EpsMix", "StepMix", "OfflineDataset", "offline_certificate", "from_offline",
    "behaviour_cloning", "constraint_violations", "certificate_failures",
    "regret_order", "conservative_episodes_order", "regret_bound_epsmix",
    "regret_bound_stepmix", "offline_dataset_size_order", "safety_log_factors",
]

_OPT_KINDS = {"hoeffding": _uk.HOEFFDING, "bernstein": _uk.BERNSTEIN, "l1": _uk.L1}
_PES_KINDS = {"l1": _k.L1, "bernstein": _k.BERNSTEIN}
_SAFE = 1e-12  # slack in the safe direction only


def safety_log_factors(bonus: str, S: int, A: int, H: int, K: int,
                       delta: float) -> tuple[float, float]:
    r"""``(iota, iota')`` of the L1 and Bernstein events (module docstring):
    :math:`\iota = \ln(SAHK/\delta_1)`, :math:`\iota' = \ln(4 S^2 A H K / \delta_2)`,
    with :math:`\delta_1 = \delta`
    for ``"l1"`` and :math:`\delta_1 = \delta_2 = \delta/2` for ``"bernstein"``."""
    check_choice(bonus, "bonus", _PES_KINDS)
    d = delta if bonus == "l1" else delta / 2
    return math.log(S * A * H * K / d), math.log(4 * S * S * A * H * K / d)


_BASE_PARAMETERS = r"""spec : MDPSpec
    ``mdp.spec`` of an episodic MDP with a time-homogeneous kernel.
episodes : int
    Number of episodes K.
baseline : array_like
    The safe policy :math:`\pi_b`, (H, S) int or (H, S, A) float.
alpha : float
    Allowed relative loss in (0, 1].
delta : float
    Failure probability in (0, 1).
baseline_value : float, optional
    :math:`V_b` if known; None: bounded from data."""

_WIDTH_PARAMETERS = r"""bonus : {"l1", "bernstein"}
    Width of the pessimistic evaluation.
bonus_scale : float
    Multiplies every width and bonus (1 by default).
optimistic_bonus : {"l1", "hoeffding", "bernstein"}
    UCBVI bonus of the optimistic planner.
anytime : bool
    Anytime log factor in the widths."""

_PARAMETER_BLOCKS = {"{base_parameters}": _BASE_PARAMETERS,
                     "{width_parameters}": _WIDTH_PARAMETERS}


def _document_parameters(cls: type) -> type:
    """Class decorator: each docstring line ``{base_parameters}`` or
    ``{width_parameters}`` becomes the numpydoc entries of the constructor
    parameters shared by the conservative learners (one text for all of them),
    at that line's indentation."""
    out = []
    for line in (cls.__doc__ or "").split("\n"):
        block = _PARAMETER_BLOCKS.get(line.strip())
        if block is None:
            out.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        out += [indent + b if b else b for b in block.split("\n")]
    cls.__doc__ = "\n".join(out)
    return cls


class _Conservative(Agent):
    """Counts, widths, OPT-PLAN and PES-EVAL shared by every conservative agent.

    Subclasses implement ``_choose()``, which sets ``self._plan_out`` (the
    episode's policy or :class:`Mixture`) and ``self._last`` (diagnostics).
    """

    name = "conservative"

    def __init__(self, spec: MDPSpec, episodes: int, baseline: Any = None, alpha: float = 0.1,
                 delta: float = 0.05, baseline_value: float | None = None,
                 bonus: str = "l1", bonus_scale: float = 1.0, optimistic_bonus: str = "l1",
                 anytime: bool = False) -> None:
        super().__init__(spec)
        if spec.horizon is None:
            raise ValueError(f"spec must be episodic (horizon=H) for {type(self).__name__}")
        S, A, H = spec.n_states, spec.n_actions, spec.horizon
        self.episodes = check_int(episodes, "episodes", 1)
        if baseline is None:
            raise ValueError("baseline is required: an (H, S) int or (H, S, A) float policy "
                             "(e.g. theoryrl.envs.conservative_trap_baseline(mdp))")
        pib = check_policy(baseline, S, A, H, name="baseline")
        self._pib = pib
        self._pib_f = _as_float_policy(pib, A)
        self._pib_act = np.empty((H, S), dtype=np.int64)  # one-hot rows' actions, else -1
        _k.one_hot_actions(self._pib_f, self._pib_act)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)):
            raise TypeError(f"alpha must be a real number, got {type(alpha).__name__}")
        self.alpha = float(alpha)
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {self.alpha}")
        self.delta = check_open_unit(delta, "delta")
        if baseline_value is not None:
            bv = check_positive(baseline_value, "baseline_value", allow_zero=True)
            if bv > H:
                raise ValueError(f"baseline_value must be in [0, H={H}], got {bv}")
            baseline_value = bv
        self.baseline_value = baseline_value
        check_choice(bonus, "bonus", _PES_KINDS)
        check_choice(optimistic_bonus, "optimistic_bonus", _OPT_KINDS)
        self.bonus = bonus
        self.optimistic_bonus = optimistic_bonus
        self.bonus_scale = check_positive(bonus_scale, "bonus_scale", allow_zero=True)
        self.anytime = bool(anytime)
        self._R = np.ascontiguousarray(spec.R if spec.R.ndim == 3 else spec.R[None])
        self._init = np.ascontiguousarray(spec.init, dtype=np.float64)
        self._offline: _OfflineState | None = None
        self._set_logs(self.episodes)

    def _set_logs(self, K_log: int) -> None:
        S, A, H = self.spec.n_states, self.spec.n_actions, self.spec.horizon
        self._iota, self._iota_eb = safety_log_factors(self.bonus, S, A, H, K_log, self.delta)
        d = self.delta if self.bonus == "l1" else self.delta / 2
        self._log_sah = math.log(S * A * H / d)
        self._log_sah_eb = math.log(4 * S * S * A * H / d)
        # optimistic bonus: "l1" shares the L1 event (same log factor); CH/BF their own
        self._L = self._iota if self.optimistic_bonus == "l1" else math.log(
            5 * S * A * K_log * H / self.delta)

    # -- state ----------------------------------------------------------------
    def reset(self, rng: np.random.Generator) -> None:
        S, A, H = self.spec.n_states, self.spec.n_actions, self.spec.horizon
        self._rng = rng
        self._N = np.zeros((S, A, S))
        self._NT = np.zeros((S, S * A))  # NT[t, s * A + a] = N[s, a, t]: SIMD planning
        self._n = np.zeros((S, A), dtype=np.int64)
        self._nstate = np.zeros((H + 1, S))
        self._nxt = np.zeros((S, A, S), dtype=np.int64)
        self._nnz = np.zeros((S, A), dtype=np.int64)
        self._eps = np.full((S, A), np.inf)
        self._w = np.full((S, A, S), np.inf)
        self._w0 = np.full((S, A), np.inf)
        self._Vbar = np.zeros((H + 1, S))
        self._Qbar = np.empty((H, S, A))
        self._pik = np.empty((H, S), dtype=np.int64)
        self._pik_f = np.zeros((H, S, A))  # its one-hot float form (_pik_float)
        self._bon = np.empty((H, S, A))
        self._Vpes = np.zeros((H + 1, S))
        self._fresh = False
        self._plan_out: np.ndarray | Mixture | None = None
        self._last: dict[str, float] = {}
        if self._offline is not None:
            for s, a in zip(self._offline.states, self._offline.actions):
                self._add(s, a)

    def _add(self, states: np.ndarray, actions: np.ndarray) -> None:
        _uk.add_episode_t(self._N, self._NT, self._n, self._nstate, states, actions)
        _k.refresh_widths(self._N, self._n, self._nxt, self._nnz, states, actions, self._eps,
                          self._w, self._w0, self.spec.n_states * math.log(2.0), self._iota,
                          self._iota_eb, self.anytime, self._log_sah, self._log_sah_eb)

    def _opt_plan(self) -> float:
        """OPT-PLAN: fills ``self._pik`` (H, S); returns ``init @ V_bar_0``."""
        _uk.optimistic_plan_t(self._N, self._NT, self._n, self._nstate, self._R,
                              self.spec.horizon, self._L, _OPT_KINDS[self.optimistic_bonus],
                              self.bonus_scale, True, self._Vbar, self._Qbar, self._pik,
                              self._bon)
        return float(self._init @ self._Vbar[0])

    def evaluate_bound(self, policy: np.ndarray, pessimistic: bool = True) -> np.ndarray:
        r"""``PES-EVAL`` or ``OPT-EVAL`` of a Markov policy on the current
        counts: :math:`\underline V^\pi` (or :math:`\bar V^\pi`), shape (H+1, S)."""
        H = self.spec.horizon
        pi = policy if (isinstance(policy, np.ndarray) and policy.dtype == np.float64
                        and policy.ndim == 3) else _as_float_policy(
            check_policy(policy, self.spec.n_states, self.spec.n_actions, H), self.spec.n_actions)
        V = np.zeros((H + 1, self.spec.n_states))
        _k.evaluate_bound(self._N, self._n, self._nxt, self._nnz, self._R, pi, self._eps,
                          self._w, self._w0, _PES_KINDS[self.bonus], self.bonus_scale,
                          -1 if pessimistic else 1, 0, H, V)
        return V

    def _pik_float(self) -> np.ndarray:
        """The one-hot (H, S, A) form of ``self._pik`` (a buffer refilled per call)."""
        _k.one_hot_fill(self._pik, self._pik_f)
        return self._pik_f

    def _bound0(self, pi_f: np.ndarray, pessimistic: bool, act: np.ndarray) -> float:
        """``init @ PES-EVAL(pi_f)_0`` (``OPT-EVAL`` if not ``pessimistic``); ``act`` is
        :func:`~._stepmix_kernels.one_hot_actions` of ``pi_f`` (for a deterministic
        policy, its action table)."""
        V = self._Vpes
        V[self.spec.horizon] = 0.0
        _k.evaluate_bound_act(self._N, self._n, self._nxt, self._nnz, self._R, pi_f, act,
                              self._eps, self._w, self._w0, _PES_KINDS[self.bonus],
                              self.bonus_scale, -1 if pessimistic else 1, 0,
                              self.spec.horizon, V)
        return float(self._init @ V[0])

    def _baseline_bounds(self) -> tuple[float, float]:
        """(certified lower, upper) bound on the baseline's value ``V_b``."""
        if self.baseline_value is not None:
            return self.baseline_value, self.baseline_value
        lo = self._bound0(self._pib_f, True, self._pib_act)
        if self._offline is not None:
            lo = max(lo, self._offline.floor)  # the certificate of the dataset stays valid
        return lo, self._bound0(self._pib_f, False, self._pib_act)

    def threshold(self) -> float:
        """The constraint's threshold :math:`(1-\\alpha) V_b` (known value), the
        offline threshold :math:`(1-\\alpha) U_\\beta`, or NaN when ``V_b`` is unknown."""
        if self._offline is not None:
            return self._offline.threshold
        if self.baseline_value is None:
            return float("nan")
        return (1.0 - self.alpha) * self.baseline_value

    # -- contract ---------------------------------------------------------------
    def policy(self) -> np.ndarray | Mixture:
        if not self._fresh:
            self._choose()
            self._fresh = True
        return self._plan_out

    def update(self, traj: Trajectory) -> None:
        self._last["played_optimistic"] = self._played(traj)
        self._add(np.ascontiguousarray(traj.states, dtype=np.int64),
                  np.ascontiguousarray(traj.actions, dtype=np.int64))
        self._fresh = False

    def _played(self, traj: Trajectory) -> float:
        return float("nan")

    def info(self) -> dict[str, float]:
        return dict(self._last)

    def _choose(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _as_float_policy(pi: np.ndarray, A: int) -> np.ndarray:
    if pi.ndim == 3:
        return np.ascontiguousarray(pi, dtype=np.float64)
    return np.ascontiguousarray(np.eye(A)[pi])


class EpsMix(_Conservative):
    r"""EpsMix [V existence, R mechanism]: an episode-level randomised mixture
    of the optimistic policy and the baseline.

    Each episode: :math:`\pi^k` = OPT-PLAN, :math:`L_k` =
    PES-EVAL(:math:`\pi^k`)\ :math:`_1(s_1)`, and

    .. math::

        \rho_k = 1 \text{ if } L_k \ge (1-\alpha)V_b, \qquad
        \rho_k = \frac{\alpha V_b}{V_b - L_k} \text{ otherwise},

    the largest :math:`\rho` with :math:`\rho L_k + (1-\rho) V_b \ge (1-\alpha)V_b`
    [D]. :meth:`policy` returns the :class:`~theoryrl.agents.base.Mixture`
    ``((1 - rho, pi_b), (rho, pi^k))`` (a plain policy when ``rho`` is 0 or 1),
    so the driver records the mixture's exact value
    :math:`\rho V^{\pi^k} + (1-\rho)V_b` and the realised component.

    Unknown :math:`V_b` (``baseline_value=None``, [D, package
    extension]): with :math:`U^b` = OPT-EVAL, :math:`L^b` = PES-EVAL of
    :math:`\pi_b`, :math:`\rho_k = \min(1, \alpha L^b / (U^b - L_k))`.

    Parameters
    ----------
    spec : MDPSpec
        ``mdp.spec`` of an episodic MDP with a time-homogeneous kernel.
    episodes : int
        K (sets the log factors; see ``anytime``).
    baseline : array_like
        The safe policy :math:`\pi_b`, (H, S) int or (H, S, A) float (required).
    alpha : float
        Allowed relative loss in (0, 1]; ``alpha = 1`` (threshold 0) is exactly
        the underlying UCBVI (check C3).
    delta : float
        Total failure probability of the safety guarantee, in (0, 1).
    baseline_value : float, optional
        :math:`V_b` in [0, H] if known (default mode of the paper [R]); None:
        unknown, bounded from data.
    bonus : {"l1", "bernstein"}
        Width of the pessimistic evaluation (both guarantee-carrying).
    bonus_scale : float
        Multiplies every width and bonus; 1 by default. Any value below 1 voids
        the guarantees (broken variants of the tests only).
    optimistic_bonus : {"l1", "hoeffding", "bernstein"}
        UCBVI bonus of OPT-PLAN; safety never depends on it.
    anytime : bool
        Anytime log factor :math:`\ln(SAHn(n+1)/\delta)` in the widths.

    Examples
    --------
    >>> from theoryrl.envs import conservative_trap, conservative_trap_baseline
    >>> mdp = conservative_trap()
    >>> pib = conservative_trap_baseline(mdp)
    >>> agent = EpsMix(mdp.spec, episodes=10, baseline=pib, alpha=0.1,
    ...                baseline_value=mdp.initial_value(pib))
    """

    name = "EpsMix"

    def _choose(self) -> None:
        ub = self._opt_plan()
        Lk = self._bound0(self._pik_float(), True, self._pik)
        lo, hi = self._baseline_bounds()
        a = self.alpha
        if self._offline is not None:
            thr = self._offline.threshold
            ok, num, den = Lk >= thr, lo - thr, lo - Lk
        elif self.baseline_value is not None:
            thr = (1.0 - a) * lo
            ok, num, den = Lk >= thr, a * lo, lo - Lk
        else:
            thr = float("nan")
            ok, num, den = hi - Lk <= a * lo, a * lo, hi - Lk
        if ok:
            rho = 1.0
        else:
            rho = min(1.0, max(0.0, num / den)) * (1.0 - _SAFE) if den > 0 else 0.0
        self._rho = rho
        if rho >= 1.0:
            self._plan_out = self._pik.copy()
        elif rho <= 0.0:
            self._plan_out = self._pib
        else:
            self._plan_out = Mixture(np.array([1.0 - rho, rho]), (self._pib, self._pik.copy()))
        self._last = {"rho": rho, "pessimistic_value": Lk, "optimistic_value": ub,
                      "lower_bound": rho * Lk + (1.0 - rho) * lo,
                      "baseline_lower": lo, "threshold": thr, "conservative": float(rho < 1.0)}

    def _played(self, traj: Trajectory) -> float:
        if self._rho >= 1.0:
            return 1.0
        if self._rho <= 0.0:
            return 0.0
        return float(traj.component == 1)


@_document_parameters
class StepMix(_Conservative):
    r"""StepMix [V existence; R family, low confidence; D safety]: a Markov policy
    that switches between :math:`\pi_b` and :math:`\pi^k` at one step.

    ``order="baseline_first"``: :math:`\mu^{(j)}` follows :math:`\pi_b` at steps
    :math:`1..H-j` and :math:`\pi^k` after; :math:`\mu^{(t)}`, :math:`t = j + f`,
    mixes :math:`f\pi^k + (1-f)\pi_b` at step :math:`H-j`.
    ``order="optimistic_first"``: :math:`\pi^k` at :math:`1..j`, :math:`\pi_b` after,
    mixing at step :math:`j+1`. By Lemma 4.1 [D],
    :math:`V^{\mu^{(t)}} = (1-f) V^{\mu^{(j)}} + f V^{\mu^{(j+1)}}`, so

    .. math::

        LB(t) = (1-f)\,LB(j) + f\,LB(j+1), \qquad LB(0) = V_b,\quad
        LB(j) = \text{PES-EVAL}(\mu^{(j)})_1(s_1),

    is a certified lower bound. ``select="max_t"``: :math:`t_k = \max\{t: LB(t) \ge
    (1-\alpha)V_b\}`; ``"max_ub"``: the feasible t maximising the
    interpolated OPT-EVAL bound. The played policy is an ordinary (H, S, A)
    array (the int (H, S) :math:`\pi^k` when :math:`t_k = H`).

    Unknown :math:`V_b` [D]: :math:`LB(0) = L^b` (PES-EVAL of :math:`\pi_b`) and the
    target :math:`(1-\alpha)U^b`; when even :math:`LB(0)` misses it, the
    baseline itself is played (safe: its true value is :math:`V_b`).

    Parameters
    ----------
    {base_parameters}
    {width_parameters}
    order : {"baseline_first", "optimistic_first"}
        Which policy comes first in the switching family.
    select : {"max_t", "max_ub"}
        Selection rule among the certified mixtures.
    """

    name = "StepMix"

    def __init__(self, spec: MDPSpec, episodes: int, baseline: Any = None, alpha: float = 0.1,
                 delta: float = 0.05, baseline_value: float | None = None,
                 bonus: str = "l1", bonus_scale: float = 1.0, optimistic_bonus: str = "l1",
                 anytime: bool = False, order: str = "baseline_first",
                 select: str = "max_t") -> None:
        super().__init__(spec, episodes, baseline, alpha, delta, baseline_value, bonus,
                         bonus_scale, optimistic_bonus, anytime)
        check_choice(order, "order", ("baseline_first", "optimistic_first"))
        check_choice(select, "select", ("max_t", "max_ub"))
        self.order = order
        self.select = select

    def reset(self, rng: np.random.Generator) -> None:
        super().reset(rng)
        H = self.spec.horizon
        self._lb = np.full(H + 1, np.nan)
        self._ubk = np.full(H + 1, np.nan)
        self._Vsh = np.zeros((H + 1, self.spec.n_states))
        self._W = np.zeros((2, self.spec.n_states, H))  # knot-block workspace
        self._col = np.zeros((6, H))

    def _knots(self, pik_f: np.ndarray, sign: int, thr: float, stop: bool,
               out: np.ndarray) -> int:
        return _k.stepmix_knots(self._N, self._n, self._nxt, self._nnz, self._R, pik_f,
                                self._pib_f, self._pik, self._pib_act, self._eps, self._w,
                                self._w0,
                                _PES_KINDS[self.bonus], self.bonus_scale, sign, self._init,
                                0 if self.order == "baseline_first" else 1, thr, stop,
                                self._Vsh, self._W, self._col, out)

    def _choose(self) -> None:
        H = self.spec.horizon
        ub = self._opt_plan()
        pik_f = self._pik_float()
        lo, hi = self._baseline_bounds()
        if self._offline is not None:
            thr = self._offline.threshold
        elif self.baseline_value is not None:
            thr = (1.0 - self.alpha) * lo
        else:
            thr = (1.0 - self.alpha) * hi
        lb = self._lb
        lb[:] = np.nan
        lb[0] = lo
        if lo < thr:
            t, lbt = 0.0, lo
        elif self.select == "max_t":
            self._knots(pik_f, -1, thr, True, lb)
            t, lbt = _select_max_t(lb, thr)
        else:
            self._knots(pik_f, -1, thr, False, lb)
            ubk = self._ubk
            ubk[0] = hi
            self._knots(pik_f, 1, thr, False, ubk)
            t, lbt = _select_max_ub(lb, ubk, thr)
        self._t = t
        self._plan_out = self._build(t, pik_f)
        self._last = {"t": t, "lower_bound": lbt, "optimistic_value": ub,
                      "pessimistic_value": float(lb[H]), "baseline_lower": lo,
                      "threshold": thr if self.baseline_value is not None or self._offline
                      is not None else float("nan"), "conservative": float(t < H)}

    def _build(self, t: float, pik_f: np.ndarray) -> np.ndarray:
        """The (H, S, A) policy :math:`\\mu^{(t)}` (or :math:`\\nu^{(t)}`)."""
        H = self.spec.horizon
        if t >= H:
            return self._pik.copy()
        j = int(math.floor(t))
        f = t - j
        mu = np.empty_like(self._pib_f)
        if self.order == "baseline_first":  # pi_b, mixing step H - j - 1 (0-indexed), pi^k
            _k.build_switching(self._pib_f, pik_f, H - j - 1, f, 0, mu)
        else:  # pi^k, mixing step j, pi_b
            _k.build_switching(self._pib_f, pik_f, j, f, 1, mu)
        return mu


def _select_max_t(lb: np.ndarray, thr: float) -> tuple[float, float]:
    """``t = max{t : LB(t) >= thr}`` on the piecewise-linear interpolation of the
    knots ``lb[0..H]`` (NaN knots were not needed: the kernel stopped at j*)."""
    H = lb.shape[0] - 1
    feas = np.flatnonzero(lb >= thr)  # NaN compares False
    js = int(feas.max())
    if js == H:
        return float(H), float(lb[H])
    lo_, hi_ = lb[js], lb[js + 1]  # hi_ < thr <= lo_
    f = min(1.0, max(0.0, (lo_ - thr) / (lo_ - hi_))) * (1.0 - _SAFE)
    return js + f, float((1.0 - f) * lo_ + f * hi_)


def _select_max_ub(lb: np.ndarray, ub: np.ndarray, thr: float) -> tuple[float, float]:
    """The feasible t (knots with ``lb >= thr`` and segment crossings) maximising the
    interpolated optimistic bound ``ub`` (``select="max_ub"``)."""
    H = lb.shape[0] - 1
    best_t, best_u, best_l = 0.0, ub[0], lb[0]
    for j in range(H + 1):
        cands = []
        if lb[j] >= thr:
            cands.append((float(j), 0.0))
        if j < H and (lb[j] >= thr) != (lb[j + 1] >= thr):
            f = (lb[j] - thr) / (lb[j] - lb[j + 1])
            f = min(1.0, max(0.0, f))
            f = f * (1.0 - _SAFE) if lb[j] >= thr else 1.0 - (1.0 - f) * (1.0 - _SAFE)
            cands.append((j + f, f))
        for t, f in cands:
            jj = int(math.floor(t))
            u = ub[jj] if f == 0.0 else (1 - f) * ub[jj] + f * ub[jj + 1]
            lv = lb[jj] if f == 0.0 else (1 - f) * lb[jj] + f * lb[jj + 1]
            if lv >= thr and u > best_u + 1e-15:
                best_t, best_u, best_l = t, u, lv
    return best_t, float(best_l)


# -- offline baseline ---------------------------------------------------------

class OfflineDataset(NamedTuple):
    """N episodes of a behaviour policy: ``states`` (N, H+1), ``actions`` (N, H),
    ``rewards`` (N, H) int/int/float arrays."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray


class _OfflineState(NamedTuple):
    states: np.ndarray
    actions: np.ndarray
    threshold: float
    floor: float


def _check_dataset(dataset: Any, spec: MDPSpec) -> OfflineDataset:
    try:
        st, ac, rw = (np.asarray(x) for x in dataset)
    except (TypeError, ValueError) as e:
        raise TypeError("dataset must be an OfflineDataset (states, actions, rewards)") from e
    H, S, A = spec.horizon, spec.n_states, spec.n_actions
    if st.ndim != 2 or st.shape[1] != H + 1 or ac.shape != (st.shape[0], H) \
            or rw.shape != ac.shape or st.shape[0] == 0:
        raise ValueError(f"dataset must hold states (N, {H + 1}), actions and rewards (N, {H}) "
                         f"with N >= 1, got {st.shape}, {ac.shape}, {rw.shape}")
    if st.min() < 0 or st.max() >= S:
        raise ValueError(f"dataset.states must be in [0, {S})")
    if ac.min() < 0 or ac.max() >= A:
        raise ValueError(f"dataset.actions must be in [0, {A})")
    if rw.min() < 0 or rw.max() > 1:
        raise ValueError("dataset.rewards must be in [0, 1]")
    return OfflineDataset(np.ascontiguousarray(st, dtype=np.int64),
                          np.ascontiguousarray(ac, dtype=np.int64),
                          np.ascontiguousarray(rw, dtype=np.float64))


def behaviour_cloning(dataset: OfflineDataset, n_states: int, n_actions: int) -> np.ndarray:
    r"""Empirical action frequencies per (h, s) (uniform on unseen (h, s)) [R: which
    learned baseline the paper uses is not known]. Shape (H, S, A)."""
    N, H = dataset.actions.shape
    C = np.zeros((H, n_states, n_actions))
    np.add.at(C, (np.broadcast_to(np.arange(H), (N, H)), dataset.states[:, :H],
                  dataset.actions), 1.0)
    tot = C.sum(axis=2, keepdims=True)
    return np.where(tot > 0, C / np.where(tot > 0, tot, 1.0), 1.0 / n_actions)


def offline_certificate(spec: MDPSpec, dataset: Any, alpha: float = 0.1, delta: float = 0.05,
                        episodes: int = 1, bonus: str = "l1") -> dict[str, float]:
    r"""The dataset-size condition of the offline variant [D], without raising.

    With :math:`N` behaviour episodes, :math:`\delta_1 = \delta/2`:
    :math:`U_\beta = \bar G + H\sqrt{\ln(2/\delta_1)/(2N)}` (Hoeffding on returns
    in [0, H]) bounds :math:`V_\beta` from above; :math:`\hat\pi_b` =
    :func:`behaviour_cloning`; :math:`\hat L_b` = PES-EVAL(:math:`\hat\pi_b`) on the
    dataset's counts at level :math:`\delta/2` with :math:`K + N` episodes in the log.
    The dataset is large enough iff :math:`\hat L_b \ge (1-\alpha) U_\beta`.
    Returns ``dict(N, U_beta, L_b, threshold, certified)``.
    """
    ds = _check_dataset(dataset, spec)
    N, H = ds.actions.shape
    alpha = float(alpha)
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    delta = check_open_unit(delta, "delta")
    K = check_int(episodes, "episodes", 1)
    U = float(ds.rewards.sum(axis=1).mean() + H * math.sqrt(math.log(2 / (delta / 2)) / (2 * N)))
    pib = behaviour_cloning(ds, spec.n_states, spec.n_actions)
    probe = _Conservative(spec, K, pib, alpha, delta / 2, None, bonus)
    probe._set_logs(K + N)
    probe.reset(np.random.default_rng(0))
    for s, a in zip(ds.states, ds.actions):
        probe._add(s, a)
    L = float(probe._init @ probe.evaluate_bound(pib)[0])
    thr = (1 - alpha) * U
    return {"N": N, "U_beta": U, "L_b": L, "threshold": thr, "certified": float(L >= thr)}


def from_offline(spec: MDPSpec, dataset: Any, alpha: float = 0.1, delta: float = 0.05,
                 episodes: int = 1000, learner: type = EpsMix, **kwargs: Any) -> _Conservative:
    r"""A conservative learner whose baseline is learned from an offline dataset
    [V existence; R/D mechanism].

    Certifies the dataset (:func:`offline_certificate`) and raises
    ``ValueError`` naming ``dataset`` when :math:`\hat L_b < (1-\alpha) U_\beta`
    (the "sufficiently large dataset" condition). Otherwise returns
    ``learner(spec, episodes, baseline=pi_hat_b, alpha, delta/2, ...)`` warm-started
    with the dataset's counts, with threshold :math:`(1-\alpha) U_\beta` and
    :math:`LB(0) = \max(\hat L_b, \text{PES-EVAL}(\hat\pi_b))` recomputed each
    episode. Safety [D]: on both events,
    :math:`V^{\pi_k} \ge (1-\alpha) U_\beta \ge (1-\alpha) V_\beta`. The report is
    ``agent.offline_report``.
    """
    rep = offline_certificate(spec, dataset, alpha, delta, episodes, kwargs.get("bonus", "l1"))
    if not rep["certified"]:
        raise ValueError(
            f"dataset: offline dataset too small to certify the baseline: L_b={rep['L_b']:.4g} "
            f"< (1-alpha) U_beta={rep['threshold']:.4g} with N={rep['N']} episodes")
    ds = _check_dataset(dataset, spec)
    pib = behaviour_cloning(ds, spec.n_states, spec.n_actions)
    kwargs.pop("baseline_value", None)
    agent = learner(spec, episodes, baseline=pib, alpha=alpha, delta=delta / 2,
                    baseline_value=None, **kwargs)
    agent._set_logs(episodes + rep["N"])
    agent._offline = _OfflineState(ds.states, ds.actions, rep["threshold"], rep["L_b"])
    agent.offline_report = rep
    agent.name = f"{agent.name}-offline"
    return agent


# -- measurements ------------------------------------------------------------------------

def constraint_violations(values: np.ndarray, baseline_value: float, alpha: float,
                          tol: float = 1e-9) -> np.ndarray:
    r"""Boolean array, True where an episode's exact value is below the threshold:
    ``values < (1 - alpha) * baseline_value - tol``. ``values`` is
    ``Result.values`` (exact values of the played, possibly randomised, policies)."""
    v = np.asarray(values, dtype=float)
    return v < (1.0 - float(alpha)) * float(baseline_value) - tol


def certificate_failures(values: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                         optimal_value: float, tol: float = 1e-9) -> np.ndarray:
    r"""True where the per-episode certificate (module docstring) fails: the certified lower
    bound exceeds the exact value (``lower > values``), the optimistic value is
    below :math:`V^*`, or the regret exceeds ``upper - lower``."""
    v = np.asarray(values, float)
    lo = np.asarray(lower, float)
    up = np.asarray(upper, float)
    return (lo > v + tol) | (up < optimal_value - tol) | (optimal_value - v > up - lo + tol)


# -- bound functions ---------------------------------------------------------------

def _sizes(S, A, H, K, delta):
    for v, n in ((S, "S"), (A, "A"), (H, "H"), (K, "K")):
        check_int(v, n, 1)
    check_open_unit(delta, "delta")


def regret_order(S: int, A: int, H: int, K: int, delta: float) -> float:
    r"""The leading order of the StepMix/EpsMix regret theorems [R], constants unknown:
    :math:`\sqrt{H^3 S A K}\,\ln(SAHK/\delta)` (step-dependent kernels, rewards in
    [0, 1] per step; matches the minimax lower bound up to logs). For scaling
    only (slopes, bounded ratios), never an absolute threshold."""
    _sizes(S, A, H, K, delta)
    return math.sqrt(H**3 * S * A * K) * math.log(S * A * H * K / delta)


def conservative_episodes_order(S: int, A: int, H: int, alpha: float, V_b: float,
                                gap_b: float, delta: float, bonus: str = "l1") -> float:
    r"""Order of the number of conservative episodes of EpsMix [D sketch]:

    .. math::

        |B| = \tilde O\!\Big(\frac{C_w V_b}{\kappa (\kappa + \Delta_b)^2}\Big),
        \qquad \kappa = \alpha V_b,

    :math:`C_w = H^4 S^2 A\,\iota` (L1 widths) or :math:`H^3 S A\,\iota`
    (Bernstein), :math:`\iota = \ln(SAH/\delta)`. Predicts :math:`|B| \propto 1/\alpha`
    for :math:`\kappa \ll \Delta_b` (check C8)."""
    _sizes(S, A, H, 1, delta)
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    if not V_b > 0:
        raise ValueError(f"V_b must be positive, got {V_b}")
    if gap_b < 0:
        raise ValueError(f"gap_b must be >= 0, got {gap_b}")
    iota = math.log(S * A * H / delta)
    Cw = (H**4 * S**2 * A if bonus == "l1" else H**3 * S * A) * iota
    kappa = alpha * V_b
    return Cw * V_b / (kappa * (kappa + gap_b) ** 2)


def regret_bound_epsmix(S: int, A: int, H: int, K: int, delta: float, alpha: float,
                        V_b: float, gap_b: float) -> float:
    r"""EpsMix regret theorem [V "same order as unconstrained"; R/D form]:
    with probability at least :math:`1-\delta`,
    :math:`\mathrm{Reg}(K) \lesssim \sqrt{H^3SAK}\,\iota + \Delta_b\,|B|`,
    :func:`regret_order` plus :math:`\Delta_b` times
    :func:`conservative_episodes_order` (a K-independent overhead). Orders only."""
    return regret_order(S, A, H, K, delta) + gap_b * conservative_episodes_order(
        S, A, H, alpha, V_b, gap_b, delta)


def regret_bound_stepmix(S: int, A: int, H: int, K: int, delta: float, alpha: float,
                         V_b: float, gap_b: float) -> float:
    r"""StepMix main theorem [V near-optimal; R form]: with probability at least
    :math:`1-\delta`, :math:`\mathrm{Reg}(K) \le \tilde O(\sqrt{H^3SAK}) +
    C(H, S, A, \alpha, V_b, \Delta_b)` with C independent of K; we use the same
    order as :func:`regret_bound_epsmix` for C (the paper's C is unknown [?])."""
    return regret_bound_epsmix(S, A, H, K, delta, alpha, V_b, gap_b)


def offline_dataset_size_order(S: int, H: int, alpha: float, V_beta: float, delta: float,
                               d_min: float) -> float:
    r"""Heuristic order of the dataset size the offline variant needs [D]:
    :math:`N_0 \approx H^2 (S + \ln(1/\delta)) / ((\alpha V_\beta)^2 d_{\min})`,
    :math:`d_{\min}` the behaviour policy's smallest visitation probability."""
    if not (alpha > 0 and V_beta > 0 and d_min > 0):
        raise ValueError("alpha, V_beta and d_min must be positive")
    return H**2 * (S + math.log(1 / check_open_unit(delta, "delta"))) / (
        (alpha * V_beta) ** 2 * d_min)

