r"""LOOP -- Local-fitted Optimization with OPtimism (He, Zhong, Yang, ICLR 2024).

**What is implemented: "LOOP with rectangular relaxation"** (LOOP spec Sec. 2.3, 8.1).
The exact LOOP step
:math:`f^k = \arg\max\{J_f : f \in \mathcal B_t,\ \operatorname{sp}(V_f) \le B\}`
is non-convex [D]; we replace the confidence set :math:`\mathcal B_t` by an
:math:`(s,a)`-rectangular superset and solve the relaxed problem by extended
value iteration with SCAL span truncation. Because the superset contains
:math:`\mathcal B_t \ni f^*`, the computed gain stays optimistic
(:math:`\tilde J_k \ge J^* - \varepsilon_k` on :math:`E_{conf}`) [D]; the regret
guarantee the implemented algorithm *inherits* is of UCRL2 / UCRL2-VTR type
(per-pair bonuses), **not** a literal instance of the paper's Theorem 3.

Model-based LOOP with value-targeted regression (spec Sec. 2.6, 2.7):
targets :math:`w^k = V_{f^k}` centred to midrange zero, features
:math:`x_i = \phi_{w^{k(i)}}(s_i, a_i)`, responses :math:`y_i = w^{k(i)}(s_{i+1})`,
:math:`\Lambda_t = \lambda I + \sum_{i<t} x_i x_i^\top`; the ridge excess loss is
exactly :math:`\|\theta - \hat\theta_t\|^2_{\Lambda_t}` [D], so LOOP's model-based
set is the VTR ellipsoid.

* ``model="linear_mixture"``: :math:`P(s'|s,a) = \langle\phi(s'|s,a),\theta^*\rangle`,
  radius (Abbasi-Yadkori et al. 2011, Thm 2; spec Sec. 2.2 [D])
  :math:`\sqrt{\beta_t} = \tfrac B2\sqrt{2\ln(1/\delta) + \ln(\det\Lambda_t/\lambda^d)}
  + \sqrt\lambda\,C_\theta`.
* ``model="tabular"``: :math:`\phi(s'|s,a) = e_{(s,a,s')}`; :math:`\Lambda` is block
  diagonal with :math:`S\times S` blocks :math:`G_{sa}`; per-block radius with a union
  bound over the :math:`SA` blocks,
  :math:`\sqrt{\beta_{sa,t}} = \tfrac B2\sqrt{2\ln(SA/\delta) + \ln(\det G_{sa,t}/\lambda^S)}
  + \sqrt\lambda`.
  ``confidence="l1"`` is the ablation with UCRL2's L1 ball in the same template.

Switching rules (spec Sec. 2.4 [D]; the paper's constant is unverified [R]):
``"loop"`` (tabular default; ``c_sw = 16`` gives the provable bound of
:func:`switch_bound`), ``"det"`` (linear-mixture default), ``"count"`` (UCRL2's rule).
The radius multiplier ``beta_scale`` multiplies :math:`\beta`; any run that claims to
test a theorem uses ``beta_scale = 1``.

References
----------
.. [1] J. He, H. Zhong, Z. Yang, "Sample-efficient Learning of Infinite-horizon
   Average-reward MDPs with General Function Approximation", ICLR 2024, arXiv:2404.12648.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import as_float_array, check_int, check_open_unit, check_positive
from ..planning import _evi_kernels as EK
from ..planning.extended_vi import _run as _evi_run
from ..planning.extended_vi import ellipsoid_args, empty_args
from .average import AverageAgent, RidgeStats, Segment, StepPlan, StopRule

__all__ = ["LOOP", "regret_bound", "switch_bound"]


def regret_bound(d_G: float, kappa_G: float, span: float, T: int, log_cover: float,
                 delta: float, c: float = 1.0) -> float:
    r"""Theorem 3 of [1] (ICLR numbering) [V form, R details]: w.p. :math:`1-O(\delta)`,

    .. math:: \mathrm{Reg}(T) \le c\,\operatorname{sp}(V^*) \max\{\sqrt{d_G}, \kappa_G\}
              \sqrt{T(\log N + \log(T/\delta))},

    with :math:`(d_G, \kappa_G)` the AGEC and :math:`\log N` the log-covering number.
    The absolute constant ``c`` is unknown (not given explicitly in what the spec could
    read); never use this as a pass/fail threshold."""
    width = math.sqrt(T * (log_cover + math.log(T / delta)))
    return c * span * max(math.sqrt(d_G), kappa_G) * width


def switch_bound(rule: str, *, T: int | None = None, S: int | None = None,
                 A: int | None = None, d: int | None = None, lam: float = 1.0,
                 L: float | None = None, logdet_gain: np.ndarray | None = None) -> float:
    r"""Upper bound on the number of plans (epochs) in :math:`T` steps (spec Sec. 2.4 [D]).

    * ``"count"``: :math:`S A \log_2(8T/(SA))` (Jaksch et al. 2010, App. C.2), deterministic.
    * ``"det"``: :math:`1 + \sum_k \log_2(\det G_{k,T}/\lambda^d)` given the run's
      ``logdet_gain`` per block (:math:`\log\det G_{k,T} - d\ln\lambda`), deterministic;
      without it the worst case :math:`1 + n_b d \log_2(1 + T L^2/(n_b d\lambda))`
      (``n_b`` = ``S*A`` blocks of size ``d = S`` for tabular, ``1`` for linear mixture).
    * ``"loop"`` (``c_sw = 16``): the same with :math:`\log_{2.25}` instead of
      :math:`\log_2`, valid on the confidence event :math:`E_{conf}`.
    """
    if rule == "count":
        if T is None or S is None or A is None:
            raise ValueError("rule='count' needs T, S and A")
        return S * A * math.log2(8.0 * T / (S * A))
    if rule not in ("det", "loop"):
        raise ValueError(f"rule must be 'count', 'det' or 'loop', got {rule!r}")
    base = math.log(2.0) if rule == "det" else math.log(2.25)
    if logdet_gain is not None:
        g = np.asarray(logdet_gain, dtype=float)
        return 1.0 + float(np.sum(np.maximum(g, 0.0))) / base
    if T is None or d is None or L is None:
        raise ValueError(f"rule={rule!r} needs logdet_gain, or T, d, L (and S, A for tabular)")
    nb = 1 if S is None else S * A
    n = nb * d
    return 1.0 + n * math.log(1.0 + T * L * L / (n * lam)) / base


class LOOP(AverageAgent):
    """LOOP with rectangular relaxation, tabular or linear mixture (module docstring).

    Parameters
    ----------
    spec : MDPSpec
        Average-reward spec; rewards ``spec.R`` are known unless ``reward="learned"``.
    model : {"tabular", "linear_mixture"}
    span_bound : float
        ``B >= sp(V*)`` (assumption A2 [V]); ``ValueError`` if ``<= 0``.
    delta : float
        Confidence in (0, 1).
    lam : float
        Ridge :math:`\\lambda > 0`.
    switching : {"loop", "det", "count"}, optional
        Default ``"loop"`` (tabular) / ``"det"`` (linear mixture); the accepted
        kinds are the class attribute ``switching_kinds``.
    c_sw : float
        LOOP-test multiplier, ``> 1``.
    span_truncation : bool
        SCAL truncation in EVI. Without it the radius uses
        :math:`B_{eff} = \\max(B, \\max_k \\operatorname{sp}(w^k))` (spec Sec. 2.2).
    reward : {"known", "learned"}
        Learned: UCRL2's Hoeffding bonus, ``delta`` split in halves.
    confidence : {"vtr", "l1"}
        Tabular only: VTR ellipsoids (default) or UCRL2's L1 ball (ablation).
    beta_scale : float
        Multiplies :math:`\\beta` (exploration knob; 1 for theorem checks).
    features : ndarray (S, A, S, d)
        ``phi`` of the linear mixture (required for ``model="linear_mixture"``).
    theta_norm : float
        :math:`C_\\theta \\ge \\|\\theta^*\\|_2` (linear mixture).
    radius : {"span", "diameter"}
        ``"span"``: :math:`B/2`-sub-Gaussian targets (LOOP); ``"diameter"``: :math:`D/2`
        in place of :math:`B/2` (UCRL2-VTR's Hoeffding radius), needs ``diameter``.

    Attributes
    ----------
    switching_kinds : tuple of str
        Class attribute: the switching rules the constructor accepts.
    learn_until : int or None
        Class attribute: regression data after this step are discarded (``None``,
        the algorithm, keeps every step); a subclass may freeze the set.
    """

    name = "LOOP"
    switching_kinds: tuple[str, ...] = ("loop", "det", "count")
    learn_until: int | None = None

    def __init__(self, spec, model: str = "tabular", span_bound: float = 1.0,
                 delta: float = 0.05, lam: float = 1.0, switching: str | None = None,
                 c_sw: float = 16.0, span_truncation: bool = True, reward: str = "known",
                 confidence: str = "vtr", beta_scale: float = 1.0,
                 evi_max_iter: int = 100_000, features=None, theta_norm: float | None = None,
                 radius: str = "span", diameter: float | None = None) -> None:
        super().__init__(spec)
        if model not in ("tabular", "linear_mixture"):
            raise ValueError(f"model must be 'tabular' or 'linear_mixture', got {model!r}")
        self.model = model
        self.span_bound = check_positive(span_bound, "span_bound")
        self.delta = check_open_unit(delta, "delta")
        self.lam = check_positive(lam, "lam")
        if switching is None:
            switching = "loop" if model == "tabular" else "det"
        if switching not in self.switching_kinds:
            raise ValueError(f"switching must be one of {list(self.switching_kinds)}, "
                             f"got {switching!r}")
        if switching in ("loop", "raw") and (model != "tabular" or confidence != "vtr"):
            raise ValueError("switching='loop' needs model='tabular' and confidence='vtr' "
                             "(use 'det' for linear mixtures, spec Sec. 2.4)")
        self.switching = switching
        self.c_sw = check_positive(c_sw, "c_sw")
        if self.c_sw <= 1:
            raise ValueError(f"c_sw must be > 1, got {self.c_sw}")
        self.span_truncation = bool(span_truncation)
        if reward not in ("known", "learned"):
            raise ValueError(f"reward must be 'known' or 'learned', got {reward!r}")
        self.reward = reward
        if confidence not in ("vtr", "l1"):
            raise ValueError(f"confidence must be 'vtr' or 'l1', got {confidence!r}")
        if confidence == "l1" and model != "tabular":
            raise ValueError("confidence='l1' needs model='tabular'")
        self.confidence = confidence
        self.beta_scale = check_positive(beta_scale, "beta_scale", allow_zero=True)
        self.evi_max_iter = check_int(evi_max_iter, "evi_max_iter", 1)
        if radius not in ("span", "diameter"):
            raise ValueError(f"radius must be 'span' or 'diameter', got {radius!r}")
        self.radius = radius
        if radius == "diameter":
            if diameter is None:
                raise ValueError("radius='diameter' needs diameter")
            self.diameter = check_positive(diameter, "diameter")
        else:
            self.diameter = None if diameter is None else check_positive(diameter, "diameter")
        S, A = spec.n_states, spec.n_actions
        if model == "linear_mixture":
            if features is None:
                raise ValueError("features (phi, shape (S, A, S, d)) is required for "
                                 "model='linear_mixture'")
            phi = as_float_array(features, "features")
            if phi.ndim != 4 or phi.shape[:3] != (S, A, S):
                raise ValueError(f"features must have shape ({S}, {A}, {S}, d), got {phi.shape}")
            self._phi = phi
            self._asum = np.ascontiguousarray(phi.sum(axis=2))
            if theta_norm is None:
                raise ValueError("theta_norm (C_theta >= ||theta*||_2) is required for "
                                 "model='linear_mixture'")
            self.theta_norm = check_positive(theta_norm, "theta_norm")
        else:
            if features is not None:
                raise ValueError("features is only for model='linear_mixture'")
            self._phi = None
            self.theta_norm = 1.0  # ||p_sa||_2 <= 1

    # -- bookkeeping ---------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.spec.n_states if self.model == "tabular" else self._phi.shape[3]

    def reset(self, rng: np.random.Generator) -> None:
        S, A = self.spec.n_states, self.spec.n_actions
        if self.model == "tabular":
            block = np.arange(S * A, dtype=np.int64).reshape(S, A)
            self._ridge = RidgeStats.new(block, S * A, S, S, self.lam)
        else:
            self._ridge = RidgeStats.new(np.zeros((S, A), dtype=np.int64), 1, self.dim, S,
                                         self.lam)
        self._N = np.zeros((S, A), dtype=np.int64)
        self._Nsas = np.zeros((S, A, S))
        self._rsum = np.zeros((S, A))
        self._t = 0
        self._u = np.zeros(S)
        self._max_span = 0.0
        self.history = []

    @property
    def ridge(self) -> RidgeStats:
        """The regression statistics (updated in place by the step loop)."""
        return self._ridge

    def true_blocks(self, mdp) -> np.ndarray:
        """True block parameters: ``P[s, a]`` per pair (tabular) or ``theta*`` (nb = 1)."""
        if self.model == "tabular":
            S, A = self.spec.n_states, self.spec.n_actions
            return np.ascontiguousarray(np.asarray(mdp.P).reshape(S * A, S))
        return np.ascontiguousarray(np.asarray(mdp.theta, dtype=float)[None, :])

    def _delta_P(self) -> float:
        return self.delta / 2 if self.reward == "learned" else self.delta

    def beta_coef(self) -> tuple[float, float, float, float]:
        r"""``(c0, c1, c2, c3)`` with
        :math:`\sqrt\beta = c_0\sqrt{c_1 + \log\det G - c_2} + c_3` (no ``beta_scale``)."""
        S, A = self.spec.n_states, self.spec.n_actions
        if self.radius == "diameter":
            half = self.diameter / 2
        else:
            B = self.span_bound if self.span_truncation else max(self.span_bound,
                                                                  self._max_span)
            half = B / 2
        nb = S * A if self.model == "tabular" else 1
        return (half, 2 * math.log(nb / self._delta_P()), self.dim * math.log(self.lam),
                math.sqrt(self.lam) * self.theta_norm)

    def sqrt_beta(self) -> np.ndarray:
        """Current radii per block (nb,), ``beta_scale`` included."""
        c0, c1, c2, c3 = self.beta_coef()
        sq = c0 * np.sqrt(np.maximum(c1 + self._ridge.logdet - c2, 0.0)) + c3
        return math.sqrt(self.beta_scale) * sq

    def _rewards(self, tk: int) -> np.ndarray:
        if self.reward == "known":
            return np.ascontiguousarray(self.spec.R, dtype=np.float64)
        S, A = self.spec.n_states, self.spec.n_actions
        Np = np.maximum(1, self._N)
        bonus = np.sqrt(7 * np.log(2 * S * A * tk / (self.delta / 2)) / (2 * Np))
        return np.minimum(1.0, self._rsum / Np + bonus)

    # -- the agent contract ----------------------------------------------------
    def policy(self) -> StepPlan:
        S, A = self.spec.n_states, self.spec.n_actions
        rd = self._ridge
        tk = self._t + 1
        eps = 1.0 / math.sqrt(tk)
        theta_hat = rd.estimate()
        sb = self.sqrt_beta()
        args = empty_args(S, A)
        if self.model == "linear_mixture":
            kind = EK.ELL_LM
            d = self.dim
            Linv = rd.Ginv[0].copy()
            args.update(phi=self._phi, Linv=Linv)
            args.update(ellipsoid_args(np.broadcast_to(theta_hat[0], (S, A, d)),
                                       np.broadcast_to(Linv, (S, A, d, d)), self._asum,
                                       np.full((S, A), float(sb[0]))))
        elif self.confidence == "vtr":
            kind = EK.ELL_TAB
            Ginv = rd.Ginv.reshape(S, A, S, S).copy()
            args.update(Ginv=Ginv)
            args.update(ellipsoid_args(theta_hat.reshape(S, A, S), Ginv, np.ones((S, A, S)),
                                       sb.reshape(S, A)))
        else:
            kind = EK.L1
            Np = np.maximum(1, self._N)
            args.update(phat=self._Nsas / Np[..., None],
                        radius=np.sqrt(14 * S * np.log(2 * A * tk / self._delta_P()) / Np))
        B = self.span_bound if self.span_truncation else np.inf
        res = _evi_run(kind, self._rewards(tk), self._u, args, B, eps, 0.5,
                       self.evi_max_iter)
        self._u = res.u
        w = res.w
        self._max_span = max(self._max_span, float(w.max() - w.min()))
        # the epoch's regression design: x = phi_w(s, a), y = w(s')
        if self.model == "tabular":
            rd.X[:] = w[None, None, :]
        else:
            rd.X[:] = np.einsum("satd,t->sad", self._phi, w)
        rd.y[:] = w
        logdet0 = rd.logdet.copy()
        rule_kw = dict(ridge=rd, logdet0=logdet0, learn_until=self.learn_until,
                       beta_coef=self.beta_coef(), beta_scale=self.beta_scale, c_sw=self.c_sw)
        ptilde = None
        if self.switching in ("loop", "raw"):
            # optimistic parameter of each block: phat + sqrt(beta) G^{-1} w / ||w||_{G^{-1}}
            Gw = np.einsum("kij,j->ki", rd.Ginv, w)
            nrm = np.sqrt(np.maximum(Gw @ w, 0.0))
            scale = np.divide(sb, nrm, out=np.zeros_like(sb), where=nrm > 0)
            ptilde = theta_hat + scale[:, None] * Gw
            rule = StopRule(self.switching, ptilde=ptilde, **rule_kw)
        elif self.switching == "det":
            rule = StopRule("det", **rule_kw)
        else:
            rule = StopRule("count", nu_limit=np.maximum(1, self._N), **rule_kw)
        self.history.append(dict(tau=tk, gain=res.gain, eps=eps, iterations=res.iterations,
                                 converged=res.converged, pi=res.policy, Q=res.Q, V=res.V,
                                 w=w, sqrt_beta=sb.copy(), theta_hat=theta_hat,
                                 logdet=logdet0, ptilde=ptilde, Ginv=rd.Ginv.copy()))
        return StepPlan(res.policy, rule)

    def update(self, seg: Segment) -> None:
        s, a, s2 = seg.states[:-1], seg.actions, seg.states[1:]
        np.add.at(self._N, (s, a), 1)
        if self.confidence == "l1":
            np.add.at(self._Nsas, (s, a, s2), 1.0)
        if self.reward == "learned":
            np.add.at(self._rsum, (s, a), seg.rewards)
        self._t += len(a)
