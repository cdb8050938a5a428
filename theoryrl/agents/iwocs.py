r"""IWOCS: robust MDPs solved as a sequence of static (non-robust) MDPs.

Zouitine, Geist and Rachelson (2024), *Solving robust MDPs as a sequence of
static RL problems*, arXiv:2410.06212, Sec. 4, Algorithm 1. For an
(s, a)-rectangular set :math:`\mathcal T` the robust value at the start is the
smallest optimal value over the static models,
:math:`V^*_{\mathcal T}(s_0) = \min_{T \in \mathcal T} V^*_T(s_0)` (their
Sec. 2, from Iyengar 2005, Lemma 3.3, and Wiesemann, Kuhn and Rustem 2013,
Prop. 9). IWOCS searches that outer minimum incrementally:

.. math::

    Q_i = \min_{j \le i} Q^*_{T_j}, \qquad \pi_i = \arg\max_a Q_i, \qquad
    T_{i+1} \in \arg\min_{T \in \mathcal T} V^{\pi_i}_T(s_0),

and stops when :math:`U_i - L_i \le \varepsilon` with
:math:`U_i = \max_a Q_i(s_0, a)` and :math:`L_i = V^{\pi_i}_{T_{i+1}}(s_0)`.
Property 1 (:math:`Q_i \ge Q^*_{\mathcal T}`) and Property 2
(:math:`Q_{i+1} \le Q_i`) of the paper make :math:`[L_i, U_i]` a certificate
containing :math:`V^*_{\mathcal T}(s_0)` on rectangular sets; see
``docs/theory/iwocs.md`` for the derivation and for the variant
``"rect"``, ours, which replaces the pointwise minimum by robust value
iteration over the rectangular hull of the models found so far and therefore
cannot stall.

Everything is exact: each static MDP is solved by policy iteration and each
worst-case search is an exact robust policy evaluation (or an exact
evaluation of every member of a finite model family).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (
    as_float_array,
    check_distribution,
    check_int,
    check_open_unit,
    check_positive,
)
from ..planning import policy_iteration
from ..robust import (
    FiniteSet,
    ModelFamily,
    robust_policy_evaluation,
    robust_value_iteration,
    static_value,
)

__all__ = ["IWOCSResult", "iwocs", "monte_carlo_values"]

_VARIANTS = ("paper", "rect")


@dataclass(frozen=True)
class IWOCSResult:
    r"""Outcome of :func:`iwocs`.

    Attributes
    ----------
    policy : ndarray of int, shape (S,)
        The last greedy policy :math:`\pi_i`.
    model : ndarray, shape (S, A, S)
        Its worst-case static model :math:`T_{i+1}`.
    value : float
        :math:`L_i = \mu^\top V^{\pi_i}_{T_{i+1}}`, the policy's robust value
        at the start distribution :math:`\mu` (exact).
    status : str
        ``"converged"`` (:math:`U_i - L_i \le \varepsilon`), ``"stalled"``
        (:math:`T_{i+1}` was already among the models, with a gap above
        :math:`\varepsilon`) or ``"maxiter"``.
    upper, lower : ndarray, shape (iterations,)
        :math:`U_i` and :math:`L_i` at every iteration.
    models : tuple of ndarray
        :math:`T_0, T_1, \dots` in the order they were added.
    Q : tuple of ndarray
        :math:`Q_i` (S, A) at every iteration.
    """

    policy: np.ndarray
    model: np.ndarray
    value: float
    status: str
    upper: np.ndarray
    lower: np.ndarray
    models: tuple
    Q: tuple

    @property
    def iterations(self) -> int:
        """Number of iterations run."""
        return int(self.upper.shape[0])

    @property
    def gap(self) -> float:
        """The last certificate width :math:`U_i - L_i`."""
        return float(self.upper[-1] - self.lower[-1])


def _start(init, S: int) -> np.ndarray:
    if isinstance(init, (int, np.integer)) and not isinstance(init, bool):
        if not 0 <= int(init) < S:
            raise ValueError(f"init must be a state in [0, {S}), got {init}")
        mu = np.zeros(S)
        mu[int(init)] = 1.0
        return mu
    return check_distribution(init, "init", size=S)


def monte_carlo_values(models: np.ndarray, R: np.ndarray, gamma: float, policy: np.ndarray,
                       init: int, rollouts: int, rng: np.random.Generator,
                       horizon: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Monte-Carlo estimates of :math:`V^\pi_{T_k}(s_0)` for every model, as in the
    paper's tabular experiment (Zouitine, Geist and Rachelson 2024, Appendix E:
    300 rollouts per model).

    Rollouts end in absorbing zero-reward states (the goal of a stochastic
    shortest path) or are truncated at ``horizon`` steps (default: the first
    :math:`L` with :math:`\gamma^L \max|r| / (1 - \gamma) \le 10^{-8}`).

    Parameters
    ----------
    models : ndarray, shape (K, S, A, S)
        Static models.
    R : ndarray, shape (S, A)
        Rewards.
    gamma : float
        Discount factor.
    policy : ndarray of int, shape (S,)
        Deterministic policy.
    init : int
        Start state.
    rollouts : int
        Rollouts per model.
    rng : numpy.random.Generator
        Source of randomness.
    horizon : int, optional
        Truncation length.

    Returns
    -------
    mean, stderr : ndarray, shape (K,)
        Sample means of the discounted returns and their standard errors.
    """
    models = np.asarray(models, dtype=float)
    K, S = models.shape[0], models.shape[1]
    rollouts = check_int(rollouts, "rollouts", low=2)
    if horizon is None:
        scale = max(float(np.abs(R).max()), 1e-300) / (1.0 - gamma)
        horizon = max(1, int(np.ceil(np.log(1e-8 / scale) / np.log(gamma))))
    cum = np.cumsum(models[:, np.arange(S), policy], axis=-1)  # (K, S, S)
    r_pi = R[np.arange(S), policy]
    state = np.full((K, rollouts), int(init))
    ret = np.zeros((K, rollouts))
    k_idx = np.arange(K)[:, None]
    P_pi = models[:, np.arange(S), policy]
    # states that keep the return fixed forever (zero reward, absorbing in every model)
    done = (r_pi == 0.0) & np.all(P_pi[:, np.arange(S), np.arange(S)] == 1.0, axis=0)
    disc = 1.0
    for _ in range(horizon):
        if done[state].all():
            break
        ret += disc * r_pi[state]
        rows = cum[k_idx, state]  # (K, n, S)
        u = rng.random((K, rollouts, 1)) * rows[..., -1:]
        state = np.minimum((rows <= u).sum(axis=-1), S - 1)
        disc *= gamma
    return ret.mean(axis=1), ret.std(axis=1, ddof=1) / np.sqrt(rollouts)


