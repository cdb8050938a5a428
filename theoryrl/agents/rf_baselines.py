r"""Reward-free baselines: UCRL-RFE (linear mixtures), RF-Express and RF-UCRL (tabular).

None of them is horizon-free; they are the comparison points of
HF-UCRL-RFE++ (:mod:`theoryrl.agents.reward_free`).

* :class:`UCRLRFE` -- Zhang, Zhou & Gu, NeurIPS 2021 (dissertation Sec. 2.4,
  Algorithms 1-2, Theorem 2.4.3) [V]: Hoeffding-type, unweighted value-targeted
  regression on the maximally uncertain pseudo-value, values in [0, H].
* :class:`RFExpress` -- Menard et al., ICML 2021 [V: formulas of rlberry's
  reference implementation].
* :class:`RFUCRL` -- Kaufmann et al., ALT 2021 [V: reference code; constants [?]].

Each has a certificate (an upper bound on the suboptimality of the planning
output for every reward of its class, on its confidence event) and a
sample-complexity function.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_int, check_open_unit, check_positive, check_rng
from ..models.tabular import MDPSpec
from . import _rf_tabular_kernels as _rk
from .base import Agent, Trajectory
from .reward_free import check_feature_map

__all__ = ["UCRLRFE", "RFExpress", "RFUCRL", "ucrl_rfe_radius", "ucrl_rfe_practical_radius",
           "ucrl_rfe_sample_complexity", "rf_express_sample_complexity",
           "rf_ucrl_sample_complexity"]


def ucrl_rfe_radius(K: int, d: int, H: int, B: float, delta: float) -> float:
    r"""Theorem 2.4.3 [V]: :math:`\beta = H\sqrt{d\log(3(1 + KH^3B^2)/\delta)} + 1`
    (with :math:`\lambda = B^{-2}`)."""
    return H * math.sqrt(d * math.log(3 * (1 + K * H ** 3 * B ** 2) / delta)) + 1


def ucrl_rfe_practical_radius(K: int, d: int, H: int, B: float, c_beta: float = 1.0) -> float:
    r"""The **practical radius** of UCRL-RFE [D] (used by the ``baselines`` check):
    :math:`\beta = c_\beta H\sqrt{d\log(1 + KH^3B^2)} + 1`.

    Same construction and same scaling semantics as HF-UCRL-RFE++'s practical
    radius (:func:`~theoryrl.agents.reward_free.practical_radius`): the shape of
    the theorem's radius with the confidence term (here :math:`\log(3/\delta)`
    inside the log) dropped, ``c_beta`` multiplying the stochastic part only and
    the prior term :math:`\sqrt\lambda B = 1` (:math:`\lambda = B^{-2}`) kept.
    No probability guarantee: its coverage is measured (proof check
    ``coverage_practical_ucrl_rfe``)."""
    return c_beta * H * math.sqrt(d * math.log(1 + K * H ** 3 * B ** 2)) + 1


def ucrl_rfe_sample_complexity(eps: float, delta: float, d: int, H: int, B: float) -> float:
    r"""Theorem 2.4.3 [V order, constants [?]]: :math:`\tilde O(H^5 d^2\varepsilon^{-2})`;
    returned as :math:`H^5 d^2 \log(3(1+H^3B^2)/\delta)/\varepsilon^2` (order, log factor
    at :math:`K=1`; not horizon-free)."""
    return H ** 5 * d ** 2 * math.log(3 * (1 + H ** 3 * B ** 2) / delta) / eps ** 2


def rf_express_sample_complexity(eps: float, delta: float, S: int, A: int, H: int) -> float:
    r"""RF-Express (Menard et al. 2021, Thm 1) [V order]:
    :math:`\tilde O\big(\frac{SAH^3}{\varepsilon^2}(\log(1/\delta) + S)\big)` episodes for
    rewards :math:`r_h \in [0,1]`; returned without the hidden log factors."""
    return S * A * H ** 3 / eps ** 2 * (math.log(3 * S * A * H / delta) + S)


def rf_ucrl_sample_complexity(eps: float, delta: float, S: int, A: int, H: int) -> float:
    r"""RF-UCRL (Kaufmann et al. 2021) [V order]:
    :math:`\tilde O\big(\frac{SAH^4}{\varepsilon^2}(\log(1/\delta) + S)\big)`."""
    return S * A * H ** 4 / eps ** 2 * (math.log(2 * S * A * H / delta) + S)


def _vertices(S: int) -> np.ndarray:
    return ((np.arange(1, 2 ** S)[:, None] >> np.arange(S)[None, :]) & 1).astype(float)


class UCRLRFE(Agent):
    r"""UCRL-RFE for linear mixture MDPs (Algorithms 1-2 of [1]_, Sec. 2.4) [V].

    Per episode, with :math:`\Sigma = \Sigma_{1,k}` and
    :math:`g(s,a) = \max_{T\subseteq S}\|\psi_{1_T}(s,a)\|_{\Sigma^{-1}}` (a convex
    quadratic over the box is maximised at a vertex, so
    :math:`\max_{f: S\to[0,H-h]}\|\psi_f\| = (H-h)g`):

    * exploration reward (2.4.2): :math:`r^k_h = \min\{1, (2\beta/H)(H-h)g(s,a)\}`;
    * PLAN (Alg. 1): :math:`Q_h = \mathrm{clip}_{[0,H]}(r_h + \langle\psi_{V_{h+1}},\theta_k\rangle
      + \beta\|\psi_{V_{h+1}}\|_{\Sigma^{-1}})`, greedy policy;
    * regression target (2.4.3): :math:`u_h = (H-h)1_{T^*(s_h,a_h)}`, unweighted ridge
      (2.4.4) with :math:`\lambda = B^{-2}`.

    ``h`` is 1-based in the formulas. :meth:`certificate` returns
    :math:`H\cdot V^{K+1}_1(s_1)` (Lemma 2.8.1): no truncation of the sum over
    steps -- the source of its ``H`` dependence.

    Parameters
    ----------
    spec, phi, B, episodes, delta
        As in :class:`~theoryrl.agents.reward_free.HFUCRLRFEpp`.
    beta_mode : {"practical", "theory"}
        ``"theory"``: :math:`\beta = c_\beta H\sqrt{d\log(3(1+KH^3B^2)/\delta)} + 1`
        (Theorem 2.4.3 at ``c_beta=1``); ``"practical"`` (default, as for
        HF-UCRL-RFE++): :func:`ucrl_rfe_practical_radius`.
    c_beta : float
        Multiplies the stochastic part only, in both modes (the prior term ``+1``
        stays) -- the same semantics as ``c_beta`` of
        :class:`~theoryrl.agents.reward_free.HFUCRLRFEpp`.

    References
    ----------
    .. [1] W. Zhang, D. Zhou, Q. Gu, "Reward-free model-based reinforcement
       learning with linear function approximation", NeurIPS 2021.
    """

    name = "ucrl_rfe"

    def __init__(self, spec: MDPSpec, phi, B: float, episodes: int, delta: float = 0.1,
                 c_beta: float = 1.0, beta_mode: str = "practical") -> None:
        super().__init__(spec)
        if spec.horizon is None:
            raise ValueError("spec must be episodic (horizon=H)")
        self._phi = check_feature_map(phi, spec.n_states, spec.n_actions)
        self.B = check_positive(B, "B")
        self.episodes = check_int(episodes, "episodes", 1)
        self.delta = check_open_unit(delta, "delta")
        self.c_beta = check_positive(c_beta, "c_beta")
        self.d = self._phi.shape[3]
        H = spec.horizon
        check_choice(beta_mode, "beta_mode", ("practical", "theory"))
        if beta_mode == "theory":
            self.beta = self.c_beta * (ucrl_rfe_radius(self.episodes, self.d, H, self.B,
                                                       self.delta) - 1) + 1
        else:
            self.beta = ucrl_rfe_practical_radius(self.episodes, self.d, H, self.B, self.c_beta)
        self.beta_mode = beta_mode
        self.lam = self.B ** -2
        self.s1 = int(np.asarray(spec.init).argmax())
        S = spec.n_states
        if S > 14:
            raise ValueError(f"UCRLRFE enumerates 2^S vertices; n_states must be <= 14, got {S}")
        self._verts = _vertices(S)
        self._pv = np.einsum("satd,nt->sand", self._phi, self._verts)

    def reset(self, rng: np.random.Generator) -> None:
        check_rng(rng)
        d = self.d
        self._G = self.lam * np.eye(d)
        self._Ginv = np.eye(d) / self.lam
        self._b = np.zeros(d)
        self._th = np.zeros(d)
        self._plan()

    def _plan(self, R: np.ndarray | None = None) -> None:
        H, S, _A = self.spec.horizon, self.spec.n_states, self.spec.n_actions
        q = np.einsum("sani,ij,sanj->san", self._pv, self._Ginv, self._pv)
        q = np.sqrt(np.maximum(q, 0.0))
        self._g, self._Tstar = q.max(axis=2), q.argmax(axis=2)
        hh = np.arange(H)
        if R is None:
            R = np.minimum(1.0, (2 * self.beta / H) * (H - 1 - hh)[:, None, None] * self._g[None])
        V = np.zeros((H + 1, S))
        pi = np.empty((H, S), dtype=np.int64)
        for h in range(H - 1, -1, -1):
            pv = np.einsum("satd,t->sad", self._phi, V[h + 1])
            bon = np.sqrt(np.maximum(np.einsum("sai,ij,saj->sa", pv, self._Ginv, pv), 0.0))
            Q = np.minimum(np.maximum(R[h] + pv @ self._th + self.beta * bon, 0.0), float(H))
            pi[h] = Q.argmax(axis=1)
            V[h] = Q.max(axis=1)
        self._pi, self._Vexp = pi, V

    def policy(self) -> np.ndarray:
        return self._pi.copy()

    def update(self, traj: Trajectory) -> None:
        H = self.spec.horizon
        verts, Tstar, phi = self._verts, self._Tstar, self._phi
        Ginv, G, b = self._Ginv, self._G, self._b
        states, actions = np.asarray(traj.states).tolist(), np.asarray(traj.actions).tolist()
        for h in range(H):
            s, a, s2 = states[h], actions[h], states[h + 1]
            u = (H - 1 - h) * verts[Tstar[s, a]]
            x = phi[s, a].T @ u
            y = u[s2]
            v = Ginv @ x
            Ginv -= v[:, None] * v / (1.0 + x @ v)  # the outer product, in place
            G += x[:, None] * x
            b += x * y
        self._th = self._Ginv @ self._b
        self._plan()

    def info(self) -> dict[str, float]:
        return {"vexp": float(self._Vexp[0, self.s1])}

    def coverage_ratios(self, theta_star) -> np.ndarray:
        r""":math:`\|\theta_k - \theta^*\|_{\Sigma_{1,k}}/\beta`, shape (1,), for the current
        estimator (the confidence event of Theorem 2.4.3 is ratio <= 1 for all k; the
        same interface as :meth:`HFUCRLRFEpp.coverage_ratios`) -- proof checks only."""
        diff = self._th - np.asarray(theta_star, dtype=float)
        return np.array([math.sqrt(max(float(diff @ self._G @ diff), 0.0)) / self.beta])

    def certificate(self) -> float:
        r""":math:`H\cdot V^{K+1}_1(s_1)` (Lemma 2.8.1) for rewards :math:`r_h\in[0,1]`."""
        return self.spec.horizon * float(self._Vexp[0, self.s1])

    def plan(self, r) -> np.ndarray:
        """Planning phase: PLAN(theta_{K+1}, Sigma, r, beta) for r (H, S, A)."""
        r = np.asarray(r, dtype=float)
        H, S, A = self.spec.horizon, self.spec.n_states, self.spec.n_actions
        if r.shape != (H, S, A) or (r < 0).any() or (r > 1).any():
            raise ValueError(f"r must be (H, S, A) = ({H}, {S}, {A}) in [0, 1], got {r.shape}")
        pi_exp, V_exp = self._pi, self._Vexp
        self._plan(r)
        pi = self._pi
        self._pi, self._Vexp = pi_exp, V_exp
        return pi


class RFExpress(Agent):
    r"""RF-Express (Menard et al., ICML 2021) for tabular episodic MDPs [V: rlberry].

    Stage-dependent counts :math:`n_h(s,a)`, empirical :math:`\hat p_h`,
    :math:`\beta(n,\delta) = \log(3SAH/\delta) + S\log(8e(n+1))` and, from
    :math:`W_{H+1} = 0`,

    .. math::

        W_h(s,a) = \min\Big(H,\; 15 H^2 c\,\beta(n,\delta)/n
        + (1 + 1/H)\sum_{s'}\hat p_h(s'|s,a)\max_b W_{h+1}(s',b)\Big),

    :math:`W_h = H` when :math:`n = 0`; exploration :math:`\pi_h = \arg\max_a W_h`;
    stop when :math:`3e\sqrt{\max_a W_1(s_1,a)} + \max_a W_1(s_1,a) \le \varepsilon/2`.
    ``bonus_scale`` :math:`c` (1 = paper) scales the bonus as in Kaufmann et
    al.'s experiments. ``stage_dependent=False`` pools counts over ``h`` (not
    covered by its theorem).

    Parameters
    ----------
    spec : MDPSpec
        ``mdp.spec`` of an episodic MDP with a point-mass initial state.
    delta : float
        Confidence in (0, 1).
    bonus_scale : float
        Bonus scale :math:`c` (1: the paper's constants).
    stage_dependent : bool
        Counts per stage (the paper) or pooled over stages.
    """

    name = "rf_express"
    _kind = _rk.RF_EXPRESS

    def __init__(self, spec: MDPSpec, delta: float = 0.1, bonus_scale: float = 1.0,
                 stage_dependent: bool = True) -> None:
        super().__init__(spec)
        if spec.horizon is None:
            raise ValueError("spec must be episodic (horizon=H)")
        self.delta = check_open_unit(delta, "delta")
        self.bonus_scale = check_positive(bonus_scale, "bonus_scale")
        self.stage_dependent = bool(stage_dependent)
        self.s1 = int(np.asarray(spec.init).argmax())

    def reset(self, rng: np.random.Generator) -> None:
        check_rng(rng)
        H, S, A = self.spec.horizon, self.spec.n_states, self.spec.n_actions
        Hc = H if self.stage_dependent else 1
        self._N = np.zeros((Hc, S, A, S))
        self._W = np.empty((H + 1, S, A))
        self._recompute()

    def _recompute(self) -> None:
        _rk.exploration_backup(self._N, self.spec.horizon, self._kind, self.bonus_scale,
                               self.delta, self._W)

    def policy(self) -> np.ndarray:
        return np.ascontiguousarray(self._W[:-1].argmax(axis=-1).astype(np.int64))

    def update(self, traj: Trajectory) -> None:
        _rk.add_episode(self._N, np.asarray(traj.states, dtype=np.int64),
                        np.asarray(traj.actions, dtype=np.int64))
        self._recompute()

    def w1(self) -> float:
        """:math:`\\max_a W_1(s_1, a)`."""
        return float(self._W[0, self.s1].max())

    def certificate(self) -> float:
        """:math:`3e\\sqrt{\\max_a W_1} + \\max_a W_1` (stop when at most eps/2)."""
        w = self.w1()
        return 3 * math.e * math.sqrt(w) + w

    def info(self) -> dict[str, float]:
        return {"certificate": self.certificate()}

    def p_hat(self) -> np.ndarray:
        """Empirical kernel (H or 1, S, A, S); unvisited rows uniform."""
        n = self._N.sum(axis=-1, keepdims=True)
        S = self.spec.n_states
        return np.where(n > 0, self._N / np.maximum(n, 1), 1.0 / S)

    def plan(self, r) -> np.ndarray:
        """Exact value iteration in :math:`\\hat p` for r (H, S, A); returns (H, S)."""
        r = np.asarray(r, dtype=float)
        H = self.spec.horizon
        P = self.p_hat()
        pi = np.empty((H, self.spec.n_states), dtype=np.int64)
        V = np.zeros(self.spec.n_states)
        for h in range(H - 1, -1, -1):
            Q = r[h] + P[h % P.shape[0]] @ V
            pi[h] = Q.argmax(axis=1)
            V = Q.max(axis=1)
        return pi


class RFUCRL(RFExpress):
    r"""RF-UCRL (Kaufmann et al., ALT 2021) [V: reference code; constants [?]].

    :math:`\beta(n,\delta) = \log(2SAH/\delta) + (S-1)\log(e(1 + n/(S-1)))`,
    :math:`E_h(s,a) = \min\big(2(H-h+1), (H-h+1)\sqrt{c\,\beta(n,\delta)/n}
    + \sum_{s'}\hat p(s'|s,a)\max_b E_{h+1}(s',b)\big)` (1-based ``h``); stop when
    :math:`\max_a E_1(s_1,a) \le \varepsilon/2`; certificate :math:`\max_a E_1(s_1,a)`.

    Parameters
    ----------
    spec : MDPSpec
        ``mdp.spec`` of an episodic MDP with a point-mass initial state.
    delta : float
        Confidence in (0, 1).
    bonus_scale : float
        Bonus scale :math:`c` (1: the paper's constants).
    stage_dependent : bool
        Counts per stage (the paper) or pooled over stages.
    """

    name = "rf_ucrl"
    _kind = _rk.RF_UCRL

    def certificate(self) -> float:
        return self.w1()
