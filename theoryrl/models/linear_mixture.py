r"""Linear mixture MDPs: :math:`P(s' \mid s, a) = \langle \phi(s' \mid s, a), \theta \rangle`."""

from __future__ import annotations

import numpy as np

from .._validation import ATOL, as_float_array, check_distribution_rows, check_int
from .tabular import TabularMDP

__all__ = ["LinearMixtureMDP", "max_phi_V_norm", "check_mixture_normalisation",
           "max_total_reward"]


class LinearMixtureMDP:
    r"""A linear mixture MDP on explicit tensors (Ayoub et al. 2020; Zhou et al. 2021).

    :math:`P(s' \mid s, a) = \sum_i \phi_i(s' \mid s, a)\, \theta_i` with known
    features and unknown parameter :math:`\theta \in \mathbb{R}^d`.

    Parameters
    ----------
    phi : array_like, shape (S, A, S, d)
        Features. Validated through the kernel they induce: every row of
        ``phi @ theta`` must be a distribution within 1e-9.
    theta : array_like, shape (d,)
        The true parameter :math:`\theta^*`; every row of :math:`\phi\theta^*` must be a
        distribution.
    R : array_like, shape (S, A) or (H, S, A)
        Mean rewards in [0, 1].
    horizon, gamma, init
        As in :class:`TabularMDP` (neither horizon nor gamma: average reward).

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.zeros((2, 1, 2, 2)); phi[:, :, 0, 0] = 1; phi[:, :, 1, 1] = 1
    >>> LinearMixtureMDP(phi, [0.3, 0.7], R=np.zeros((2, 1)), horizon=2).P[0, 0]
    array([0.3, 0.7])
    """

    def __init__(self, phi, theta, R, horizon: int | None = None,
                 gamma: float | None = None, init=None) -> None:
        phi = as_float_array(phi, "phi")
        if phi.ndim != 4 or phi.shape[0] != phi.shape[2]:
            raise ValueError(f"phi must be (S, A, S, d), got shape {phi.shape}")
        theta = as_float_array(theta, "theta")
        d = phi.shape[3]
        if theta.shape != (d,):
            raise ValueError(f"theta must have shape ({d},) to match phi, got {theta.shape}")
        if horizon is not None:
            check_int(horizon, "horizon", 1)
        P = np.ascontiguousarray(phi @ theta)
        check_distribution_rows(P, "phi @ theta", ATOL)
        self._tab = TabularMDP(P, R, horizon=horizon, gamma=gamma, init=init)
        phi.flags.writeable = False
        theta.flags.writeable = False
        self._phi, self._theta = phi, theta

    phi = property(lambda self: self._phi, doc="Features (S, A, S, d), read-only.")
    theta = property(lambda self: self._theta, doc="Parameter (d,), read-only.")
    P = property(lambda self: self._tab.P, doc="Induced kernel (S, A, S).")
    R = property(lambda self: self._tab.R)
    init = property(lambda self: self._tab.init)
    horizon = property(lambda self: self._tab.horizon)
    gamma = property(lambda self: self._tab.gamma)
    spec = property(lambda self: self._tab.spec)
    criterion = property(lambda self: self._tab.criterion)
    n_states = property(lambda self: self._phi.shape[0])
    n_actions = property(lambda self: self._phi.shape[1])
    dim = property(lambda self: self._phi.shape[3], doc="d.")

    def __repr__(self) -> str:
        return f"LinearMixtureMDP(S={self.n_states}, A={self.n_actions}, d={self.dim}, " \
               f"criterion={self.criterion})"

    def phi_V(self, V: np.ndarray) -> np.ndarray:
        r""":math:`\phi_V(s, a) = \sum_{s'} \phi(s' \mid s, a)\, V(s')`, shape (S, A, d),
        so that :math:`P V (s, a) = \langle \phi_V(s, a), \theta \rangle`."""
        V = as_float_array(V, "V")
        if V.shape != (self.n_states,):
            raise ValueError(f"V must have shape ({self.n_states},), got {V.shape}")
        return np.einsum("satd,t->sad", self._phi, V)

    def to_tabular(self) -> TabularMDP:
        """The :class:`TabularMDP` with ``P = phi @ theta``."""
        return self._tab

    # -- what reward-free exploration needs --

    def kernel(self) -> np.ndarray:
        r"""The induced kernel :math:`P(s' \mid s, a) = \langle \phi(s' \mid s, a), \theta\rangle`,
        shape (S, A, S) (the same array as :attr:`P`)."""
        return self._tab.P

    def variance(self, V: np.ndarray) -> np.ndarray:
        r"""One-step variance :math:`[\mathbb{V} V](s, a) = [P V^2](s, a) - ([P V](s, a))^2`
        (eq. (2.3.1) of Zhang, Zhang & Gu 2023 as numbered in the dissertation),
        computed through the features: :math:`\langle \phi_{V^2}, \theta\rangle
        - \langle \phi_V, \theta\rangle^2`. Shape (S, A)."""
        V = as_float_array(V, "V")
        return self.phi_V(V * V) @ self._theta - (self.phi_V(V) @ self._theta) ** 2

    def check_normalisation(self, B: float) -> float:
        r"""Raise ``ValueError`` unless :math:`\|\theta\|_2 \le B` and
        :math:`\|\phi_V(s, a)\|_2 \le 1` for every :math:`V: S \to [0, 1]`
        (Def. 2.3.1 / Sec. 2.6 [V]); returns ``B``. Tolerance 1e-9."""
        check_mixture_normalisation(self._phi, self._theta, B)
        return float(B)


