r"""Linear mixture instances for reward-free exploration (Zhang, Zhang & Gu, ICML 2023).

Three families (docs/theory/reward_free.md), all episodic and
time-homogeneous, with a fixed initial state :math:`s_1 = 0` and rewards in
the class :math:`\mathcal{R}` of rewards whose total along every
trajectory is at most 1 (Assumption 2.6.1 [V]):

* :func:`random_linear_mixture` -- mixture of ``d`` Dirichlet kernels [D];
* :func:`tabular_as_linear_mixture` -- any tabular MDP with ``d = S^2 A`` [V idea, D scaling];
* :func:`hard_linear_mixture` -- the lower-bound instance of Zhou & Gu (2022)
  used for Theorem 2.6.8 [V structure, R scaling].

Each returns a :class:`LinearMixtureInstance` bundling the exact model with
the a-priori norm bound ``B`` (:math:`\|\theta^*\|_2 \le B`, features
normalised so :math:`\|\phi_V\|_2 \le 1` for all :math:`V \in [0,1]^S`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import as_float_array, check_int, check_kernel, check_positive
from ..models.linear_mixture import LinearMixtureMDP, max_total_reward

__all__ = ["LinearMixtureInstance", "random_linear_mixture", "tabular_as_linear_mixture",
           "hard_linear_mixture", "hard_instance_actions"]


@dataclass(frozen=True)
class LinearMixtureInstance:
    """A linear mixture MDP with its a-priori norm bound.

    Attributes
    ----------
    mdp : LinearMixtureMDP
        The exact model (episodic, ``init`` a point mass on ``s1``).
    B : float
        Known bound on :math:`\\|\\theta^*\\|_2` (what an honest learner is told).
    s1 : int
        The fixed initial state.
    meta : dict
        Instance parameters and closed forms (hard instance: ``mu``, ``Delta``,
        ``delta0``, ``v_star``, ``a_star``).
    """

    mdp: LinearMixtureMDP
    B: float
    s1: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def phi(self) -> np.ndarray:
        return self.mdp.phi

    @property
    def theta(self) -> np.ndarray:
        return self.mdp.theta


def _point_init(S: int, s1: int) -> np.ndarray:
    init = np.zeros(S)
    init[s1] = 1.0
    return init


def random_linear_mixture(n_states: int, n_actions: int, dim: int, horizon: int,
                          seed: int, concentration: float = 0.5) -> LinearMixtureInstance:
    r"""Random mixture-of-kernels linear mixture MDP [D].

    Draw ``d`` kernels :math:`P_i(\cdot \mid s, a) \sim \mathrm{Dir}(c\,1_S)` and
    weights :math:`w \sim \mathrm{Dir}(1_d)`; set
    :math:`\phi_i(s' \mid s, a) = P_i(s' \mid s, a)/\sqrt d`,
    :math:`\theta^* = \sqrt d\, w`, so :math:`P = \sum_i w_i P_i`,
    :math:`\|\phi_V\|_2 \le 1` on :math:`[0,1]^S` and
    :math:`\|\theta^*\|_2 \le \sqrt d =: B` (:math:`\lambda = d/B^2 = 1`).
    Rewards :math:`r_h(s, a) = g(s, a)/H`, :math:`g \sim U[0,1]^{S\times A}`, so
    the total is at most 1 on every trajectory.

    Parameters
    ----------
    n_states : int
        Number of states :math:`S`.
    n_actions : int
        Number of actions :math:`A`.
    dim : int
        Number of base kernels :math:`d`.
    horizon : int
        Episode length :math:`H`.
    seed : int
        Seed of every draw.
    concentration : float, default 0.5
        Dirichlet parameter :math:`c` of the base kernels.

    Returns
    -------
    LinearMixtureInstance
        The instance, with :math:`B = \sqrt d` and the weights in ``meta``.
    """
    S = check_int(n_states, "n_states", 1)
    A = check_int(n_actions, "n_actions", 1)
    d = check_int(dim, "dim", 1)
    H = check_int(horizon, "horizon", 1)
    c = check_positive(concentration, "concentration")
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    Pi = rng.dirichlet(np.full(S, c), size=(d, S, A))  # (d, S, A, S)
    w = rng.dirichlet(np.ones(d))
    g = rng.random((S, A))
    phi = np.ascontiguousarray(np.moveaxis(Pi, 0, -1) / np.sqrt(d))
    theta = np.sqrt(d) * w
    # renormalise the mixture exactly so rows sum to 1 within float error
    mdp = LinearMixtureMDP(phi, theta, R=g / H, horizon=H, init=_point_init(S, 0))
    return LinearMixtureInstance(mdp, float(np.sqrt(d)), 0, {"weights": w})


def tabular_as_linear_mixture(P, R, horizon: int, s1: int = 0) -> LinearMixtureInstance:
    r"""A tabular MDP as a linear mixture with :math:`d = S^2 A`.

    :math:`\phi(s' \mid s, a) = e_{(s, a, s')}/\sqrt S`,
    :math:`\theta^* = \sqrt S\,\mathrm{vec}(P)`, hence
    :math:`\|\phi_V\|_2 = \|V\|_2/\sqrt S \le 1` and
    :math:`\|\theta^*\|_2 \le S\sqrt A =: B` [V idea, D scaling].

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        Time-homogeneous kernel (stage-dependent kernels are refused: the
        horizon-free analysis needs one :math:`\theta^*`).
    R : array_like, shape (S, A) or (H, S, A)
        Rewards in [0, 1] with total at most 1 on every trajectory from ``s1``.
    horizon : int
        Episode length :math:`H`.
    s1 : int, default 0
        The fixed initial state.

    Returns
    -------
    LinearMixtureInstance
        The instance, with :math:`B = S\sqrt A`.

    Examples
    --------
    >>> P = np.full((2, 1, 2), 0.5)
    >>> inst = tabular_as_linear_mixture(P, np.zeros((2, 1)), horizon=3)
    >>> inst.phi.shape, bool(np.allclose(inst.mdp.to_tabular().P, P))
    ((2, 1, 2, 4), True)
    """
    P = check_kernel(P, "P")
    if P.ndim != 3:
        raise ValueError(f"P must be time-homogeneous (S, A, S), got shape {P.shape}")
    H = check_int(horizon, "horizon", 1)
    S, A = P.shape[0], P.shape[1]
    s1 = check_int(s1, "s1", 0)
    if s1 >= S:
        raise ValueError(f"s1 must be < {S}, got {s1}")
    R = as_float_array(R, "R")
    R3 = R if R.ndim == 3 else np.broadcast_to(R, (H, S, A))
    if R3.shape != (H, S, A):
        raise ValueError(f"R must be (S, A) or (H, S, A) = ({H}, {S}, {A}), got {R.shape}")
    if (R3 < 0).any():
        raise ValueError(f"R{list(np.argwhere(R3 < 0)[0])} is negative")
    tot = max_total_reward(R3, P > 0, s1)
    if tot > 1 + 1e-9:
        raise ValueError(f"R has total reward {tot:.6g} > 1 on some trajectory")
    d = S * S * A
    phi = np.zeros((S, A, S, d))
    idx = np.arange(d).reshape(S, A, S)
    s_, a_, t_ = np.meshgrid(np.arange(S), np.arange(A), np.arange(S), indexing="ij")
    phi[s_, a_, t_, idx] = 1.0 / np.sqrt(S)
    theta = np.sqrt(S) * P.reshape(-1)
    mdp = LinearMixtureMDP(phi, theta, R=R, horizon=H, init=_point_init(S, s1))
    return LinearMixtureInstance(mdp, float(S * np.sqrt(A)), s1, {})


def hard_instance_actions(dim: int) -> np.ndarray:
    r"""The action set :math:`\{-1, +1\}^{d-1}` as rows: action ``i`` has
    :math:`a_j = +1` iff bit ``j`` of ``i`` is 1. Shape (2^(d-1), d-1)."""
    d = check_int(dim, "dim", 2)
    i = np.arange(2 ** (d - 1))
    return np.where((i[:, None] >> np.arange(d - 1)[None, :]) & 1, 1.0, -1.0)


def hard_linear_mixture(dim: int, horizon: int, Delta: float, seed: int = 0,
                        delta0: float = 1 / 6, mu_signs=None) -> LinearMixtureInstance:
    r"""The lower-bound instance (Zhou & Gu 2022; Sec. 2.6.2.2).

    States :math:`x_1, x_2, x_3` (0, 1, 2), :math:`s_1 = x_1`, actions
    :math:`a \in \{-1,+1\}^{d-1}`, :math:`\mu \in \{-\Delta, +\Delta\}^{d-1}`
    (signs seeded). :math:`P(x_3 \mid x_1, a) = \delta_0 + \langle \mu, a\rangle`,
    :math:`P(x_2 \mid x_1, a) = 1 - \delta_0 - \langle \mu, a\rangle`, :math:`x_2, x_3`
    absorbing; reward :math:`1/H` in :math:`x_3` at every step (total
    :math:`\le (H-1)/H`). Features
    :math:`\phi(x_2 \mid x_1, a) = (a_f(1-\delta_0), -b_f a)`,
    :math:`\phi(x_3 \mid x_1, a) = (a_f\delta_0, b_f a)`,
    :math:`\phi(s \mid s, a) = (a_f, 0)` for :math:`s \in \{x_2, x_3\}`,
    :math:`\theta^* = (1/a_f, \mu/b_f)`, with the scalings [R, our derivation]
    :math:`a_f = (1+(d-1)\Delta)^{-1/2}`,
    :math:`b_f = (\Delta/(1+(d-1)\Delta))^{1/2}`, which give
    :math:`\|\phi_V\|_2 \le 1` and :math:`\|\theta^*\|_2 = 1 + (d-1)\Delta =: B`.

    Closed forms (in ``meta``): :math:`V^*_1(x_1) = (\delta_0 + (d-1)\Delta)(H-1)/H`
    with :math:`a^* = \mathrm{sign}(\mu)`; each wrong sign costs
    :math:`2\Delta (H-1)/H`.

    Parameters
    ----------
    dim : int
        d >= 2 (``2^(d-1)`` actions; keep d <= 8).
    horizon : int
        Episode length :math:`H`.
    Delta : float
        Positive, with :math:`(d-1)\Delta \le \min(\delta_0, 1-\delta_0)`.
    seed : int
        Seeds the signs of :math:`\mu` (ignored when ``mu_signs`` is given).
    delta0 : float
        The paper's :math:`\delta` (renamed), in (0, 1).
    mu_signs : array_like of +-1, shape (d-1,), optional
        Signs of :math:`\mu`, overriding ``seed``.

    Returns
    -------
    LinearMixtureInstance
        The instance, with :math:`B = 1 + (d-1)\Delta` and the closed forms in ``meta``.
    """
    d = check_int(dim, "dim", 2)
    H = check_int(horizon, "horizon", 1)
    Delta = check_positive(Delta, "Delta")
    delta0 = float(delta0)
    if not 0.0 < delta0 < 1.0:
        raise ValueError(f"delta0 must be in (0, 1), got {delta0}")
    if (d - 1) * Delta > min(delta0, 1.0 - delta0) + 1e-12:
        raise ValueError(f"Delta must satisfy (d-1)*Delta <= min(delta0, 1-delta0) "
                         f"= {min(delta0, 1 - delta0):.6g}, "
                         f"got (d-1)*Delta = {(d - 1) * Delta:.6g}")
    if mu_signs is None:
        signs = np.where(np.random.default_rng(check_int(seed, "seed", 0)).random(d - 1) < 0.5,
                         -1.0, 1.0)
    else:
        signs = as_float_array(mu_signs, "mu_signs")
        if signs.shape != (d - 1,) or not np.all(np.abs(signs) == 1):
            raise ValueError(f"mu_signs must be {d - 1} entries in {{-1, +1}}, got {signs}")
    mu = Delta * signs
    acts = hard_instance_actions(d)
    A = acts.shape[0]
    c = 1.0 + (d - 1) * Delta
    af, bf = c ** -0.5, (Delta / c) ** 0.5
    phi = np.zeros((3, A, 3, d))
    phi[0, :, 1, 0] = af * (1 - delta0)
    phi[0, :, 1, 1:] = -bf * acts
    phi[0, :, 2, 0] = af * delta0
    phi[0, :, 2, 1:] = bf * acts
    phi[1, :, 1, 0] = af
    phi[2, :, 2, 0] = af
    theta = np.concatenate([[1.0 / af], mu / bf])
    R = np.zeros((3, A))
    R[2, :] = 1.0 / H
    mdp = LinearMixtureMDP(phi, theta, R=R, horizon=H, init=_point_init(3, 0))
    a_star = int(((signs > 0).astype(np.int64) << np.arange(d - 1)).sum())
    meta = {"mu": mu, "Delta": Delta, "delta0": delta0, "a_star": a_star,
            "v_star": (delta0 + (d - 1) * Delta) * (H - 1) / H,
            "loss_per_sign": 2 * Delta * (H - 1) / H}
    return LinearMixtureInstance(mdp, float(c), 0, meta)
