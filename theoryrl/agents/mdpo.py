r"""Policy mirror descent, exact form (MDPO; NE-TRPO; PMD; regularised NPG).

With the negative-entropy mirror map, one mirror-descent step on the
discounted return of a tabular MDP has, at every state, the closed form

.. math::

    \pi_{k+1}(a \mid s) \propto \pi_k(a \mid s)^{1 - \lambda t_k}
    \exp\big(t_k\, Q_\lambda^{\pi_k}(s, a)\big), \qquad 0 \le \lambda t_k \le 1,

the maximiser of :math:`\langle p, Q^{\pi_k}_\lambda(s, \cdot)\rangle
- \tfrac1{t_k}\mathrm{KL}(p \,\|\, \pi_k(\cdot|s)) + \lambda \mathcal H(p)`
(Tomar, Shani, Efroni and Ghavamzadeh 2022, Sec. 3, Eq. 4; Shani, Efroni and
Mannor 2020, Alg. 3; with :math:`\lambda = 0` the policy mirror descent of
Xiao 2022, Eq. 37). :math:`Q_\lambda` are the soft values of the
entropy-regularised MDP with reward :math:`r - \lambda \log \pi` (plain values
for :math:`\lambda = 0`); :math:`\lambda t = 1` is soft policy iteration.

Step sizes are all expressed as :math:`t`, the multiplier of Q in the
exponent: NPG's :math:`\eta` (Agarwal et al. 2021; Cen et al. 2021) is
:math:`t = \eta / (1 - \gamma)`. Policies are stored as logarithms and
normalised with ``logsumexp``, so geometric step sizes never underflow.

Everything is exact: values by linear solves, optima by policy iteration or
soft value iteration with a certified error. The theorems' bounds are plain
functions here (``*_bound``); ``docs/theory/mdpo.md`` states each with its
source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._special import logsumexp
from .._validation import as_float_array, check_int, check_kernel, check_open_unit, check_positive
from ..planning import ConvergenceError, policy_iteration

__all__ = [
    "MirrorDescentResult", "SoftOptimum", "cen_bound", "constant_step_bound",
    "geometric_step_bound", "mdpo_inner_sgd", "mirror_descent_step", "policy_mirror_descent",
    "regularisation_bias_bound", "schedule", "soft_evaluate", "soft_optimum",
]


def _check_mdp(P, R, gamma) -> tuple[np.ndarray, np.ndarray, float]:
    P = check_kernel(P, "P")
    if P.ndim != 3:
        raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
    R = as_float_array(R, "R")
    if R.shape != P.shape[:2]:
        raise ValueError(f"R must have shape {P.shape[:2]}, got {R.shape}")
    return P, R, check_open_unit(gamma, "gamma")


def soft_evaluate(P: np.ndarray, R: np.ndarray, gamma: float, logpi: np.ndarray,
                  reg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact (soft) values of a stochastic policy.

    .. math::

        V_\lambda^\pi = (I - \gamma P_\pi)^{-1}\Big(r_\pi - \lambda \sum_a \pi(a|\cdot)
        \log \pi(a|\cdot)\Big), \qquad Q_\lambda^\pi = r + \gamma P V_\lambda^\pi .

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition kernel.
    R : ndarray, shape (S, A)
        Rewards.
    gamma : float
        Discount factor in (0, 1).
    logpi : ndarray, shape (S, A)
        Log-probabilities of the policy (``-inf`` for actions never taken).
    reg : float, optional
        Entropy weight :math:`\lambda \ge 0`.

    Returns
    -------
    V : ndarray, shape (S,)
        :math:`V_\lambda^\pi`.
    Q : ndarray, shape (S, A)
        :math:`Q_\lambda^\pi`.
    """
    pi = np.exp(logpi)
    S = P.shape[0]
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = (pi * R).sum(axis=1)
    if reg:
        r_pi = r_pi - reg * (pi * np.where(pi > 0, logpi, 0.0)).sum(axis=1)
    V = np.linalg.solve(np.eye(S) - gamma * P_pi, r_pi)
    return V, R + gamma * P @ V


