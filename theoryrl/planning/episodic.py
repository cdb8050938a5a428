"""Finite-horizon planning and policy evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels

__all__ = ["EpisodicSolution", "backward_induction", "evaluate_policy", "as_stages"]


@dataclass(frozen=True)
class EpisodicSolution:
    """Optimal values ``V`` (H, S), ``Q`` (H, S, A) and a greedy ``policy`` (H, S)."""

    V: np.ndarray
    Q: np.ndarray
    policy: np.ndarray


def as_stages(x: np.ndarray, ndim: int) -> np.ndarray:
    """Add a leading stage axis of length 1 to a stationary array (a view)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    return x[None] if x.ndim == ndim else x


def backward_induction(P: np.ndarray, R: np.ndarray, horizon: int,
                       bonus: np.ndarray | None = None,
                       qmax: np.ndarray | float | None = None,
                       terminal: np.ndarray | None = None) -> EpisodicSolution:
    r"""Optimal values and a greedy policy of a finite-horizon MDP.

    For :math:`h = H-1, \dots, 0`, from :math:`V_H` (zero unless ``terminal``),

    .. math::

        Q_h(s, a) = \min\Big(q^{\max}_h,\; R_h(s, a) + b_h(s, a)
            + \sum_{s'} P_h(s' \mid s, a)\, V_{h+1}(s')\Big),
        \qquad V_h(s) = \max_a Q_h(s, a),

    the core of every optimistic algorithm (UCBVI adds a bonus ``b`` and clips
    at :math:`q^{\max}_h = H - h`, [1]_ Alg. 1). Ties go to the lowest action.

    Parameters
    ----------
    P : ndarray, shape (S, A, S) or (H, S, A, S)
        Transition kernel, stationary or stage-dependent. Trusted: validate with
        :class:`~theoryrl.models.TabularMDP` first.
    R : ndarray, shape (S, A) or (H, S, A)
        Mean rewards.
    horizon : int
        Number of stages H.
    bonus : ndarray, shape (S, A) or (H, S, A), optional
        Additive bonus; zero when omitted.
    qmax : float or ndarray of shape (H,), optional
        Upper clip of Q at each stage; no clip when omitted.
    terminal : ndarray, shape (S,), optional
        Terminal values :math:`V_H`.

    Returns
    -------
    EpisodicSolution

    References
    ----------
    .. [1] M. G. Azar, I. Osband, R. Munos, "Minimax regret bounds for
       reinforcement learning", ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> backward_induction(np.ones((1, 1, 1)), np.ones((1, 1)), 3).V[:, 0]
    array([3., 2., 1.])
    """
    P4 = as_stages(P, 3)
    R3 = as_stages(R, 2)
    H = int(horizon)
    S, A = P4.shape[1], P4.shape[2]
    B3 = np.zeros((1, S, A)) if bonus is None else as_stages(bonus, 2)
    if qmax is None:
        cap = np.full(H, np.inf)
    else:
        cap = np.ascontiguousarray(np.broadcast_to(np.asarray(qmax, dtype=np.float64), (H,)))
    V = np.zeros((H + 1, S))
    if terminal is not None:
        V[H] = terminal
    Q = np.empty((H, S, A))
    pi = np.empty((H, S), dtype=np.int64)
    _kernels.backward_induction(P4, R3, B3, cap, V, Q, pi)
    return EpisodicSolution(V[:H], Q, pi)


def evaluate_policy(P: np.ndarray, R: np.ndarray, policy: np.ndarray) -> np.ndarray:
    r"""Exact values :math:`V^\pi_h(s)`, shape (H, S), of a Markov policy.

    ``policy`` is an int array (H, S) (deterministic) or a float array
    (H, S, A) (stochastic), already validated;
    :math:`V^\pi_h(s) = \sum_a \pi_h(a|s)\,[R_h(s,a) + P_h(\cdot|s,a) V^\pi_{h+1}]`.
    """
    P4 = as_stages(P, 3)
    R3 = as_stages(R, 2)
    H, S = policy.shape[0], policy.shape[1]
    V = np.zeros((H + 1, S))
    if policy.ndim == 2:
        _kernels.evaluate_deterministic(P4, R3, np.ascontiguousarray(policy, np.int64), V)
    else:
        _kernels.evaluate_stochastic(P4, R3, np.ascontiguousarray(policy, np.float64), V)
    return V[:H]