def max_phi_V_norm(phi: np.ndarray, n_random: int = 1000, seed: int = 0) -> float:
    r""":math:`\max_{s, a} \max_{V \in [0, 1]^S} \|\phi_V(s, a)\|_2`.

    The norm is convex in :math:`V`, so its maximum over the cube is attained
    at a vertex :math:`V = 1_T`; all :math:`2^S` vertices are enumerated when
    :math:`S \le 14`. For larger ``S`` the maximum is estimated from
    ``n_random`` random vertices (a lower estimate; documented, not exact).
    """
    phi = as_float_array(phi, "phi")
    if phi.ndim != 4:
        raise ValueError(f"phi must be (S, A, S, d), got shape {phi.shape}")
    S = phi.shape[0]
    if S <= 14:
        T = ((np.arange(2 ** S)[:, None] >> np.arange(S)[None, :]) & 1).astype(np.float64)
    else:
        rng = np.random.default_rng(seed)
        T = (rng.random((n_random, S)) < 0.5).astype(np.float64)
    best = 0.0
    for s in range(S):  # (A, S, d) x (n_T, S) -> (n_T, A, d)
        pv = np.einsum("atd,nt->nad", phi[s], T)
        best = max(best, float(np.sqrt((pv * pv).sum(axis=-1)).max()))
    return best


def check_mixture_normalisation(phi: np.ndarray, theta: np.ndarray | None = None,
                                B: float | None = None, atol: float = ATOL) -> None:
    r"""Validate :math:`\|\phi_V\|_2 \le 1` for all :math:`V \in [0,1]^S` and
    :math:`\|\theta\|_2 \le B` (linear mixture normalisation, Sec. 2.6 [V]).

    Raises ``ValueError`` naming ``phi``, ``theta`` or ``B``.
    """
    phi = as_float_array(phi, "phi")
    m = max_phi_V_norm(phi)
    if m > 1.0 + atol:
        raise ValueError(f"phi violates the normalisation max_V ||phi_V(s, a)||_2 <= 1 "
                         f"over V in [0, 1]^S ({m:.12g})")
    if B is not None:
        if not np.isfinite(B) or B <= 0:
            raise ValueError(f"B must be positive and finite, got {B}")
        if theta is not None:
            nt = float(np.linalg.norm(as_float_array(theta, "theta")))
            if nt > B + atol:
                raise ValueError(f"theta has norm {nt:.12g} > B = {B:.12g}")


def max_total_reward(R: np.ndarray, support: np.ndarray, s1: int) -> float:
    r"""Largest total reward over all trajectories from ``s1`` (max-plus DP).

    :math:`U_{H+1} = 0`, :math:`U_h(s) = \max_a [r_h(s, a) + \max_{s' \in
    \mathrm{supp}(s, a)} U_{h+1}(s')]`, returns :math:`U_1(s_1)`
    (used to validate membership in the class :math:`\mathcal{R}` of rewards
    with total at most 1 on every trajectory, Assumption 2.6.1 [V]).

    Parameters
    ----------
    R : ndarray, shape (H, S, A)
        Rewards (trusted; validate ranges first).
    support : ndarray of bool, shape (S, A, S)
        ``support[s, a, s']`` is True when ``s'`` may follow ``(s, a)``.
    s1 : int
        Initial state.
    """
    H = R.shape[0]
    U = np.zeros(R.shape[1])
    neg = np.where(support, 0.0, -np.inf)
    for h in range(H - 1, -1, -1):
        nxt = (neg + U[None, None, :]).max(axis=-1)  # (S, A)
        U = (R[h] + nxt).max(axis=-1)
    return float(U[s1])