@dataclass(frozen=True)
class SoftOptimum:
    r"""Optimal soft values and policy.

    Attributes
    ----------
    V : ndarray, shape (S,)
        :math:`V^*_\lambda`, within ``error`` in sup norm.
    Q : ndarray, shape (S, A)
        :math:`Q^*_\lambda`.
    logpi : ndarray, shape (S, A)
        :math:`\log \pi^*_\lambda` (``-inf`` off the greedy action when
        :math:`\lambda = 0`).
    error : float
        Certified bound on :math:`\|V - V^*_\lambda\|_\infty`.
    """

    V: np.ndarray
    Q: np.ndarray
    logpi: np.ndarray
    error: float


def soft_optimum(P, R, gamma: float, reg: float = 0.0, epsilon: float = 1e-12,
                 max_iter: int = 100_000) -> SoftOptimum:
    r"""Optimal (soft) values :math:`V^*_\lambda`, :math:`Q^*_\lambda` and policy.

    For :math:`\lambda = 0`: policy iteration (exact; a deterministic optimal
    policy, its log with ``-inf`` off the chosen action). For
    :math:`\lambda > 0`: soft value iteration
    :math:`V \leftarrow \lambda \log \sum_a \exp\big((r + \gamma P V)/\lambda\big)`,
    a :math:`\gamma`-contraction, stopped at the certified error ``epsilon``;
    :math:`\pi^*_\lambda \propto \exp(Q^*_\lambda / \lambda)`.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        Transition kernel.
    R : array_like, shape (S, A)
        Rewards.
    gamma : float
        Discount factor in (0, 1).
    reg : float, optional
        Entropy weight :math:`\lambda \ge 0`.
    epsilon : float, optional
        Target sup-norm error of ``V`` (soft case).
    max_iter : int, optional
        Budget of soft backups.

    Returns
    -------
    SoftOptimum
        :math:`V^*_\lambda`, :math:`Q^*_\lambda`, :math:`\log\pi^*_\lambda` and the
        certified error of ``V``.
    """
    P, R, gamma = _check_mdp(P, R, gamma)
    reg = check_positive(reg, "reg", allow_zero=True)
    if reg == 0.0:
        sol = policy_iteration(P, R, gamma)
        logpi = np.full(R.shape, -np.inf)
        logpi[np.arange(R.shape[0]), sol.policy] = 0.0
        return SoftOptimum(sol.V, sol.Q, logpi, float(sol.error))
    V = np.zeros(R.shape[0])
    for _ in range(max_iter):
        Q = R + gamma * P @ V
        Vn = reg * logsumexp(Q / reg, axis=1)
        bound = gamma * float(np.abs(Vn - V).max()) / (1.0 - gamma)
        V = Vn
        if bound <= epsilon:
            Q = R + gamma * P @ V
            return SoftOptimum(V, Q, Q / reg - logsumexp(Q / reg, axis=1, keepdims=True),
                               bound)
    raise ConvergenceError(f"soft value iteration did not reach epsilon={epsilon:g}")


def mirror_descent_step(logpi: np.ndarray, Q: np.ndarray, t: float, reg: float = 0.0
                        ) -> np.ndarray:
    r"""One closed-form step :math:`\log\pi_{k+1} = (1 - \lambda t)\log\pi_k + t Q`,
    normalised per state.

    Parameters
    ----------
    logpi : ndarray, shape (S, A)
        :math:`\log \pi_k`.
    Q : ndarray, shape (S, A)
        :math:`Q_\lambda^{\pi_k}`.
    t : float
        Step size, positive, with :math:`\lambda t \le 1`.
    reg : float, optional
        Entropy weight :math:`\lambda`.

    Returns
    -------
    ndarray, shape (S, A)
        :math:`\log \pi_{k+1}`.

    Examples
    --------
    >>> import numpy as np
    >>> logpi = np.log(np.full((1, 2), 0.5))
    >>> np.exp(mirror_descent_step(logpi, np.array([[np.log(3.0), 0.0]]), 1.0))
    array([[0.75, 0.25]])
    """
    if reg * t > 1.0 + 1e-12:
        raise ValueError(f"reg * t must be at most 1 (the memory exponent 1 - reg*t turns "
                         f"negative), got {reg * t:g}")
    with np.errstate(invalid="ignore"):  # (1 - 1) * -inf: a forgotten zero action
        mem = np.where(np.isneginf(logpi) & (reg * t == 1.0), 0.0, (1.0 - reg * t) * logpi)
    logits = mem + t * Q
    # log-sum-exp by hand (scipy's spends most of a step on checks): every state
    # keeps one finite logit, so the shift by its maximum is finite
    top = logits.max(axis=1, keepdims=True)
    return logits - (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))


