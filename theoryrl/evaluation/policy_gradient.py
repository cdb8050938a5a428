r"""Exact and sampled policy gradients of log-linear policies on tabular MDPs.

A log-linear policy :math:`\pi_\theta(a|s) \propto \exp(\theta^\top \phi(s, a))`
with features ``phi`` (S, A, d); the tabular softmax is the case
:math:`\phi(s, a) = e_{(s,a)}` (:func:`softmax_features`). Its score and the
Hessian of its log are

.. math::

    \nabla \log \pi_\theta(a|s) = \phi(s,a) - \bar\phi_\theta(s), \qquad
    \nabla^2 \log \pi_\theta(a|s) = -\mathrm{Cov}_{b \sim \pi_\theta(\cdot|s)}[\phi(s, b)].

Exact quantities (:class:`PolicyGradientMDP`): the discounted return
:math:`J(\theta) = \rho^\top (I - \gamma P_\pi)^{-1} r_\pi`, its gradient by
the policy gradient theorem (Sutton et al. 2000), and for trajectories
truncated at :math:`H` steps, :math:`J_H` and

.. math::

    \nabla J_H(\theta) = \sum_{t<H} \gamma^t \sum_s d_t(s) \sum_a \pi(a|s)\,
    Q_{H-t}(s,a)\, \nabla\log\pi(a|s),

with :math:`d_t = \rho^\top P_\pi^t` and :math:`Q_k = r + \gamma P V_{k-1}`,
:math:`V_k = \sum_a \pi Q_k`, :math:`V_0 = 0`. Sampled estimators on
trajectories truncated at :math:`H` (all unbiased for :math:`\nabla J_H` or
:math:`\nabla^2 J_H v`): GPOMDP (Baxter and Bartlett 2001), REINFORCE
(Williams 1992) and the Hessian-vector estimator of Shen et al. (2019), used by
HARPG (Fatkhullin, Barakat, Kireeva and He 2023):

.. math::

    B(\tau)\,v = g(\tau) \Big(\sum_t \nabla\log\pi(a_t|s_t)^\top v\Big)
    + \sum_t R_t\, \nabla^2\log\pi(a_t|s_t)\, v, \qquad R_t = \sum_{h \ge t} \gamma^h r_h .

Everything is vectorised over ``R`` independent parameter vectors ``theta`` (R, d).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._special import logsumexp
from .._validation import (
    as_float_array,
    check_distribution,
    check_int,
    check_kernel,
    check_open_unit,
)

__all__ = ["PolicyGradientMDP", "Trajectories", "softmax_features"]


def softmax_features(n_states: int, n_actions: int) -> np.ndarray:
    """One-hot features: the tabular softmax policy class.

    Parameters
    ----------
    n_states, n_actions : int
        :math:`S` and :math:`A`.

    Returns
    -------
    ndarray, shape (S, A, S * A)
        ``phi[s, a]`` is the indicator of the pair (s, a).
    """
    return np.eye(n_states * n_actions).reshape(n_states, n_actions, n_states * n_actions)


@dataclass(frozen=True)
class Trajectories:
    """``R`` trajectories of ``H`` steps.

    Attributes
    ----------
    states, actions : ndarray of int, shape (R, H)
        Visited states and actions taken.
    disc_rewards : ndarray, shape (R, H)
        Discounted rewards :math:`\\gamma^t r_t`.
    """

    states: np.ndarray
    actions: np.ndarray
    disc_rewards: np.ndarray


@dataclass(frozen=True, eq=False)
class PolicyGradientMDP:
    r"""A discounted tabular MDP with a log-linear policy class.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        Transition kernel.
    R : array_like, shape (S, A)
        Rewards.
    gamma : float
        Discount factor in (0, 1).
    rho : array_like, shape (S,)
        Initial distribution.
    phi : array_like, shape (S, A, d)
        Features (default: the tabular softmax, ``d = S * A``).
    """

    P: np.ndarray
    R: np.ndarray
    gamma: float
    rho: np.ndarray
    phi: np.ndarray | None = None

    def __post_init__(self) -> None:
        P = check_kernel(self.P, "P")
        if P.ndim != 3:
            raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
        S, A = P.shape[:2]
        R = as_float_array(self.R, "R")
        if R.shape != (S, A):
            raise ValueError(f"R must have shape ({S}, {A}), got {R.shape}")
        phi = softmax_features(S, A) if self.phi is None else as_float_array(self.phi, "phi")
        if phi.ndim != 3 or phi.shape[:2] != (S, A):
            raise ValueError(f"phi must have shape ({S}, {A}, d), got {phi.shape}")
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "gamma", check_open_unit(self.gamma, "gamma"))
        object.__setattr__(self, "rho", check_distribution(self.rho, "rho", size=S))
        object.__setattr__(self, "phi", phi)

    @property
    def dim(self) -> int:
        """Number of parameters ``d``."""
        return self.phi.shape[2]

    # ------------------------------------------------------------------ policy
    def log_policy(self, theta: np.ndarray) -> np.ndarray:
        """``log pi`` of shape (..., S, A) for ``theta`` (..., d)."""
        logits = np.einsum("sad,...d->...sa", self.phi, theta)
        return logits - logsumexp(logits, axis=-1, keepdims=True)

    def score(self, theta: np.ndarray) -> np.ndarray:
        r"""Scores :math:`\nabla\log\pi(a|s)`, shape (..., S, A, d)."""
        pi = np.exp(self.log_policy(theta))
        mean = np.einsum("...sa,sad->...sd", pi, self.phi)
        return self.phi - mean[..., None, :]

    # ------------------------------------------------------------------- exact
    def value(self, theta: np.ndarray) -> np.ndarray:
        r""":math:`J(\theta) = \rho^\top (I - \gamma P_\pi)^{-1} r_\pi`, shape (...)."""
        pi = np.exp(self.log_policy(theta))
        P_pi = np.einsum("...sa,sat->...st", pi, self.P)
        r_pi = (pi * self.R).sum(axis=-1)
        S = self.P.shape[0]
        V = np.linalg.solve(np.eye(S) - self.gamma * P_pi, r_pi[..., None])[..., 0]
        return V @ self.rho

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        r"""Exact :math:`\nabla J(\theta) = \frac1{1-\gamma}\sum_{s,a} d^\pi_\rho(s)\pi(a|s)
        A^\pi(s,a)\nabla\log\pi(a|s)` (Sutton et al. 2000), shape (..., d)."""
        theta = np.asarray(theta, dtype=float)
        pi = np.exp(self.log_policy(theta))
        P_pi = np.einsum("...sa,sat->...st", pi, self.P)
        r_pi = (pi * self.R).sum(axis=-1)
        S = self.P.shape[0]
        M = np.eye(S) - self.gamma * P_pi
        V = np.linalg.solve(M, r_pi[..., None])[..., 0]
        Q = self.R + self.gamma * np.einsum("sat,...t->...sa", self.P, V)
        rho = np.broadcast_to(self.rho, V.shape)[..., None]
        d = (1 - self.gamma) * np.linalg.solve(np.swapaxes(M, -1, -2), rho)[..., 0]
        w = d[..., None] * pi * (Q - V[..., None]) / (1 - self.gamma)
        return np.einsum("...sa,...sad->...d", w, self.score(theta))

    def truncated_value(self, theta: np.ndarray, H: int) -> np.ndarray:
        r""":math:`J_H(\theta) = \sum_{t<H}\gamma^t d_t^\top r_\pi`, shape (...)."""
        pi = np.exp(self.log_policy(theta))
        P_pi = np.einsum("...sa,sat->...st", pi, self.P)
        r_pi = (pi * self.R).sum(axis=-1)
        d = np.broadcast_to(self.rho, r_pi.shape).copy()
        J = np.zeros(r_pi.shape[:-1])
        for t in range(check_int(H, "H", low=1)):
            J = J + self.gamma ** t * (d * r_pi).sum(axis=-1)
            d = np.einsum("...s,...st->...t", d, P_pi)
        return J

    def truncated_gradient(self, theta: np.ndarray, H: int) -> np.ndarray:
        r"""Exact :math:`\nabla J_H(\theta)` (module docstring), shape (..., d)."""
        H = check_int(H, "H", low=1)
        theta = np.asarray(theta, dtype=float)
        pi = np.exp(self.log_policy(theta))
        P_pi = np.einsum("...sa,sat->...st", pi, self.P)
        Qs = []  # Q_k for k = 1..H
        V = np.zeros(pi.shape[:-1])
        for _ in range(H):
            Q = self.R + self.gamma * np.einsum("sat,...t->...sa", self.P, V)
            Qs.append(Q)
            V = (pi * Q).sum(axis=-1)
        d = np.broadcast_to(self.rho, V.shape).copy()
        W = np.zeros(pi.shape)
        for t in range(H):
            W = W + self.gamma ** t * d[..., None] * pi * Qs[H - t - 1]
            d = np.einsum("...s,...st->...t", d, P_pi)
        return np.einsum("...sa,...sad->...d", W, self.score(theta))

    def truncated_hessian(self, theta: np.ndarray, H: int, step: float = 1e-5) -> np.ndarray:
        r""":math:`\nabla^2 J_H(\theta)` (d, d) by central differences of the exact
        :func:`truncated_gradient`, symmetrised (``theta`` of shape (d,))."""
        theta = as_float_array(theta, "theta")
        E = np.eye(theta.size) * step
        G = (self.truncated_gradient(theta + E, H)
             - self.truncated_gradient(theta - E, H)) / (2 * step)
        return 0.5 * (G + G.T)

    # ---------------------------------------------------------------- sampling
    def sample(self, theta: np.ndarray, H: int, rng: np.random.Generator) -> Trajectories:
        """One trajectory of ``H`` steps per row of ``theta`` (R, d)."""
        theta = np.atleast_2d(theta)
        n = theta.shape[0]
        S, A = self.R.shape
        cum_pi = np.cumsum(np.exp(self.log_policy(theta)), axis=-1)  # (R, S, A)
        cum_P = np.cumsum(self.P, axis=-1)
        states = np.empty((n, H), dtype=np.int64)
        actions = np.empty((n, H), dtype=np.int64)
        rewards = np.empty((n, H))
        rows = np.arange(n)
        s = np.minimum((np.cumsum(self.rho)[None] <= rng.random((n, 1))).sum(axis=1), S - 1)
        disc = 1.0
        for t in range(H):
            a = np.minimum((cum_pi[rows, s] <= rng.random((n, 1))).sum(axis=1), A - 1)
            states[:, t], actions[:, t] = s, a
            rewards[:, t] = disc * self.R[s, a]
            s = np.minimum((cum_P[s, a] <= rng.random((n, 1))).sum(axis=1), S - 1)
            disc *= self.gamma
        return Trajectories(states, actions, rewards)

    def _step_scores(self, theta: np.ndarray, traj: Trajectories) -> np.ndarray:
        theta = np.atleast_2d(theta)
        sc = self.score(theta)  # (R, S, A, d)
        rows = np.arange(theta.shape[0])[:, None]
        return sc[rows, traj.states, traj.actions]  # (R, H, d)

    def gpomdp(self, theta: np.ndarray, traj: Trajectories) -> np.ndarray:
        r"""GPOMDP :math:`g(\tau) = \sum_t R_t \nabla\log\pi(a_t|s_t)`, shape (R, d)."""
        togo = np.cumsum(traj.disc_rewards[:, ::-1], axis=1)[:, ::-1]
        return np.einsum("rh,rhd->rd", togo, self._step_scores(theta, traj))

    def reinforce(self, theta: np.ndarray, traj: Trajectories) -> np.ndarray:
        r"""REINFORCE :math:`(\sum_t \nabla\log\pi(a_t|s_t))(\sum_h \gamma^h r_h)`, (R, d)."""
        return self._step_scores(theta, traj).sum(axis=1) * traj.disc_rewards.sum(
            axis=1, keepdims=True)

    def hvp(self, theta: np.ndarray, traj: Trajectories, v: np.ndarray) -> np.ndarray:
        r"""Hessian-vector estimator :math:`B(\tau)v` (module docstring), shape (R, d)."""
        theta = np.atleast_2d(theta)
        v = np.atleast_2d(v)
        psi = self._step_scores(theta, traj)
        togo = np.cumsum(traj.disc_rewards[:, ::-1], axis=1)[:, ::-1]
        g = np.einsum("rh,rhd->rd", togo, psi)
        first = g * np.einsum("rhd,rd->r", psi, v)[:, None]
        return first + self._curvature(theta, traj, togo, v)

    def _curvature(self, theta, traj, togo, v):
        r""":math:`\sum_t R_t \nabla^2\log\pi(a_t|s_t) v` (independent of the action)."""
        pi = np.exp(self.log_policy(theta))  # (R, S, A)
        rows = np.arange(theta.shape[0])[:, None]
        p = pi[rows, traj.states]  # (R, H, A)
        f = self.phi[traj.states]  # (R, H, A, d)
        fv = np.einsum("rhad,rd->rha", f, v)
        mean_f = np.einsum("rha,rhad->rhd", p, f)
        cov_v = np.einsum("rha,rhad,rha->rhd", p, f, fv) - mean_f * np.einsum(
            "rha,rha->rh", p, fv)[..., None]
        return -np.einsum("rh,rhd->rd", togo, cov_v)