def _worst_case(uset, R, gamma, pi, mu):
    """``T_{i+1}`` and ``L_i`` for the policy ``pi``."""
    if isinstance(uset, ModelFamily):  # brute force: exact value of every member
        vals = np.array([mu @ static_value(T, R, gamma, pi) for T in uset.models])
        k = int(np.argmin(vals))  # ties: the lowest index
        return uset.models[k].copy(), float(vals[k])
    ev = robust_policy_evaluation(uset, R, gamma, pi)
    return ev.worst, float(mu @ ev.V)


def iwocs(uset, R, gamma: float, init=0, *, T0=None, epsilon: float = 1e-8,
          max_iter: int = 100, variant: str = "paper", vi_epsilon: float = 1e-12
          ) -> IWOCSResult:
    r"""Incremental worst-case search (Zouitine, Geist and Rachelson 2024, Algorithm 1).

    Parameters
    ----------
    uset : FiniteSet, L1Ball, KLBall or ModelFamily
        The uncertainty set. For rectangular sets the worst case of a policy is
        found by exact robust policy evaluation; for a :class:`ModelFamily`
        (not rectangular in general) by evaluating every member exactly, as in
        the paper's tabular experiment (Appendix E) with exact values in place
        of Monte-Carlo rollouts.
    R : array_like, shape (S, A)
        Rewards (any finite values; the paper's windy walk uses -1 per step).
    gamma : float
        Discount factor in (0, 1).
    init : int or array_like, shape (S,), optional
        The start state :math:`s_0` or a start distribution :math:`\mu`;
        :math:`U_i`, :math:`L_i` are :math:`\mu`-weighted.
    T0 : ndarray, shape (S, A, S), optional
        The first model (default: the first member of a family, the centre of
        a ball, the first candidate of a finite set).
    epsilon : float, optional
        Stop when :math:`U_i - L_i \le \varepsilon`.
    max_iter : int, optional
        At most this many iterations.
    variant : {"paper", "rect"}, optional
        ``"paper"``: :math:`Q_i` is the pointwise minimum of the models'
        optimal Q (Algorithm 1). ``"rect"``: :math:`Q_i` is the robust Q of the
        rectangular hull of the models found so far (robust value iteration to
        ``vi_epsilon``); on finite sets and L1 balls it terminates with a
        robust-optimal policy at every state.
    vi_epsilon : float, optional
        Accuracy of the robust value iteration of ``variant="rect"``.

    Returns
    -------
    IWOCSResult
        The last policy and its worst-case model, its robust value, the
        status, the certificate history and the models found.

    Examples
    --------
    >>> import numpy as np
    >>> from theoryrl.robust import FiniteSet
    >>> C = np.zeros((2, 2, 2, 2))
    >>> C[:, :, 0, 0] = 1.0                      # candidate 0: go to state 0
    >>> C[:, :, 1, :] = 0.5                      # candidate 1: a fair coin
    >>> R = np.array([[1.0, 0.0], [0.0, 0.5]])
    >>> res = iwocs(FiniteSet(C), R, 0.9)
    >>> res.status, round(res.value, 6)
    ('converged', 7.75)
    """
    if variant not in _VARIANTS:
        raise ValueError(f"variant must be one of {list(_VARIANTS)}, got {variant!r}")
    if not hasattr(uset, "shape"):
        raise TypeError("uset must be a FiniteSet, L1Ball, KLBall or ModelFamily, "
                        f"got {type(uset).__name__}")
    R = as_float_array(R, "R")
    S, A = uset.shape
    if R.shape != (S, A):
        raise ValueError(f"R must have shape ({S}, {A}), got {R.shape}")
    gamma = check_open_unit(gamma, "gamma")
    mu = _start(init, S)
    epsilon = check_positive(epsilon, "epsilon")
    max_iter = check_int(max_iter, "max_iter", low=1)
    if T0 is None:
        if isinstance(uset, ModelFamily):
            T0 = uset.models[0]
        elif isinstance(uset, FiniteSet):
            T0 = uset.C[:, :, 0]
        else:
            T0 = uset.P
    models = [np.array(T0, dtype=float)]
    qstar = [policy_iteration(models[0], R, gamma).Q]
    upper, lower, Qs = [], [], []
    status = "maxiter"
    for _ in range(max_iter):
        if variant == "paper":
            Q = np.minimum.reduce(qstar)
        else:
            hull = FiniteSet(np.stack(models, axis=2))
            Q = robust_value_iteration(hull, R, gamma, epsilon=vi_epsilon).Q
        pi = np.argmax(Q, axis=1)
        T_next, L = _worst_case(uset, R, gamma, pi, mu)
        U = float(mu @ Q.max(axis=1))
        upper.append(U)
        lower.append(L)
        Qs.append(Q)
        if U - L <= epsilon:
            status = "converged"
            break
        if any(np.allclose(T_next, T, rtol=0.0, atol=1e-10) for T in models):
            status = "stalled"  # the paper's Property 2 allows it; recorded, not hidden
            break
        models.append(T_next)
        qstar.append(policy_iteration(T_next, R, gamma).Q)
    return IWOCSResult(pi, T_next, L, status, np.array(upper), np.array(lower),
                       tuple(models), tuple(Qs))