def schedule(name: str, **kw) -> Callable[[int], float]:
    r"""Step-size schedules :math:`k \mapsto t_k` of the analyses.

    ``"constant"`` (``t``): Agarwal et al. (2021), Thm 16; Xiao (2022), Thm 8.
    ``"geometric"`` (``t0``, ``gamma``): :math:`t_k = t_0 / \gamma^k`, Xiao
    (2022), Thm 10. ``"shani_unreg"`` (``gamma``, ``c_max``):
    :math:`t_k = (1-\gamma) / (c_{\max} \sqrt{k+1})`, and ``"shani_reg"``
    (``reg``): :math:`t_k = 1/(\lambda (k + 2))`, Shani, Efroni and Mannor
    (2020), Thm 2. ``"cen"`` (``eta``, ``gamma``): :math:`t = \eta/(1-\gamma)`,
    Cen et al. (2021), Thm 1. ``"mdpo_anneal"`` (``K``): :math:`t_k = 1 - k/K`,
    the deep MDPO code's schedule (no tabular guarantee).

    Parameters
    ----------
    name : str
        One of the names above.
    **kw
        The schedule's parameters.

    Returns
    -------
    callable
        ``step(k) -> t_k`` for ``k = 0, 1, ...``.
    """
    if name == "constant":
        t = check_positive(kw["t"], "t")
        return lambda k: t
    if name == "geometric":
        t0, g = check_positive(kw["t0"], "t0"), check_open_unit(kw["gamma"], "gamma")
        return lambda k: t0 / g ** k
    if name == "shani_unreg":
        g, c = check_open_unit(kw["gamma"], "gamma"), check_positive(kw["c_max"], "c_max")
        return lambda k: (1.0 - g) / (c * np.sqrt(k + 1.0))
    if name == "shani_reg":
        lam = check_positive(kw["reg"], "reg")
        return lambda k: 1.0 / (lam * (k + 2.0))
    if name == "cen":
        eta, g = check_positive(kw["eta"], "eta"), check_open_unit(kw["gamma"], "gamma")
        return lambda k: eta / (1.0 - g)
    if name == "mdpo_anneal":
        K = check_int(kw["K"], "K", low=1)
        return lambda k: max(1.0 - k / K, 1e-12)
    names = ["constant", "geometric", "shani_unreg", "shani_reg", "cen", "mdpo_anneal"]
    raise ValueError(f"name must be one of {names}, got {name!r}")


@dataclass(frozen=True)
class MirrorDescentResult:
    r"""Iterates of :func:`policy_mirror_descent`.

    Attributes
    ----------
    logpi : ndarray, shape (K + 1, S, A)
        :math:`\log \pi_0, \dots, \log \pi_K`.
    V : ndarray, shape (K + 1, S)
        Exact (soft) values of each iterate.
    steps : ndarray, shape (K,)
        The step sizes used.
    """

    logpi: np.ndarray
    V: np.ndarray
    steps: np.ndarray


