r"""HF-UCRL-RFE++: horizon-free reward-free exploration for linear mixture MDPs.

Zhang, Zhang & Gu, *Optimal Horizon-Free Reward-Free Exploration for Linear
Mixture MDPs*, ICML 2023 [1]_. Numbering (Algorithm 4, Algorithm 5 = HOME,
eqs. (2.6.1)-(2.6.8), Theorem 2.6.3, Corollary 2.6.4, Theorem 2.6.8) is that of
the dissertation chapter that presents the paper [2]_; the arXiv numbering is
not mapped.

What is the paper's and what is ours
------------------------------------
The paper's (Algorithm 4 / 5) [V]: time-homogeneous linear mixture, rewards with
total at most 1 (Assumption 2.6.1), ``M`` moment levels, two regression chains
(hat: :math:`\hat V`, tilde: pseudo-value :math:`\tilde V`), uncertainty-weighted
value-targeted ridge regression (2.6.3) with HOME weights, Sherman-Morrison
updates, :math:`\alpha = H^{-1/2}`, :math:`\gamma = d^{-1/4}`, :math:`\lambda = d/B^2`,
the theoretical radius :math:`\beta_k` of Theorem 2.6.3, the exploration
uncertainty (2.6.1) and the truncated optimistic value (2.6.2), and planning by
value iteration in the learned model with no bonus.

Our buildable variant (every deviation labelled [D]; docs/theory/reward_free.md):

* D1 local optimism: :math:`\max_{\theta \in U_k}` replaced by the closed form over
  the level-0 hat ellipsoid, :math:`\langle\phi,\hat\theta_{k,0}\rangle +
  \beta\|\phi\|_{\dot\Sigma^{-1}}` (score uses :math:`3\beta\|\hat\phi\|`).
* D2 the joint argmax over :math:`r \in \mathcal R` restricted to a finite,
  seeded family of rewards in :math:`\mathcal R`; greedy joint DP over
  :math:`\pi`; ties broken on the unclipped score (pitfall P8).
* D3 planning parameter :math:`\tilde\theta_{K+1,0}` (all ``K`` episodes), optionally
  projected (:math:`\dot{\tilde\Sigma}`-norm) onto the valid-kernel polytope.
* D4 radius: ``beta_mode="theory"`` (Theorem 2.6.3, vacuous at any feasible K),
  ``"practical"`` :math:`c_\beta\sqrt{d\eta_k} + \sqrt\lambda B` -- **the
  practical radius, named as such; its coverage is measured in the proof
  checks, not assumed** -- or ``"fixed"``.
* D5 ``M`` overridable (``M=1``: top level only, essentially unweighted).
* D6 an all-reward certificate :math:`C = 2\bar V_1(s_1)` valid on the
  level-0 coverage event (:meth:`HFUCRLRFEpp.certificate`), used as the
  oracle-free stopping statistic (stop when :math:`C \le \varepsilon`).

References
----------
.. [1] J. Zhang, W. Zhang, Q. Gu, "Optimal Horizon-Free Reward-Free Exploration
   for Linear Mixture MDPs", ICML 2023, PMLR 202; arXiv:2303.10165.
.. [2] W. Zhang, "Uncertainty-Aware Unsupervised and Robust Reinforcement
   Learning", UCLA PhD dissertation, 2024, Chapter 2.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import (
    as_float_array,
    check_choice,
    check_in_range,
    check_int,
    check_open_unit,
    check_positive,
    check_rng,
)
from ..models.linear_mixture import max_total_reward
from ..models.tabular import MDPSpec
from . import _reward_free_kernels as _k
from .base import Agent, Trajectory

__all__ = ["HFUCRLRFEpp", "theory_radius", "practical_radius", "n_levels",
           "sample_complexity_bound", "sample_complexity_lower_bound", "upper_bound",
           "default_candidates", "greedy_policies", "check_feature_map"]


# ----------------------------------------------------------------- parameters

def n_levels(K: int, H: int) -> int:
    r"""Number of moment levels :math:`M = \lceil \log_2(7KH) \rceil` (Theorem 2.6.3) [V]."""
    return int(math.ceil(math.log2(7 * K * H)))


def _eta(k, d, H, B):
    # eta_k = log(1 + k H / (alpha^2 d lambda)) = log(1 + k H^2 B^2 / d^2)   (alpha^2 = 1/H)
    return np.log1p(np.asarray(k, dtype=float) * H * H * B * B / (d * d))


def theory_radius(k, d: int, H: int, B: float, delta: float, M: int) -> np.ndarray:
    r"""The paper's radius :math:`\beta_k` (Theorem 2.6.3) [V] (**theoretical radius**).

    .. math::

        \beta_k = 12\sqrt{d\,\eta_k \tau_k} + 30\,\tau_k/\gamma^2 + \sqrt\lambda B,\quad
        \eta_k = \log(1 + kH^2B^2/d^2),\quad
        \tau_k = \log\big(32(\max\{\log(\gamma^2/\alpha), 0\} + 1)k^2H^2/\delta\big),

    with :math:`\gamma = d^{-1/4}`, :math:`\alpha = H^{-1/2}`, :math:`\lambda = d/B^2`
    and the per-level :math:`\delta = \delta'/(4M)` for overall failure
    probability ``delta`` :math:`=\delta'`. The clamp of :math:`\log(\gamma^2/\alpha)`
    at 0 is ours [D] (the raw factor is :math:`\le 0` when :math:`H \le d/e^2`).
    """
    k = np.asarray(k, dtype=float)
    g2 = d ** -0.5
    dl = delta / (4 * M)
    tau = np.log(32 * (max(math.log(g2 * math.sqrt(H)), 0.0) + 1) * k * k * H * H / dl)
    # sqrt(lambda) B = sqrt(d)
    return 12 * np.sqrt(d * _eta(k, d, H, B) * tau) + 30 * tau / g2 + math.sqrt(d)


def practical_radius(k, d: int, H: int, B: float, c_beta: float = 1.0) -> np.ndarray:
    r"""The **practical radius** [D4]: :math:`\beta_k = c_\beta\sqrt{d\,\eta_k} + \sqrt\lambda B`.

    Keeps the prior term :math:`\sqrt\lambda B \ge \|\theta^*\|_{\lambda I}` and the
    :math:`\sqrt{d\eta_k}` shape of Theorem 2.6.3, drops the :math:`\tau_k` and
    :math:`1/\gamma^2` factors. No probability guarantee: its coverage is
    measured (``proofs_checks.reward_free``, check ``coverage``).
    """
    return c_beta * np.sqrt(d * _eta(k, d, H, B)) + math.sqrt(d)


def sample_complexity_bound(eps: float, delta: float, d: int, H: int, B: float,
                            K: int) -> float:
    r"""Eq. (2.6.7) (Corollary 2.6.4) evaluated at budget ``K`` [V, constants [?]].

    .. math::

        m(\varepsilon, \delta') = \frac{16}{\varepsilon^2}\Big(64\max\{8\beta\sqrt{d\iota},
        \sqrt{2\zeta}\} + 120\beta\sqrt{d\iota H\alpha^2}\Big)^2
        + \frac{8}{\varepsilon}\Big(2752\max\{64\beta^2 d\iota, 2\zeta\} + 24\zeta
        + 240 d\iota + 240\beta\gamma^2 d\iota + 120\beta d\iota\sqrt M\Big),

    :math:`\iota = \log(1 + KH/(d\lambda\alpha^2))`, :math:`\zeta = 4\log(4\log(KH)/\delta)`,
    :math:`\beta = \beta_K` (theory). :math:`= \tilde O(d^2\varepsilon^{-2})`: ``H`` only
    inside logs. Documentation only: it is ~1e17 for d=4, H=8, eps=0.1.
    """
    M = n_levels(K, H)
    beta = float(theory_radius(K, d, H, B, delta, M))
    iota = float(_eta(K, d, H, B))
    zeta = 4 * math.log(4 * math.log(K * H) / (delta / (4 * M)))
    g2, Ha2 = d ** -0.5, 1.0
    lead = 64 * max(8 * beta * math.sqrt(d * iota), math.sqrt(2 * zeta)) \
        + 120 * beta * math.sqrt(d * iota * Ha2)
    const = 2752 * max(64 * beta ** 2 * d * iota, 2 * zeta) + 24 * zeta + 240 * d * iota \
        + 240 * beta * g2 * d * iota + 120 * beta * d * iota * math.sqrt(M)
    return 16 / eps ** 2 * lead ** 2 + 8 / eps * const


def upper_bound(K: int, delta: float, d: int, H: int, B: float) -> float:
    r"""Theorem 2.6.3 [V]: w.p. :math:`\ge 1-\delta`, for every :math:`r \in \mathcal R`,
    :math:`V^*_1 - V^{\hat\pi_r}_1 \le \frac{4}{K}\,c_0 + \frac{4}{\sqrt K}\,c_1` with the
    constant block :math:`c_0` and :math:`\sqrt K` coefficient :math:`c_1` of Lemma 2.8.9
    at the theory parameters. Clipped at nothing: values
    above 1 are vacuous (they always are at feasible ``K``)."""
    M = n_levels(K, H)
    beta = float(theory_radius(K, d, H, B, delta, M))
    iota = float(_eta(K, d, H, B))
    zeta = 4 * math.log(4 * math.log(K * H) / (delta / (4 * M)))
    g2 = d ** -0.5
    c0 = 896 * max(64 * beta ** 2 * d * iota, 2 * zeta) + 24 * zeta + 240 * d * iota \
        + 240 * beta * g2 * d * iota + 120 * beta * d * iota * math.sqrt(M) \
        + 24 * math.sqrt(zeta * M * d * iota) + M * d * iota
    c1 = 64 * max(8 * beta * math.sqrt(d * iota), math.sqrt(2 * zeta)) \
        + 120 * beta * math.sqrt(d * iota)
    return 4 * c0 / K + 4 * c1 / math.sqrt(K)


def sample_complexity_lower_bound(eps: float, d: int, c: float = 1.0) -> float:
    r"""Theorem 2.6.8 [V]: :math:`\Omega(d^2\varepsilon^{-2})` episodes (for :math:`B > 1`,
    total reward :math:`\le 1`, on the hard instance of
    :func:`~theoryrl.envs.hard_linear_mixture`). The absolute constant of
    Lemma 2.8.11 is unspecified; ``c`` scales :math:`d^2/\varepsilon^2` (shape only)."""
    return c * d * d / (eps * eps)


# ----------------------------------------------------------------- helpers

def check_feature_map(phi, n_states: int, n_actions: int) -> np.ndarray:
    """Validate a known feature tensor for an agent: (S, A, S, d), finite; a
    stage-dependent (H, S, A, S, d) map is refused (pitfall P12)."""
    phi = as_float_array(phi, "phi")
    if phi.ndim == 5:
        raise ValueError("phi must be time-homogeneous (S, A, S, d); stage-dependent "
                         f"features {phi.shape} break the horizon-free analysis")
    if phi.ndim != 4 or phi.shape[:3] != (n_states, n_actions, n_states):
        raise ValueError(f"phi must have shape ({n_states}, {n_actions}, {n_states}, d), "
                         f"got {phi.shape}")
    return phi


def default_candidates(S: int, A: int, H: int, rng: np.random.Generator, n_rand: int = 2,
                       max_candidates: int | None = 64) -> np.ndarray:
    r"""The reward family :math:`R_{cand} \subset \mathcal R` of D2 [D], shape (C, H, S, A).

    For every nonempty proper subset :math:`T \subset S` (``S <= 6``; else the
    singletons and their complements): the spread reward
    :math:`r_h = 1[s \in T]/H` and the terminal reward :math:`r_H = 1[s \in T]`;
    plus ``n_rand`` spread rewards :math:`g(s, a)/H`, :math:`g \sim U[0,1]^{S\times A}`.
    All have total at most 1 on every trajectory. Truncated to ``max_candidates``.
    """
    if S <= 6:
        masks = [np.array([(i >> j) & 1 for j in range(S)], dtype=float)
                 for i in range(1, 2 ** S - 1)]
    else:
        eye = np.eye(S)
        masks = [eye[i] for i in range(S)] + [1 - eye[i] for i in range(S)]
    out = []
    for T in masks:
        spread = np.broadcast_to(T[None, :, None] / H, (H, S, A)).copy()
        term = np.zeros((H, S, A))
        term[H - 1] = T[:, None]
        out += [spread, term]
    for _ in range(n_rand):
        out.append(np.broadcast_to(rng.random((S, A))[None] / H, (H, S, A)).copy())
    R = np.ascontiguousarray(np.array(out, dtype=np.float64).reshape(-1, H, S, A))
    if max_candidates is not None and R.shape[0] > max_candidates:
        R = R[:max_candidates]
    return R


def greedy_policies(P: np.ndarray, R: np.ndarray, clip: bool = True):
    r"""Backward induction for a batch of rewards in one model, vectorised.

    :math:`Q_h = \mathrm{clip}_{[0,1]}(r_h + P V_{h+1})` (clipping as in the model-θ
    values, [V] ``min{1, .}`` plus [D] the lower clip), greedy policy
    (ties: lowest action). ``P`` (S, A, S) need not be stochastic. ``R``
    (n, H, S, A). Returns ``pi`` (n, H, S) int and ``V`` (n, H+1, S).
    """
    n, H, S, A = R.shape
    V = np.zeros((n, H + 1, S))
    pi = np.empty((n, H, S), dtype=np.int64)
    for h in range(H - 1, -1, -1):
        Q = R[:, h] + np.einsum("sat,nt->nsa", P, V[:, h + 1])
        if clip:
            Q = np.clip(Q, 0.0, 1.0)
        pi[:, h] = Q.argmax(axis=-1)
        V[:, h] = Q.max(axis=-1)
    return pi, V


def _check_rewards(R, H: int, S: int, A: int, support: np.ndarray, s1: int) -> np.ndarray:
    R = as_float_array(R, "r")
    if R.shape == (S, A):
        R = np.broadcast_to(R, (H, S, A))
    if R.shape[-3:] != (H, S, A) or R.ndim not in (3, 4):
        raise ValueError(f"r must be (S, A), (H, S, A) or (n, H, S, A) with "
                         f"(H, S, A) = ({H}, {S}, {A}), got {R.shape}")
    check_in_range(R, "r", 0.0, 1.0)
    R4 = R[None] if R.ndim == 3 else R
    for i in range(R4.shape[0]):
        tot = max_total_reward(R4[i], support, s1)
        if tot > 1 + 1e-9:
            where = f"[{i}]" if R.ndim == 4 else ""
            raise ValueError(f"r{where} has total reward {tot:.6g} > 1 on some trajectory "
                             "(Assumption 2.6.1: total reward at most 1)")
    return np.ascontiguousarray(R4)


def _project_theta(phi: np.ndarray, theta: np.ndarray, G: np.ndarray) -> np.ndarray:
    r""":math:`\arg\min_{\theta' \in \Theta_{valid}} \|\theta' - \theta\|_G` (D3), by SLSQP.

    :math:`\Theta_{valid} = \{\theta: \langle\phi(s'|s,a),\theta\rangle \ge 0,
    \sum_{s'}\langle\phi(s'|s,a),\theta\rangle = 1\}`. Raises ``RuntimeError`` if the
    solver fails (never a silent fallback).
    """
    from scipy.optimize import minimize

    d = phi.shape[-1]
    Fi = phi.reshape(-1, d)
    Fi = Fi[np.abs(Fi).sum(axis=1) > 0]
    Fi = np.unique(Fi, axis=0)
    E = phi.sum(axis=2).reshape(-1, d)
    aug = np.hstack([E, -np.ones((E.shape[0], 1))])
    _, sv, Vt = np.linalg.svd(aug, full_matrices=False)
    W = Vt[sv > 1e-10 * sv[0]]
    P0 = Fi @ theta
    if (P0 >= -1e-12).all() and np.abs(W[:, :d] @ theta + W[:, d]).max() < 1e-10:
        return theta.copy()
    L = np.linalg.cholesky(G + 1e-12 * np.trace(G) / d * np.eye(d))
    scale = 1.0 / max(1.0, float(np.trace(G)) / d)

    def f(x):
        z = L.T @ (x - theta)
        return scale * float(z @ z), scale * 2 * (G @ (x - theta))

    cons = [{"type": "ineq", "fun": lambda x: Fi @ x, "jac": lambda x: Fi},
            {"type": "eq", "fun": lambda x: W[:, :d] @ x + W[:, d], "jac": lambda x: W[:, :d]}]
    res = minimize(f, theta, jac=True, method="SLSQP", constraints=cons,
                   options={"maxiter": 500, "ftol": 1e-14})
    x = res.x
    if (Fi @ x).min() < -1e-7 or np.abs(W[:, :d] @ x + W[:, d]).max() > 1e-7:
        raise RuntimeError(f"projection onto the valid-kernel polytope failed: {res.message}")
    return x


# ----------------------------------------------------------------- the agent

class HFUCRLRFEpp(Agent):
    r"""HF-UCRL-RFE++ (Algorithm 4 with HOME, Algorithm 5, of [1]_), buildable variant.

    Exploration phase (``policy``/``update``, driven episode by episode) and
    planning phase (:meth:`plan`, :meth:`certificate`) for any reward in
    :math:`\mathcal R` handed over afterwards. See the module docstring for
    which parts are the paper's [V] and which are ours [D].

    Per episode :math:`k` (0-based step ``h`` below, chains ``c`` = hat / tilde):

    * selection (D1, D2): for each candidate reward, backward over ``h``,

      .. math::

          u_{k,h}(s,a) = \min\{1, \beta\|\phi_{\tilde V_{h+1}}(s,a)
          \|_{(\dot{\tilde\Sigma}_{k,0})^{-1}}\} \quad (2.6.1),

          \hat V_{k,h}(s) = \min\{1, \max_a [u_{k,h}
          + 3\beta\|\phi_{\hat V_{h+1}}\|_{(\dot{\hat\Sigma}_{k,0})^{-1}}
          + \langle\phi_{\hat V_{h+1}}, \hat\theta_{k,0}\rangle]\}\quad (2.6.2 + D1),

          \tilde V_{k,h}(s) = \mathrm{clip}_{[0,1]}(r_h(s,\pi_h(s))
          + \langle\phi_{\tilde V_{h+1}}, \tilde\theta_{k,0}\rangle);

    * update (lines 8-19): for :math:`m < M` the features :math:`\phi_{V^{2^m}}` and
      targets :math:`V(s_{h+1})^{2^m}`, weights :math:`1/\sigma^2` from HOME, rank-one
      (Sherman-Morrison) updates of :math:`\Sigma^{-1}`, and at the end of the
      episode :math:`\theta_{k+1,m} = \Sigma^{-1}_{k+1,m} b_{k+1,m}` (2.6.3).

    Parameters
    ----------
    spec : MDPSpec
        Episodic spec; ``init`` must be a point mass (fixed :math:`s_1`, Alg. 4 line 6).
    phi : array_like, shape (S, A, S, d)
        Known features (the learner never sees :math:`\theta^*`).
    B : float
        A-priori bound :math:`\|\theta^*\|_2 \le B` (``lambda = d / B**2``).
    episodes : int
        Budget ``K`` (sets ``M`` and :math:`\beta = \beta_K`).
    delta : float
        Overall failure probability :math:`\delta'` (per level :math:`\delta'/(4M)`).
    beta_mode : {"practical", "theory", "fixed"}
        D4; ``"fixed"`` needs ``beta``.
    c_beta : float
        Scale of the practical radius.
    beta : float, optional
        The fixed radius (``beta_mode="fixed"``).
    M : int, optional
        Number of levels (default :math:`\lceil\log_2(7KH)\rceil`).
    anytime : bool
        Use :math:`\beta_k` instead of :math:`\beta_K` inside ``u`` and :math:`\hat V`.
    n_rand, max_candidates : int
        D2 reward family sizes.
    select_form : {"auto", "features", "gram"}
        How the selection kernel evaluates :math:`\|\phi_V\|_{\Sigma^{-1}}`: through
        the features (cost :math:`Sd + d^2`) or through per-(s, a) Gram matrices
        :math:`\Phi_{sa}\Sigma^{-1}\Phi_{sa}^\top` (cost :math:`S^2`); same numbers.
    reinvert_every : int
        Recompute :math:`\Sigma^{-1}` from :math:`\Sigma` every this many episodes (P19).

    Examples
    --------
    >>> from theoryrl.envs.linear_mixture import hard_linear_mixture
    >>> inst = hard_linear_mixture(3, 4, Delta=0.05)
    >>> ag = HFUCRLRFEpp(inst.mdp.spec, inst.phi, inst.B, episodes=10)
    >>> ag.reset(np.random.default_rng(0)); ag.policy().shape
    (4, 3)
    """

    name = "hf_ucrl_rfe_pp"
    # HOME weights (Algorithm 5) and its error bar E_m: both part of the algorithm
    _home_weights = True
    _home_error_bar = True

    def __init__(self, spec: MDPSpec, phi, B: float, episodes: int, delta: float = 0.1,
                 beta_mode: str = "practical", c_beta: float = 1.0, beta: float | None = None,
                 M: int | None = None, anytime: bool = False, n_rand: int = 2,
                 max_candidates: int = 64, reinvert_every: int = 1000,
                 select_form: str = "auto") -> None:
        super().__init__(spec)
        if spec.horizon is None:
            raise ValueError("spec must be episodic (horizon=H)")
        S, A, H = spec.n_states, spec.n_actions, spec.horizon
        self._phi = check_feature_map(phi, S, A)
        init = np.asarray(spec.init)
        if not np.isclose(init.max(), 1.0):
            raise ValueError("spec.init must be a point mass (fixed initial state s_1, "
                             f"Algorithm 4 line 6), got {init}")
        self.s1 = int(init.argmax())
        self.B = check_positive(B, "B")
        self.episodes = check_int(episodes, "episodes", 1)
        self.delta = check_open_unit(delta, "delta")
        check_choice(beta_mode, "beta_mode", ("practical", "theory", "fixed"))
        self.beta_mode = beta_mode
        self.c_beta = check_positive(c_beta, "c_beta")
        check_choice(select_form, "select_form", ("auto", "features", "gram"))
        self.select_form = select_form
        if beta_mode == "fixed":
            if beta is None:
                raise ValueError("beta must be given when beta_mode='fixed'")
            self.beta_fixed = check_positive(beta, "beta")
        else:
            self.beta_fixed = float("nan")
        self.M = n_levels(self.episodes, H) if M is None else check_int(M, "M", 1)
        self.anytime = bool(anytime)
        self.n_rand = check_int(n_rand, "n_rand", 0)
        self.max_candidates = check_int(max_candidates, "max_candidates", 1)
        self.reinvert_every = check_int(reinvert_every, "reinvert_every", 1)
        self.d = self._phi.shape[3]
        self.lam = self.d / self.B ** 2
        self.alpha = H ** -0.5
        self.gamma = self.d ** -0.25
        self._support = np.abs(self._phi).sum(axis=-1) > 0
        # actions with the features of a smaller action score the same: selection skips them
        self._acts = np.zeros((S, A), dtype=np.int64)
        self._n_acts = np.zeros(S, dtype=np.int64)
        _k.distinct_actions(self._phi, self._acts, self._n_acts)

    # -- radii
    def radius(self, k) -> np.ndarray:
        """:math:`\\beta_k` for episode(s) ``k`` (1-based) under ``beta_mode``."""
        H = self.spec.horizon
        if self.beta_mode == "theory":
            b = theory_radius(k, self.d, H, self.B, self.delta, self.M)
        elif self.beta_mode == "practical":
            b = practical_radius(k, self.d, H, self.B, self.c_beta)
        else:
            b = np.full(np.shape(k), self.beta_fixed)
        return b

    # -- exploration phase
    def reset(self, rng: np.random.Generator) -> None:
        check_rng(rng)
        S, A, H, d, M = self.spec.n_states, self.spec.n_actions, self.spec.horizon, self.d, self.M
        self._Rc = default_candidates(S, A, H, rng, self.n_rand, self.max_candidates)
        eye = np.eye(d)
        self._G = np.broadcast_to(self.lam * eye, (2, M, d, d)).copy()
        self._Gdot = self._G.copy()
        self._Srun_inv = np.broadcast_to(eye / self.lam, (2, M, d, d)).copy()
        self._Sdot_inv = self._Srun_inv.copy()
        self._b = np.zeros((2, M, d))
        self._th = np.zeros((2, M, d))
        self._k = 1  # current episode (1-based): frozen quantities are theta_{k,.}
        self._pi = np.zeros((H, S), dtype=np.int64)
        self._pi_work = np.zeros((H, S), dtype=np.int64)
        self._V = np.zeros((2, H + 1, S))
        self._Vh_work = np.zeros((H + 1, S))
        self._Vt_work = np.zeros((H + 1, S))
        self._pt = np.zeros(d)
        self._ph = np.zeros(d)
        self._rec_phi = np.zeros((2, H, M, d))
        self._rec = np.zeros((4, 2, H, M))  # y, sigma^2, Vbar, E
        self._vtmp = np.zeros(S)
        self._tmp = np.zeros(d)
        self._vhat = 1.0
        self._cand = -1
        self._Kmat = None

    def _beta_select(self) -> float:
        return float(self.radius(self._k if self.anytime else self.episodes))

    def policy(self) -> np.ndarray:
        """Selection (Alg. 4 line 5 under D1/D2): the exploration policy of episode k."""
        th0 = np.ascontiguousarray(self._th[:, 0])
        Sd0 = np.ascontiguousarray(self._Sdot_inv[:, 0])
        S, d = self.spec.n_states, self.d
        if self.select_form == "auto" and S * S <= S * d + d * d or self.select_form == "gram":
            if self._Kmat is None:
                A = self.spec.n_actions
                self._Kmat = np.zeros((2, S, A, S, S))
                self._pmean = np.zeros((2, S, A, S))
                self._gwork = np.zeros((S, d))
            _k.precompute_gram(self._phi, th0, Sd0, self._Kmat, self._pmean, self._gwork,
                               self._acts, self._n_acts)
            self._cand = _k.select_gram(self._Kmat, self._pmean, self.s1, self._beta_select(),
                                        self._Rc, self._pi_work, self._Vh_work, self._Vt_work,
                                        self._pi, self._V, self._acts, self._n_acts)
        else:
            self._cand = _k.select(self._phi, self.s1, self._beta_select(), th0, Sd0, self._Rc,
                                   self._pi_work, self._Vh_work, self._Vt_work, self._pi,
                                   self._V, self._pt, self._ph)
        self._vhat = float(self._V[0, 0, self.s1])
        return self._pi.copy()

    def update(self, traj: Trajectory) -> None:
        """Alg. 4 lines 8-19: HOME weights, rank-one updates, end-of-episode estimators."""
        rec = self._rec
        _k.update(self._phi, np.asarray(traj.states, dtype=np.int64),
                  np.asarray(traj.actions, dtype=np.int64), self._V, self.alpha, self.gamma,
                  float(self.radius(self._k)), self._home_weights, self._home_error_bar,
                  self._th, self._Sdot_inv, self._Srun_inv, self._G, self._b, self._rec_phi,
                  rec[0], rec[1], rec[2], rec[3], self._vtmp, self._tmp)
        self._k += 1
        if (self._k - 1) % self.reinvert_every == 0:
            self._Srun_inv = np.ascontiguousarray(np.linalg.inv(self._G))
        self._end_episode()

    def _end_episode(self) -> None:
        self._Sdot_inv[:] = self._Srun_inv
        self._Gdot[:] = self._G
        _k.estimators(self._Srun_inv, self._b, self._th)

    def explore(self, env, episodes: int, rng: np.random.Generator,
                theta_star=None) -> tuple[np.ndarray, float]:
        r"""Run ``episodes`` exploration episodes in ``env`` in one compiled loop.

        The same episodes, bit for bit, as the per-episode loop ``pi = policy()``,
        ``traj = EpisodeSimulator(env).sample(pi, rng)``, ``update(traj)``: each
        episode draws ``H + 1`` uniforms from ``rng`` in the same order. A subclass
        that overrides ``policy``, ``update``, ``info`` or ``coverage_ratios`` is
        run through that loop instead (the compiled loop would skip its override).
        :meth:`radius` is called once, with the array of the episodes' indices: an
        override must be a function of ``k`` alone, as the base class's is.

        Parameters
        ----------
        env : TabularMDP or EpisodeSimulator
            The episodic environment (the true model).
        episodes : int
            Number of episodes to run from the current state (continues where
            the last call stopped).
        rng : numpy.random.Generator
            The environment's generator.
        theta_star : array_like, shape (d,), optional
            If given, the largest coverage ratio (:meth:`coverage_ratios`) of the
            frozen estimators of every episode run is returned (proof checks only).

        Returns
        -------
        vhat : numpy.ndarray, shape (episodes,)
            The selection value :math:`\hat V_{k,1}(s_1)` of each episode.
        max_ratio : float
            The largest coverage ratio seen (``nan`` without ``theta_star``).
        """
        from ..experiment.episodes import EpisodeSimulator

        episodes = check_int(episodes, "episodes", 0)
        check_rng(rng)
        sim = env if isinstance(env, EpisodeSimulator) else EpisodeSimulator(env)
        S, A, H = self.spec.n_states, self.spec.n_actions, self.spec.horizon
        if (sim.H, sim.S, sim.A) != (H, S, A):
            raise ValueError(f"env must have (H, S, A) = ({H}, {S}, {A}), "
                             f"got {(sim.H, sim.S, sim.A)}")
        ts = None
        if theta_star is not None:
            ts = as_float_array(theta_star, "theta_star")
            if ts.shape != (self.d,):
                raise ValueError(f"theta_star must have shape ({self.d},), got {ts.shape}")
        vhat = np.empty(episodes)
        worst = -np.inf
        if not self._compiled_loop_applies():
            for i in range(episodes):
                pi = self.policy()
                vhat[i] = self.info().get("vhat", np.nan)
                traj = sim.sample(pi, rng)
                if ts is not None:
                    worst = max(worst, float(self.coverage_ratios(ts).max()))
                self.update(traj)
            return vhat, (worst if ts is not None else float("nan"))
        d = self.d
        if self._Kmat is None:
            self._Kmat = np.zeros((2, S, A, S, S))
            self._pmean = np.zeros((2, S, A, S))
            self._gwork = np.zeros((S, d))
        gram = self.select_form == "gram" or (self.select_form == "auto"
                                              and S * S <= S * d + d * d)
        k0 = self._k
        radii = np.ascontiguousarray(self.radius(np.arange(k0, k0 + episodes)), dtype=float)
        bsel = radii if self.anytime else np.full(episodes, float(self.radius(self.episodes)))
        out = np.array([float(self._cand), worst])
        work = (np.zeros((2, d)), np.zeros((2, d, d)))
        states, actions = np.empty(H + 1, dtype=np.int64), np.empty(H, dtype=np.int64)
        done = 0
        while done < episodes:
            # uniforms in blocks: the same stream as H + 1 draws per episode
            U = rng.random((min(episodes - done, self.reinvert_every), H + 1))
            j = 0
            while j < U.shape[0]:
                n = _k.explore(self._phi, self.s1, gram, bsel[done:], radii[done:], self._Rc,
                               sim.Pcum, sim.init_cum, U[j:], self.alpha, self.gamma,
                               self._home_weights, self._home_error_bar, self.reinvert_every,
                               self._k, np.zeros(d) if ts is None else ts, ts is not None,
                               self._th, self._Sdot_inv, self._Srun_inv, self._G, self._Gdot,
                               self._b, work[0], work[1], self._Kmat, self._pmean,
                               self._gwork, self._acts, self._n_acts, self._pi_work,
                               self._Vh_work, self._Vt_work, self._pi, self._V, self._pt,
                               self._ph, self._rec_phi, self._rec, self._vtmp, self._tmp,
                               states, actions, vhat[done:], out)
                self._k += n
                done += n
                j += n
                if (self._k - 1) % self.reinvert_every == 0:
                    # the episode that ended a re-inversion period: finished here
                    self._Srun_inv = np.ascontiguousarray(np.linalg.inv(self._G))
                    self._end_episode()
        if episodes:
            self._cand = int(out[0])
            self._vhat = float(vhat[-1])
        return vhat, (float(out[1]) if ts is not None else float("nan"))

    def _compiled_loop_applies(self) -> bool:
        cls = type(self)
        return all(getattr(cls, f) is getattr(HFUCRLRFEpp, f) and f not in self.__dict__
                   for f in ("policy", "update", "info", "coverage_ratios", "_end_episode",
                             "_beta_select"))

    def info(self) -> dict[str, float]:
        """``vhat``: the selection value :math:`\\hat V_{k,1}(s_1)` of the last episode."""
        return {"vhat": self._vhat}

    # -- diagnostics (need theta*, for proof checks only)
    @property
    def episode(self) -> int:
        """Index k (1-based) of the next episode; frozen estimators are theta_{k,.}."""
        return self._k

    def last_home(self) -> dict[str, np.ndarray]:
        """Records of the last update: ``phi`` (2, H, M, d), ``y``, ``sigma2``, ``vbar``,
        ``E`` (2, H, M), and ``theta`` / ``Sdot_inv`` / ``beta_k`` used by HOME."""
        return {"phi": self._rec_phi.copy(), "y": self._rec[0].copy(),
                "sigma2": self._rec[1].copy(), "vbar": self._rec[2].copy(),
                "E": self._rec[3].copy()}

    def coverage_ratios(self, theta_star) -> np.ndarray:
        r""":math:`\|\theta^c_{k,m} - \theta^*\|_{\dot\Sigma^c_{k,m}}/\beta_k`, shape (2, M),
        for the current frozen estimators (Lemma 2.8.6's event is all ratios <= 1)."""
        diff = self._th - np.asarray(theta_star)[None, None]
        q = np.einsum("cmi,cmij,cmj->cm", diff, self._Gdot, diff)
        return np.sqrt(np.maximum(q, 0.0)) / float(self.radius(self._k))

    # -- planning phase
    def theta_plan(self, project: bool = True) -> np.ndarray:
        r"""D3: :math:`\tilde\theta_{K+1,0}`, optionally projected in the
        :math:`\dot{\tilde\Sigma}_{K+1,0}` norm onto the valid-kernel polytope."""
        th = self._th[1, 0].copy()
        return _project_theta(self._phi, th, self._Gdot[1, 0]) if project else th

    def plan(self, r, project: bool = True) -> np.ndarray:
        r"""Planning phase: greedy policy for reward ``r`` in the model
        :math:`\theta_{plan}` (the planning phase, with D3), no bonus, no interaction.

        ``r`` of shape (S, A), (H, S, A) or a batch (n, H, S, A) with values in
        [0, 1] and total at most 1 on every trajectory allowed by the features'
        support (max-plus DP); returns (H, S) or (n, H, S) ints.
        """
        S, A, H = self.spec.n_states, self.spec.n_actions, self.spec.horizon
        R = _check_rewards(r, H, S, A, self._support, self.s1)
        P = np.einsum("satd,d->sat", self._phi, self.theta_plan(project))
        pi, _ = greedy_policies(P, R)
        single = np.ndim(r) == 3 or np.shape(r) == (S, A)
        return pi[0] if single else pi

    def certificate(self, beta_t: float | None = None, beta_h: float | None = None,
                    project: bool = True) -> float:
        r"""All-reward certificate :math:`C = 2\bar V_1(s_1)` (D6) [D].

        .. math::

            g(s,a) = \max_{T \subseteq S}
            \|\phi_{1_T}(s,a)\|_{(\dot{\tilde\Sigma}_{K+1,0})^{-1}},\quad
            \bar u = \min\{1, \beta_t g\},

            \bar V_h(s) = \mathrm{clip}_{[0,1]}\max_a\big[\bar u(s,a)
            + \langle\phi_{\bar V_{h+1}}(s,a), \hat\theta_{K+1,0}\rangle
            + \beta_h\|\phi_{\bar V_{h+1}}(s,a)\|_{(\dot{\hat\Sigma}_{K+1,0})^{-1}}\big].

        If :math:`\|\theta_{plan} - \theta^*\|_{\dot{\tilde\Sigma}} \le \beta_t` and
        :math:`\|\hat\theta - \theta^*\|_{\dot{\hat\Sigma}} \le \beta_h`, then every
        :math:`r \in \mathcal R` has :math:`V^*_1(s_1;r) - V^{\hat\pi_r}_1(s_1;r) \le C`
        (with ``project=True`` so the greedy plan is an exact argmax). Defaults:
        both radii :math:`\beta_{K+1}` of ``beta_mode``. Vertex enumeration for
        :math:`S \le 14`, else the valid upper bound
        :math:`g \le \sum_{s'}\|\phi(s'|s,a)\|_{\Sigma^{-1}}`.
        """
        b0 = float(self.radius(self._k))
        bt = b0 if beta_t is None else check_positive(beta_t, "beta_t", allow_zero=True)
        bh = b0 if beta_h is None else check_positive(beta_h, "beta_h", allow_zero=True)
        return 2.0 * float(self._vbar(bt, bh)[0, self.s1])

    def _vbar(self, bt: float, bh: float) -> np.ndarray:
        phi, S, H = self._phi, self.spec.n_states, self.spec.horizon
        St_inv, Sh_inv, th_h = self._Sdot_inv[1, 0], self._Sdot_inv[0, 0], self._th[0, 0]
        if S <= 14:
            T = ((np.arange(1, 2 ** S)[:, None] >> np.arange(S)[None, :]) & 1).astype(float)
            g = np.zeros(phi.shape[:2])
            for s in range(S):
                pv = np.einsum("atd,nt->nad", phi[s], T)
                q = np.einsum("nai,ij,naj->na", pv, St_inv, pv)
                g[s] = np.sqrt(np.maximum(q, 0)).max(axis=0)
        else:
            q = np.einsum("sati,ij,satj->sat", phi, St_inv, phi)
            g = np.sqrt(np.maximum(q, 0)).sum(axis=-1)
        ubar = np.minimum(1.0, bt * g)
        V = np.zeros((H + 1, S))
        for h in range(H - 1, -1, -1):
            pv = np.einsum("satd,t->sad", phi, V[h + 1])
            bonus = np.sqrt(np.maximum(np.einsum("sai,ij,saj->sa", pv, Sh_inv, pv), 0))
            V[h] = np.clip((ubar + pv @ th_h + bh * bonus).max(axis=-1), 0.0, 1.0)
        return V

    def realized_radii(self, theta_star, project: bool = True) -> tuple[float, float]:
        r"""(:math:`\|\theta_{plan} - \theta^*\|_{\dot{\tilde\Sigma}}`,
        :math:`\|\hat\theta_{K+1,0} - \theta^*\|_{\dot{\hat\Sigma}}`) -- proof checks only."""
        ts = np.asarray(theta_star, dtype=float)
        dt = self.theta_plan(project) - ts
        dh = self._th[0, 0] - ts
        return (float(np.sqrt(max(dt @ self._Gdot[1, 0] @ dt, 0.0))),
                float(np.sqrt(max(dh @ self._Gdot[0, 0] @ dh, 0.0))))