def policy_mirror_descent(P, R, gamma: float, iterations: int, step, reg: float = 0.0,
                          partial: int | None = None, logpi0=None) -> MirrorDescentResult:
    r"""Exact policy mirror descent / NE-TRPO / regularised NPG.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        Transition kernel.
    R : array_like, shape (S, A)
        Rewards.
    gamma : float
        Discount factor in (0, 1).
    iterations : int
        Number of steps :math:`K`.
    step : float or callable
        A constant :math:`t` or a schedule ``k -> t_k`` (see :func:`schedule`).
    reg : float, optional
        Entropy weight :math:`\lambda \ge 0`; the iterates converge to
        :math:`\pi^*_\lambda`.
    partial : int, optional
        If given, the MD-MPI form of Geist, Scherrer and Pietquin (2019),
        Sec. 5: :math:`Q` comes from ``partial`` soft Bellman backups of the
        current policy applied to the previous value estimate instead of an
        exact evaluation (the reported ``V`` stay exact).
    logpi0 : array_like, shape (S, A), optional
        Initial log-policy (default: uniform).

    Returns
    -------
    MirrorDescentResult
        The log-policies, their exact values and the step sizes.
    """
    P, R, gamma = _check_mdp(P, R, gamma)
    K = check_int(iterations, "iterations", low=0)
    reg = check_positive(reg, "reg", allow_zero=True)
    if partial is not None:
        partial = check_int(partial, "partial", low=1)
    if callable(step):
        step_fn = step
    else:
        t_const = check_positive(step, "step")
        step_fn = lambda k: t_const  # noqa: E731
    S, A = R.shape
    logpi = (np.full((S, A), -np.log(A)) if logpi0 is None
             else np.array(logpi0, dtype=float, copy=True))
    logs, values, steps = [logpi], [], []
    v_est = np.zeros(S)
    for k in range(K + 1):
        V, Q = soft_evaluate(P, R, gamma, logpi, reg)
        values.append(V)
        if k == K:
            break
        if partial is not None:
            pi = np.exp(logpi)
            ent = -(pi * np.where(pi > 0, logpi, 0.0)).sum(axis=1)
            for _ in range(partial):
                v_est = (pi * (R + gamma * P @ v_est)).sum(axis=1) + reg * ent
            Q = R + gamma * P @ v_est
        t = float(step_fn(k))
        steps.append(t)
        logpi = mirror_descent_step(logpi, Q, t, reg)
        logs.append(logpi)
    return MirrorDescentResult(np.array(logs), np.array(values), np.array(steps))


def mdpo_inner_sgd(logpi_k: np.ndarray, adv: np.ndarray, t: float, weights: np.ndarray,
                   sgd_steps: int, lr: float | None = None) -> np.ndarray:
    r"""MDPO's practical update: ``sgd_steps`` gradient steps on the softmax logits.

    Maximises the state-weighted surrogate (Tomar et al. 2022, Sec. 4.1, Eq. 5)

    .. math::

        \sum_s d(s) \Big[\sum_a \pi_w(a|s) A(s,a)
        - \tfrac1t \mathrm{KL}\big(\pi_w(\cdot|s) \,\|\, \pi_k(\cdot|s)\big)\Big]

    from :math:`w = \log \pi_k`, with the exact gradient
    :math:`\partial_{w_{s,a}} = \tfrac{d(s)}{t}\pi_w(a|s)\big[t A(s,a)
    - t\,\pi_w(\cdot|s)^\top A(s,\cdot) - \log\tfrac{\pi_w}{\pi_k}(a|s)
    + \mathrm{KL}_s\big]`. As ``sgd_steps`` grows the result tends to the
    closed form :func:`mirror_descent_step` at every state with :math:`d(s) > 0`;
    states with :math:`d(s) = 0` are left unchanged.

    Parameters
    ----------
    logpi_k : ndarray, shape (S, A)
        :math:`\log \pi_k` (finite entries).
    adv : ndarray, shape (S, A)
        Advantages (or Q values) of :math:`\pi_k`.
    t : float
        Step size of the proximal objective.
    weights : ndarray, shape (S,)
        State weights :math:`d(s) \ge 0`.
    sgd_steps : int
        Number of gradient steps :math:`m`.
    lr : float, optional
        Learning rate (default ``2 t / max(d)``: the KL term's curvature is at
        most :math:`d(s) / (4t)` per logit, so this step stays well inside the
        region where gradient ascent is stable).

    Returns
    -------
    ndarray, shape (S, A)
        :math:`\log \pi_w` after the steps.
    """
    d = as_float_array(weights, "weights")
    m = check_int(sgd_steps, "sgd_steps", low=0)
    lr = 2.0 * t / float(d.max()) if lr is None else check_positive(lr, "lr")
    w = np.array(logpi_k, dtype=float, copy=True)
    for _ in range(m):
        lw = w - logsumexp(w, axis=1, keepdims=True)
        pw = np.exp(lw)
        diff = lw - logpi_k
        kl = (pw * diff).sum(axis=1, keepdims=True)
        base = (pw * adv).sum(axis=1, keepdims=True)
        grad = (d[:, None] / t) * pw * (t * adv - t * base - diff + kl)
        w = w + lr * grad
    return w - logsumexp(w, axis=1, keepdims=True)


# ----------------------------------------------------------------------- bounds
def constant_step_bound(k: int, t: float, gamma: float, n_actions: int) -> float:
    r"""Constant step, uniform :math:`\pi_0` (Agarwal et al. 2021, Thm 16; Xiao 2022, Thm 8):

    .. math::

        V^*(s) - V^{\pi_k}(s) \le \frac{\log|A|}{(1-\gamma)\, t\, k}
        + \frac{1}{(1-\gamma)^2 k}, \qquad k \ge 1,

    for rewards in [0, 1], at every state.

    Parameters
    ----------
    k : int
        Iteration, at least 1.
    t : float
        The constant step size.
    gamma : float
        Discount factor.
    n_actions : int
        Number of actions :math:`|A|`.

    Returns
    -------
    float
        The bound on :math:`\max_s V^*(s) - V^{\pi_k}(s)`.
    """
    return np.log(n_actions) / ((1 - gamma) * t * k) + 1.0 / ((1 - gamma) ** 2 * k)


def geometric_step_bound(k: int, gamma: float, theta: float) -> float:
    r"""Geometric steps (Xiao 2022, Thm 10): with :math:`t_{k+1} \ge t_k/\gamma` and
    :math:`t_0 \ge \frac{1-\gamma}{\gamma}\log|A|`,
    :math:`\rho^\top(V^* - V^{\pi_k}) \le (1 - 1/\vartheta_\rho)^k \frac{2}{1-\gamma}`,
    where :math:`\vartheta_\rho = \|d_\rho^{\pi^*}/\rho\|_\infty / (1-\gamma)`
    (rewards in [0, 1]).

    Parameters
    ----------
    k : int
        Iteration.
    gamma : float
        Discount factor.
    theta : float
        :math:`\vartheta_\rho`.

    Returns
    -------
    float
        The bound on :math:`\rho^\top(V^* - V^{\pi_k})`.
    """
    return (1.0 - 1.0 / theta) ** k * 2.0 / (1.0 - gamma)


def cen_bound(k: int, eta: float, reg: float, c1: float, gamma: float) -> float:
    r"""Entropy-regularised NPG (Cen et al. 2021, Thm 1), :math:`0 < \eta \le (1-\gamma)/\lambda`:
    :math:`\|Q^*_\lambda - Q^{(k+1)}_\lambda\|_\infty \le C_1 \gamma (1 - \eta\lambda)^k`
    with :math:`C_1 = \|Q^*_\lambda - Q^{(0)}_\lambda\|_\infty
    + 2\lambda(1 - \frac{\eta\lambda}{1-\gamma})\|\log\pi^*_\lambda - \log\pi^{(0)}\|_\infty`.

    Parameters
    ----------
    k : int
        Iteration (the bound is on iterate ``k + 1``).
    eta : float
        NPG step size :math:`\eta` (our :math:`t = \eta/(1-\gamma)`).
    reg : float
        Entropy weight :math:`\lambda`.
    c1 : float
        The constant :math:`C_1` above.
    gamma : float
        Discount factor.

    Returns
    -------
    float
        The bound on :math:`\|Q^*_\lambda - Q^{(k+1)}_\lambda\|_\infty`.
    """
    return c1 * gamma * (1.0 - eta * reg) ** k


def regularisation_bias_bound(reg: float, gamma: float, n_actions: int) -> float:
    r""":math:`V^* - V^{\pi^*_\lambda} \le \lambda \log|A| / (1 - \gamma)` (Geist, Scherrer
    and Pietquin 2019, Thm 2, with the entropy's range :math:`\lambda\log|A|`).

    Parameters
    ----------
    reg : float
        Entropy weight :math:`\lambda`.
    gamma : float
        Discount factor.
    n_actions : int
        Number of actions.

    Returns
    -------
    float
        The bound, valid at every state.
    """
    return reg * np.log(n_actions) / (1.0 - gamma)
