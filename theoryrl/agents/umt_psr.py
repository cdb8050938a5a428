r"""UMT-PSR: multi-task learning over POMDPs/PSRs, upstream and downstream.

Agents for finite joint model classes (:class:`~theoryrl.models.SharedSpecificClass`),
as reconstructed in docs/theory/umt_psr.md:

* :class:`UMTPSR` — upstream: joint MLE confidence set, pairwise additive
  distance planning, exploration policies :math:`\nu_h(\pi)`, certified
  stopping [V structure / R details / D finite instantiation];
  optional PSR-UCB-style planner with an elliptical bonus on TV
  (``planner="ucb_tv"``) [R bonus form / ? constants / D multi-task sum];
* :class:`IndependentPSR` — the single-task baseline (the same learner with
  ``N = 1``, OMLE-style reward-free disagreement search), run ``N`` times
  independently with :math:`\delta/N` each [D];
* :class:`DownstreamOMLE` — downstream OMLE with optimism and a certified
  stopping rule on a target class built from the upstream output [R/D];
* bound functions for Theorems 1–2 [R; polynomial factors are placeholders].

Agents follow the multi-task variant of the agent contract
(:class:`MultiTaskAgent`, :mod:`theoryrl.agents.base`): ``reset(rng)`` creates
the learning state, ``policy()`` returns the tasks and flat policy tensors to
play next (:class:`~theoryrl.agents.base.TaskPlays`), ``update(batch)``
receives the flat trajectory indices (:class:`~theoryrl.agents.base.TaskBatch`),
``done`` says when the certified stopping rule fired. They run through
:func:`theoryrl.experiment.run` on the true :class:`~theoryrl.models.TaskLaws`
(one seed: :func:`theoryrl.experiment.pomdp_driver.run_pomdp`).

References
----------
.. [1] R. Huang, Y. Cheng, J. Yang, V. Tan, Y. Liang, "Provable benefits of
   multi-task RL under non-Markovian decision making processes", ICLR 2024,
   arXiv:2310.13550.
.. [2] Q. Liu, P. Netrapalli, C. Szepesvári, C. Jin, "Optimistic MLE: a generic
   model-based algorithm for partially observable sequential decision
   making", arXiv:2209.14997.
.. [3] R. Huang, Y. Liang, J. Yang, "Provably efficient UCB-type algorithms for
   learning predictive state representations", arXiv:2307.00405 (PSR-UCB).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._validation import as_float_array, check_choice, check_int, check_open_unit, check_positive
from ..models.pomdp import Plan, exploration_tensor, maxsum, policy_tensor
from ..models.shared_specific import SharedSpecificClass
from . import _umt_psr_kernels as K
from .base import TaskBatch, TaskPlays

__all__ = [
    "ContainsTruth", "DownstreamOMLE", "IndependentPSR", "UMTPSR", "benefit_ratio", "beta_finite",
    "class_rank_gamma", "downstream_bound", "predictive_states", "single_task_bound",
    "ucb_tv_alpha", "ucb_tv_bonus", "upstream_bound",
]


# ----------------------------------------------------------------- bounds
def beta_finite(log_size: float, delta: float) -> float:
    r"""Confidence radius :math:`\beta = \log(|\Theta|/\delta)` for a finite class [D].

    Valid uniformly over all iterations: for fixed :math:`\theta` the
    likelihood ratio against :math:`\theta^*` is a non-negative martingale of
    mean at most 1 (policy factors cancel), so by Ville's inequality
    :math:`P(\exists k: L_k(\theta) - L_k(\theta^*) \ge \beta) \le e^{-\beta}`;
    a union bound over the class gives coverage :math:`\ge 1-\delta`.
    """
    delta = check_open_unit(delta, "delta")
    return float(log_size) + math.log(1.0 / delta)


def _poly(r: float, d: float, QA: float, A: float, H: float, gamma: float) -> float:
    # placeholder polynomial [?]: shape r*d * |A|^2 Q_A^2 H^2 / gamma^4
    return r * d * (A * QA) ** 2 * H ** 2 / gamma ** 4


def upstream_bound(N: int, r: int, d: int, QA: int, A: int, H: int, gamma: float,
                   eps: float, delta: float, log_bracket: float, K: int = 1,
                   c: float = 1.0, per_task: bool = True) -> float:
    r"""Theorem 1 of [1] (upstream), as reconstructed [V dependence on bracketing; R form].

    With probability at least :math:`1-\delta`, UMT-PSR outputs policies whose
    *average* sub-optimality over the ``N`` tasks is at most :math:`\varepsilon`
    after

    .. math::

        \text{per-task trajectories} \lesssim c \cdot \mathrm{poly}(r, d, Q_A, |A|, H, 1/\gamma)
        \cdot \frac{\beta^{(N)}}{N \varepsilon^2}, \qquad
        \beta^{(N)} = \log\frac{K\, N_\eta(\Theta_u)}{\delta}

    (total over tasks: ``N`` times that). The polynomial is a documented
    placeholder, :math:`r d\, |A|^2 Q_A^2 H^2 / \gamma^4` [?]; proof checks
    test only the :math:`\beta^{(N)}/N` dependence.
    """
    N = check_int(N, "N", low=1)
    eps = check_positive(eps, "eps")
    gamma = check_positive(gamma, "gamma")
    beta = float(log_bracket) + math.log(check_int(K, "K", low=1) / check_open_unit(delta,
                                                                                     "delta"))
    total = c * _poly(r, d, QA, A, H, gamma) * beta / eps ** 2
    return total / N if per_task else total


def single_task_bound(N: int, r: int, d: int, QA: int, A: int, H: int, gamma: float,
                      eps: float, delta: float, log_bracket_single: float, K: int = 1,
                      c: float = 1.0) -> float:
    r"""Per-task trajectories of ``N`` independent single-task learners [R].

    Each learner runs with :math:`\delta/N`, so
    :math:`\beta^{(1)} = \log(K N\, N_\eta(\Theta)/\delta)` and the per-task
    bound is :math:`c \cdot \mathrm{poly} \cdot \beta^{(1)}/\varepsilon^2`.
    """
    return upstream_bound(1, r, d, QA, A, H, gamma, eps, delta,
                          log_bracket_single + math.log(check_int(N, "N", low=1)), K, c)


def benefit_ratio(log_joint: float, log_single: float, N: int, delta: float) -> float:
    r"""Predicted per-task sample ratio, multi-task over independent (check C5) [D].

    .. math::

        \rho^*_N = \frac{\log(|\Theta_u|/\delta) / N}{\log(N |\Theta_s| / \delta)} ,

    the ratio of the confidence radii per task (the polynomial factors cancel).
    Multi-task learning helps in the bounds iff :math:`\rho^*_N < 1`.
    """
    N = check_int(N, "N", low=1)
    return beta_finite(log_joint, delta) / N / beta_finite(log_single + math.log(N), delta)


def downstream_bound(r: int, d: int, QA: int, A: int, H: int, gamma: float, eps: float,
                     delta: float, log_bracket_target: float, approx_error: float = 0.0,
                     K: int = 1, c: float = 1.0) -> float:
    r"""Theorem 2 of [1] (downstream OMLE), as reconstructed [V existence; R form].

    Trajectories to an :math:`\varepsilon`-optimal target policy:
    :math:`c \cdot \mathrm{poly} \cdot \beta_0 / \varepsilon^2` with
    :math:`\beta_0 = \log(K N_\eta(\hat\Theta_0)/\delta)` plus a term for the
    upstream approximation error (``approx_error``, added to :math:`\beta_0`;
    its exact divergence is unverified [?]).
    """
    beta0 = float(log_bracket_target) + math.log(check_int(K, "K", low=1)
                                                 / check_open_unit(delta, "delta"))
    gamma = check_positive(gamma, "gamma")
    eps = check_positive(eps, "eps")
    return c * _poly(r, d, QA, A, H, gamma) * (beta0 + float(approx_error)) / eps ** 2


# ------------------------------------------------- UCB-on-TV planner
def ucb_tv_alpha(beta: float, r: int, QA: int, H: int, gamma: float, c: float = 1.0) -> float:
    r"""Bonus scale :math:`\alpha` of the UCB-on-TV planner [R shape / ? constant].

    .. math::

        \alpha = c\,\Bigl(\sqrt{r} + \frac{Q_A \sqrt{H}}{\gamma}\Bigr)\sqrt{\beta} .

    The factor :math:`\sqrt r + Q_A\sqrt H/\gamma` is the one shown by the
    PSR-UCB TL;DR ([3]_) [V factor]; multiplying by :math:`\sqrt\beta` (the
    usual elliptical-potential radius) and the constant ``c = 1`` are our
    reconstruction [R/?]: PSR-UCB's exact settings of :math:`\alpha, \lambda,
    p_{\min}` could not be retrieved. Check ``ucb_tv_bound`` of
    ``proofs_checks/umt_psr.py`` measures whether the resulting bonus is
    optimistic.

    Parameters
    ----------
    beta : float
        Confidence radius :math:`\beta \ge 0` (e.g. :func:`beta_finite`).
    r : int
        PSR rank (:func:`class_rank_gamma`).
    QA : int
        Number of core-test action sequences :math:`Q_A` (1 for
        single-observation core tests).
    H : int
        Horizon.
    gamma : float
        Well-conditioning constant :math:`\gamma > 0`.
    c : float
        Constant [?].

    Returns
    -------
    float

    Examples
    --------
    >>> round(ucb_tv_alpha(4.0, r=1, QA=1, H=4, gamma=0.5), 6)
    10.0
    """
    beta = check_positive(beta, "beta", allow_zero=True)
    gamma = check_positive(gamma, "gamma")
    c = check_positive(c, "c", allow_zero=True)
    return c * (math.sqrt(check_int(r, "r", low=1))
                + check_int(QA, "QA", low=1) * math.sqrt(check_int(H, "H", low=1))
                / gamma) * math.sqrt(beta)


def predictive_states(cls: SharedSpecificClass) -> tuple[list, list]:
    r"""Predictive states and prefix probabilities of every single-task model, cached.

    With single-observation core tests (revealing tabular POMDPs)
    the normalised predictive state after a history
    :math:`\tau_h = (o_1, a_1, \dots, o_h, a_h)` is the next-observation law
    [D]

    .. math::

        \bar\psi_\theta(\tau_h) = \bigl[P_\theta(o_{h+1} = q \mid \tau_h)\bigr]_{q \in O}
        = \frac{\psi_\theta(\tau_h)}{P_\theta(\tau_h)}, \qquad
        \psi_\theta(\tau_h)[q] = P_\theta(\tau_h, o_{h+1} = q),

    read off the trajectory tensor, so it is defined for every class (for a
    non-revealing model it is the one-step prediction, not a sufficient
    statistic). :math:`\bar\psi_\theta(\tau_0)` is the law of :math:`o_1`.

    Parameters
    ----------
    cls : SharedSpecificClass

    Returns
    -------
    psi : list of H ndarrays
        ``psi[h]`` of shape ``(M, (O A)^h, O)``: :math:`\bar\psi_{\theta_m}(\tau_h)`
        for every model ``m`` and history ``tau_h`` (flat C-order index), a
        distribution where :math:`P_{\theta_m}(\tau_h) > 0` and zero elsewhere.
    pre : list of H ndarrays
        ``pre[h]`` of shape ``(M, (O A)^h)``: :math:`P_{\theta_m}(\tau_h)`.
    """
    key = ("psi_bar",)
    cache = cls._explore
    if key not in cache:
        O, A, H, M = cls.O, cls.A, cls.H, cls.M
        X = cls.P.reshape((M,) + (O, A) * H)
        psis, pres = [None] * H, [None] * H
        for h in range(H - 1, -1, -1):
            J = X[..., 0]  # drop a_{h+1} (irrelevant): joint law of (tau_h, o_{h+1})
            Jf = J.reshape(M, (O * A) ** h, O)
            pre = Jf.sum(-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                psis[h] = np.where(pre[..., None] > 0, Jf / pre[..., None], 0.0)
            pres[h] = pre
            X = J.sum(-1)  # law of tau_h, shape (M,) + (O, A) * h
        cache[key] = (psis, pres)
    return cache[key]


def ucb_tv_bonus(psi: list, counts: list, alpha: float, lam: float, O: int, A: int,
                 H: int) -> np.ndarray:
    r"""PSR-UCB bonus :math:`\hat b(\tau_H)` of one model on all trajectories [R].

    .. math::

        \hat U_h = \lambda I + \sum_{\tau_h \in D_h} \bar\psi(\tau_h)\bar\psi(\tau_h)^\top, \qquad
        \hat b(\tau_H) = \min\Bigl\{\alpha \sqrt{\textstyle\sum_{h=0}^{H-1}
        \|\bar\psi(\tau_h)\|^2_{\hat U_h^{-1}}},\ 1\Bigr\},

    where :math:`\tau_h` is the length-``h`` prefix of :math:`\tau_H` and
    :math:`D_h` the multiset of logged step-``h`` prefixes. In :class:`UMTPSR`
    these are the prefixes of the trajectories collected with
    :math:`\nu_{h+1}(\pi)`, which follow the planned policy on steps ``1..h``
    and play uniformly from step ``h+1`` on [R/D].

    Parameters
    ----------
    psi : list of H array_like
        ``psi[h]`` of shape ``lead + ((O A)^h, O)``: the model's predictive
        states (:func:`predictive_states`).
    counts : list of H array_like
        ``counts[h]`` of shape ``lead + ((O A)^h,)``: how many logged step-``h``
        prefixes equal each history.
    alpha : float
        Bonus scale :math:`\alpha \ge 0` (:func:`ucb_tv_alpha`).
    lam : float
        Ridge :math:`\lambda > 0`.
    O, A, H : int

    Returns
    -------
    ndarray, shape ``lead + (F,)``
        :math:`\hat b` on every flat trajectory index, batched over ``lead``.
    """
    alpha = check_positive(alpha, "alpha", allow_zero=True)
    lam = check_positive(lam, "lam")
    if len(psi) != H or len(counts) != H:
        raise ValueError(f"psi and counts must hold H={H} arrays, got {len(psi)} and "
                         f"{len(counts)}")
    lead = np.shape(counts[0])[:-1]
    s = np.zeros(lead + (O, A) * H)
    for h in range(H):
        P = np.asarray(psi[h], dtype=np.float64)
        c = np.asarray(counts[h], dtype=np.float64)
        if P.shape != lead + ((O * A) ** h, O) or c.shape != lead + ((O * A) ** h,):
            raise ValueError(f"psi[{h}] must have shape {lead + ((O * A) ** h, O)} and "
                             f"counts[{h}] {lead + ((O * A) ** h,)}, got {P.shape} and "
                             f"{c.shape}")
        U = lam * np.eye(O) + np.einsum("...ip,...i,...iq->...pq", P, c, P)
        q = np.einsum("...ip,...pq,...iq->...i", P, np.linalg.inv(U), P)
        s += q.reshape(lead + (O, A) * h + (1, 1) * (H - h))
    return np.minimum(alpha * np.sqrt(np.maximum(s, 0.0)), 1.0).reshape(lead + (-1,))


def class_rank_gamma(cls: SharedSpecificClass) -> tuple[int, float]:
    r"""PSR rank :math:`r` (max over the class) and well-conditioning :math:`\gamma` (min), cached.

    ``r`` is the largest rank of the dynamics matrices :math:`D_h` of the
    trajectory tensors (Definition 1 of [1]_ [V]); :math:`\gamma = 1/\max_h
    \|\mathbb O_h^+\|_{1\to1}` ([D], :meth:`POMDP.gamma
    <theoryrl.models.pomdp.POMDP.gamma>`) needs the POMDPs behind the class
    and is ``0.0`` when they are absent or some model is not revealing.

    Returns
    -------
    r : int
    gamma : float
    """
    key = ("rank_gamma",)
    if key not in cls._explore:
        O, A, H = cls.O, cls.A, cls.H
        Pf = cls.P.reshape(cls.M, cls.F)
        r = 1
        for h in range(1, H):
            D = Pf.reshape(cls.M, (O * A) ** h, -1)
            r = max(r, int(np.linalg.matrix_rank(D, tol=1e-10).max()))
        g = 0.0
        if cls.models is not None:
            g = min(m.gamma() for row in cls.models for m in row)
        cls._explore[key] = (r, float(g))
    return cls._explore[key]


# ----------------------------------------------------------------- agents
def _check_rewards(rewards, N: int, F: int) -> np.ndarray:
    R = as_float_array(rewards, "rewards")
    if R.shape != (N, F):
        raise ValueError(f"rewards must have shape (N, F) = ({N}, {F}), got {R.shape}")
    bad = (R < 0) | (R > 1)
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise ValueError(f"rewards{list(i)} must be in [0, 1] ({R[i]:.6g})")
    return R


def _explore_stack(cls: SharedSpecificClass, m: int, m2: int) -> np.ndarray:
    """(H, F): the exploration tensors nu_1..nu_H of the TV maximiser of (m, m2), cached."""
    key = ("nu", min(m, m2), max(m, m2))
    cache = cls._explore
    if key not in cache:
        pi = cls.tv_policy(m, m2).reshape((cls.O, cls.A) * cls.H)
        cache[key] = np.stack([exploration_tensor(pi, h, cls.O, cls.A, cls.H).ravel()
                               for h in range(1, cls.H + 1)])
    return cache[key]


def _explore_from_tables(tables: list, O: int, A: int, H: int) -> np.ndarray:
    r"""(N H, F): :math:`\nu_1..\nu_H` of the deterministic policies in batched max-sum tables.

    Row ``n H + h - 1`` is :math:`\nu_h(\pi_n)` (follow :math:`\pi_n` on steps
    ``1..h-1``, uniform from step ``h`` on), the same tensor as
    :func:`~theoryrl.models.pomdp.exploration_tensor` of the plan's policy [R/D].
    """
    N = tables[0].shape[0]
    onehots = [(np.asarray(t)[..., None] == np.arange(A)).astype(np.float64) for t in tables]
    out = np.empty((N, H, (O * A) ** H))
    for h in range(1, H + 1):  # nu_h: follow pi on steps < h, uniform from h on
        w = np.ones((N,))
        for j in range(h - 1):
            w = w[..., None, None] * onehots[j]
        w = w.reshape((N,) + (O, A) * (h - 1) + (1, 1) * (H - h + 1))
        out[:, h - 1] = np.broadcast_to(w, (N,) + (O, A) * H).reshape(N, -1) * float(A) ** -(
            H - h + 1)
    return out.reshape(N * H, -1)


class ContainsTruth:
    r"""``truth`` for :func:`~theoryrl.experiment.pomdp_driver.run_pomdp`: whether the
    agent's confidence set holds the true joint model ``(t, e_1..e_N)``.

    Calling it is ``agent.contains(t, e)``; the compiled runs of :class:`UMTPSR`
    and :class:`IndependentPSR` recognise it and track the same event inside
    their loop.

    Parameters
    ----------
    t : int
        True shared part.
    e : array_like of int, shape (N,)
        True task-specific parts.
    """

    def __init__(self, t: int, e) -> None:
        self.t = check_int(t, "t", low=0)
        e = np.asarray(e)
        if e.ndim != 1 or not np.issubdtype(e.dtype, np.integer) or (e < 0).any():
            raise ValueError(f"e must be a 1-D array of integers >= 0, got {e!r}")
        self.e = e.astype(np.int64)

    def __call__(self, agent) -> bool:
        return bool(agent.contains(self.t, self.e))


class _Uniforms:
    """The run's uniforms, drawn ahead in chunks for a compiled loop.

    ``rng.random(a)`` then ``rng.random(b)`` gives the same numbers as
    ``rng.random(a + b)``, so a loop that takes its uniforms from one buffer sees
    exactly the numbers the step-wise driver draws play by play; :meth:`settle`
    leaves ``rng`` right after the uniforms used.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.state = rng.bit_generator.state
        self.buf = np.empty(0)
        self.used = 0
        self.drawn = 0

    def take(self, n: int) -> np.ndarray:
        """A buffer whose first ``n`` (at least) entries are the next unused uniforms."""
        if self.buf.size < n:
            more = self.rng.random(n - self.buf.size)
            self.drawn += more.size
            self.buf = np.concatenate([self.buf, more]) if self.buf.size else more
        return self.buf

    def consume(self, k: int) -> None:
        self.buf = self.buf[k:]
        self.used += k

    def settle(self) -> None:
        if self.drawn == self.used:
            return
        self.rng.bit_generator.state = self.state
        left = self.used
        while left > 0:  # redraw what was used, in pieces of bounded memory
            k = min(left, 1 << 20)
            self.rng.random(k)
            left -= k


def _inherits(obj, base: type, names: tuple[str, ...]) -> bool:
    """Whether ``type(obj)`` keeps ``base``'s implementation of every method in ``names``."""
    return all(getattr(type(obj), n) is getattr(base, n) for n in names)


def _class_ok(cls: SharedSpecificClass) -> bool:
    return _inherits(cls, SharedSpecificClass, ("dmax", "tv_policy"))


def _scales_offsets(O: int, A: int, H: int) -> tuple[np.ndarray, np.ndarray]:
    # nu_h plays A^-(H-h+1) on the trajectories that follow pi before step h (as
    # exploration_tensor computes it); tables of step h hold (O A)^h O prefixes
    scale = np.array([float(A) ** -(H - h + 1) for h in range(1, H + 1)])
    toff = np.zeros(H + 1, dtype=np.int64)
    for h in range(H):
        toff[h + 1] = toff[h] + (O * A) ** h * O
    return scale, toff


def _track(truth, covered: bool | None, own_contains: bool) -> int | None:
    """Coverage flag for a compiled loop: -1 (not tracked), 0/1 (covered so far), or
    ``None`` when ``truth`` is a callable the loop cannot evaluate (``own_contains``:
    the agent keeps its class's ``contains``, which the loop repeats)."""
    if truth is None:
        return -1
    if not covered:
        return 0
    if type(truth) is ContainsTruth and own_contains:
        return 1
    return None


class MultiTaskAgent:
    """Base class of multi-task POMDP agents: the multi-task variant of the agent
    contract (module docstring, :mod:`theoryrl.agents.base`).

    Subclasses set ``N``, ``O``, ``A``, ``H`` and ``done``, and implement ``reset``,
    ``policy``, ``update``, ``info`` and ``output_policies``.
    """

    name = "multi_task_agent"
    N: int
    O: int
    A: int
    H: int
    done: bool = False

    def reset(self, rng: np.random.Generator | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def policy(self) -> TaskPlays:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, batch: TaskBatch) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def info(self) -> dict:
        """Diagnostics of the last iteration (none by default)."""
        return {}

    def output_policies(self) -> np.ndarray:  # pragma: no cover - abstract
        """(N, F): the policies the agent outputs when it stops."""
        raise NotImplementedError

    def params(self) -> dict:
        """Hyper-parameters for result metadata (public scalar attributes)."""
        return {k: v for k, v in vars(self).items()
                if not k.startswith("_") and isinstance(v, (int, float, str, bool))}


class _ClassAgent(MultiTaskAgent):
    """Shared bookkeeping of the agents on a :class:`SharedSpecificClass`."""

    def __init__(self, joint_class: SharedSpecificClass, rewards, eps: float, delta: float,
                 K_max: int = 100_000) -> None:
        if not isinstance(joint_class, SharedSpecificClass):
            raise TypeError(f"joint_class must be a SharedSpecificClass, got "
                            f"{type(joint_class).__name__}")
        self.cls = joint_class
        self.N = joint_class.N
        self.O, self.A, self.H = joint_class.O, joint_class.A, joint_class.H
        self.rewards = _check_rewards(rewards, self.N, joint_class.F)
        self.eps = check_positive(eps, "eps")
        self.delta = check_open_unit(delta, "delta")
        self.K_max = check_int(K_max, "K_max", low=1)
        self.done = False

    def output_policies(self) -> np.ndarray:
        r"""(N, F): :math:`\bar\pi_n = \arg\max_\pi V^\pi_{\bar\theta_n, R_n}` (output models)."""
        ms = self.output_models()
        return np.stack([self.cls.optimal(int(ms[n]), self.rewards[n]).tensor().ravel()
                         for n in range(self.N)])


class UMTPSR(_ClassAgent):
    r"""UMT-PSR upstream learner on a finite shared/specific joint class.

    Every iteration :math:`k`:

    1. joint confidence set :math:`B_k = \{\theta \in \Theta_u : L(\theta) \ge
       \max_{\Theta_u} L - \beta\}` with :math:`L(\theta) = \sum_n \sum_{\tau \in D_n}
       \log P_{\theta_n}(\tau)`, never enumerated: with the profiles
       :math:`b_n[t] = \max_e L_n[t, e]`, :math:`\Lambda[t] = \sum_n b_n[t]`,
       the exact conditional projections are
       :math:`B_n(t) = \{e : L_n[t, e] + \Lambda[t] - b_n[t] \ge L^* - \beta\}`;
    2. pairwise additive distance planning: :math:`\Delta_k = \max_{\theta, \theta' \in B_k}
       \sum_n \max_\pi \mathrm{TV}^\pi(\theta_n, \theta'_n)` — exactly when the
       projected product has at most ``exact_cap`` tuples, else the upper
       bound :math:`U = \max_{t, t'} \sum_n \max_{e \in B_n(t), e' \in B_n(t')}
       D[(t, e), (t', e')] \ge \Delta_k` (valid for stopping) [D];
    3. certified stop when :math:`\Delta_k \le N\varepsilon/2` (``criterion="average"``,
       the paper's goal) or :math:`\max_n(\cdot) \le \varepsilon/2` (``"max"``);
       output the joint MLE and its optimal policies [D];
    4. otherwise one trajectory per task and per :math:`h = 1..H` with
       :math:`\nu_h(\pi^k_n)`, :math:`\pi^k_n` the TV maximiser of the selected pair.

    ``planner="ucb_tv"`` replaces steps 2–4 by the PSR-UCB-style bonus of
    [3]_ [R form, ? constants]:

    a. :math:`\hat\theta^k` = the joint MLE restricted to models that give
       every logged trajectory of their task probability :math:`\ge p_{\min}`
       ("stable" MLE [R]; the full trajectory has the smallest probability of
       its prefixes, so this is a prefix condition); found from
       the profiles without enumerating :math:`\Theta_u`, low-index ties; the
       plain joint MLE if no joint model is stable;
    b. per task the elliptical bonus :math:`\hat b^k_n` of :func:`ucb_tv_bonus`,
       built from the predictive states :math:`\bar\psi_{\hat\theta^k_n}`
       (:func:`predictive_states`) of task ``n``'s own logged prefixes
       (``counts[h][n]``: prefixes of length ``h`` of its :math:`\nu_{h+1}`
       trajectories);
    c. :math:`V_n = \max_\pi \sum_\tau P^\pi_{\hat\theta^k_n}(\tau)\hat b^k_n(\tau)`
       by exact max-sum, :math:`\pi^k_n` its maximiser;
    d. certified stop when :math:`\Delta_k = \sum_n V_n \le N\varepsilon/2`
       (``"max"``: :math:`\max_n V_n \le \varepsilon/2`; the sum over tasks is
       our extrapolation [D]); output :math:`\hat\theta^k` and its optimal
       policies; otherwise play :math:`\nu_h(\pi^k_n)`, :math:`h = 1..H`.

    The stop is a certificate only where :math:`V_n \ge \max_\pi
    \mathrm{TV}^\pi(\hat\theta^k_n, \theta^*_n)` for every task (then the
    certificate argument of docs/theory/umt_psr.md applies with :math:`\Delta_k`); PSR-UCB proves
    this w.h.p. for its (unretrieved) constants. Check ``ucb_tv_bound`` of
    ``proofs_checks/umt_psr.py`` measures it for the constants used here.

    Parameters
    ----------
    joint_class : SharedSpecificClass
        The finite joint class :math:`\Theta_u`: every joint model is a shared
        part ``t`` with one specific part ``e_n`` per task, i.e. the single-task
        models ``(t, e_1), ..., (t, e_N)``; ``N`` tasks, ``O`` observations,
        ``A`` actions, horizon ``H``, ``F = (O A)^H`` trajectories.
    rewards : array_like, shape (N, F)
        Known task rewards in [0, 1]: ``rewards[n, i]`` is the return of
        task ``n`` on the trajectory with flat index ``i``.
    eps, delta : float
        Target average sub-optimality :math:`\varepsilon > 0` and failure
        probability :math:`\delta \in (0, 1)`.
    beta : float, optional
        Confidence radius :math:`\beta \ge 0`; default from ``beta_rule``.
    beta_rule : {"finite", "paper"}
        ``"finite"``: :math:`\log(|\Theta_u|/\delta)` (Ville) [D];
        ``"paper"``: :math:`\log(K_{\max} |\Theta_u|/\delta)` [R, constant 1].
    criterion : {"average", "max"}
        Stopping goal: average sub-optimality over the tasks (the paper's) or
        the largest one.
    planner : {"pairwise", "uniform", "ucb_tv"}
        ``"uniform"`` ignores the planning step for exploration (plays
        :math:`\nu_1`, the uniform policy) — a baseline, still certified.
        ``"ucb_tv"``: the PSR-UCB-style bonus planner (above).
    alpha : float, optional
        ``ucb_tv`` bonus scale; default :func:`ucb_tv_alpha` of
        :math:`\beta, r, Q_A = 1, H, \gamma` of the class [R/?] (``0`` gives the
        broken "no bonus" planner).
    lam : float
        ``ucb_tv`` ridge :math:`\lambda` of :math:`\hat U_h` (default 1) [?].
    p_min : float, optional
        ``ucb_tv`` stability floor; default :math:`\delta / (K_{\max} H (|O||A|)^H)`
        (PSR-UCB's order [R], constant 1).
    exact_cap : int
        Largest projected product enumerated for the exact :math:`\Delta_k`.
    K_max : int
        Iteration cap; a run that hits it is censored (``censored`` is True).
    """

    name = "umt_psr"

    def __init__(self, joint_class: SharedSpecificClass, rewards, eps: float = 0.05,
                 delta: float = 0.1, beta: float | None = None, beta_rule: str = "finite",
                 criterion: str = "average", planner: str = "pairwise",
                 exact_cap: int = 300, K_max: int = 100_000, alpha: float | None = None,
                 lam: float = 1.0, p_min: float | None = None) -> None:
        super().__init__(joint_class, rewards, eps, delta, K_max)
        check_choice(beta_rule, "beta_rule", ("finite", "paper"))
        check_choice(criterion, "criterion", ("average", "max"))
        check_choice(planner, "planner", ("pairwise", "uniform", "ucb_tv"))
        if beta is None:
            log_n = joint_class.log_bracketing_number()
            if beta_rule == "paper":
                log_n += math.log(self.K_max)
            beta = beta_finite(log_n, self.delta)
        self.beta = check_positive(beta, "beta", allow_zero=True)
        self.beta_rule, self.criterion, self.planner = beta_rule, criterion, planner
        self.exact_cap = check_int(exact_cap, "exact_cap", low=0)
        self.lam = check_positive(lam, "lam")
        if p_min is None:
            p_min = self.delta / (self.K_max * joint_class.H * joint_class.F)
        self.p_min = check_positive(p_min, "p_min", allow_zero=True)
        if alpha is None and planner == "ucb_tv":
            r, g = class_rank_gamma(joint_class)
            if g <= 0:
                raise ValueError("alpha must be given for planner='ucb_tv': gamma is unknown "
                                 "(the class has no POMDPs behind it, or a non-revealing one)")
            alpha = ucb_tv_alpha(self.beta, r, 1, joint_class.H, g)
        self.alpha = (None if alpha is None
                      else check_positive(alpha, "alpha", allow_zero=True))
        self.reset()

    # --------------------------------------------------------------- state
    def reset(self, rng: np.random.Generator | None = None) -> None:
        """(Re)create the learning state; the agent is deterministic given the data."""
        c = self.cls
        self.L = np.zeros((self.N, c.m_T, c.m_E))
        # ucb_tv data (filled by update): counts[h][n, tau_h] = logged length-h prefixes of
        # task n's nu_{h+1} trajectories; min_logged[n, m] = smallest probability model m
        # gives a logged trajectory of task n
        self.counts = [np.zeros((self.N, (c.O * c.A) ** h)) for h in range(c.H)]
        self.min_logged = np.ones((self.N, c.M))
        self.k = 0
        self.done = False
        self.censored = False
        self.history: list[tuple[float, str]] = []
        self._plan()

    @property
    def samples_per_task(self) -> np.ndarray:
        """(N,) trajectories collected per task: ``H`` per iteration."""
        return np.full(self.N, self.cls.H * self.k, dtype=np.int64)

    def _threshold(self) -> tuple[np.ndarray, np.ndarray, float]:
        b = self.L.max(axis=2)  # (N, m_T)
        lam = b.sum(axis=0)
        thr = float(lam.max()) - self.beta
        with np.errstate(invalid="ignore"):  # -inf - -inf: model excluded for good
            cond = self.L + (lam - b)[:, :, None] >= thr  # (N, m_T, m_E)
        return cond, lam, thr

    def contains(self, t: int, e) -> bool:
        """Whether the joint model ``(t, e_1..e_N)`` is in the current confidence set."""
        e = np.asarray(e, dtype=np.int64)
        b = self.L.max(axis=2)
        return bool(self.L[np.arange(self.N), t, e].sum() >= b.sum(0).max() - self.beta)

    def confidence_projection_T(self) -> np.ndarray:
        r"""Shared parts :math:`\{t : \exists \theta \in B_k \text{ with shared part } t\}`."""
        _, lam, thr = self._threshold()
        return np.flatnonzero(lam >= thr)

    def output_models(self) -> np.ndarray:
        r"""(N,) flat single-model indices of the joint MLE :math:`\bar\theta` (low-index ties).

        For ``planner="ucb_tv"``: the stable MLE :math:`\hat\theta^k` (restricted to
        :math:`p_{\min}`-stable models).
        """
        if self.planner == "ucb_tv":
            return self._stable_mle()
        b = self.L.max(axis=2)
        t = int(np.argmax(b.sum(0)))
        e = np.argmax(self.L[:, t, :], axis=1)
        return t * self.cls.m_E + e

    def _stable_mle(self) -> np.ndarray:
        r"""(N,) flat indices of the stable MLE :math:`\hat\theta^k` [R].

        The joint MLE over the models that give every logged trajectory of
        their task probability :math:`\ge p_{\min}` (hence every logged prefix),
        by the profiles of :meth:`_threshold` restricted to stable models;
        lowest-index ties; the plain joint MLE if no joint model is stable.
        """
        c = self.cls
        ms = np.empty(self.N, dtype=np.int64)
        # compiled (called every iteration); the NumPy statement of the same rule:
        # Lc = where(min_logged >= p_min, L, -inf), t = argmax_t sum_n max_e Lc[n, t, e]
        # (Lc = L if that is -inf for every t), e_n = argmax_e Lc[n, t, e]
        K._stable_mle(np.ascontiguousarray(self.L), np.ascontiguousarray(self.min_logged),
                      self.p_min, self.N, c.m_T, c.m_E, np.empty((self.N, c.m_T, c.m_E)),
                      np.empty((self.N, c.m_T)), np.empty(c.m_T), ms)
        return ms

    def ucb_tv_values(self) -> tuple[np.ndarray, np.ndarray, Plan]:
        r"""Stable MLE, bonus values and their plan on the current data [R/D].

        Returns
        -------
        models : ndarray (N,)
            Flat single-model indices of :math:`\hat\theta^k`.
        values : ndarray (N,)
            :math:`V_n = \max_\pi \sum_\tau P^\pi_{\hat\theta^k_n}(\tau)\hat b^k_n(\tau)`.
        plan : Plan
            Batched max-sum plan (its tables give :math:`\pi^k_n`).
        """
        if self.planner != "ucb_tv":
            raise RuntimeError(f"ucb_tv_values needs planner='ucb_tv' (the bonus data is "
                               f"only recorded then), this agent has {self.planner!r}")
        c = self.cls
        psi, _ = predictive_states(c)
        ms = self._stable_mle()
        b = ucb_tv_bonus([psi[h][ms] for h in range(c.H)], self.counts, self.alpha, self.lam,
                         c.O, c.A, c.H)
        plan = maxsum(c.P.reshape(c.M, c.F)[ms] * b, c.O, c.A, c.H)
        return ms, np.asarray(plan.value, dtype=float).reshape(self.N), plan

    def _plan_ucb_tv(self) -> None:
        ms, vals, plan = self.ucb_tv_values()
        red = np.sum if self.criterion == "average" else np.max
        limit = self.N * self.eps / 2 if self.criterion == "average" else self.eps / 2
        self.delta_k = float(red(vals))
        self.bonus_values = vals
        self.history.append((self.delta_k, "ucb_tv"))
        self._ucb_plan = plan
        self._pair = (ms, ms)
        if self.delta_k <= limit:
            self.done = True
        elif self.k >= self.K_max:
            self.done = True
            self.censored = True

    def _plan(self) -> None:
        if self.planner == "ucb_tv":
            self._plan_ucb_tv()
            return
        c = self.cls
        D = c.dmax()
        cond, lam, thr = self._threshold()
        tf = np.flatnonzero(lam >= thr)
        red = np.sum if self.criterion == "average" else np.max
        limit = self.N * self.eps / 2 if self.criterion == "average" else self.eps / 2
        pair = None
        mode = "bound"
        sizes = cond[:, tf].sum(axis=2)  # (N, |tf|)
        n_tuples = float(np.prod(sizes.astype(float), axis=0).sum())
        if n_tuples <= self.exact_cap:
            mode = "exact"
            ms = []
            for t in tf:
                lists = [np.flatnonzero(cond[n, t]) for n in range(self.N)]
                es = np.array(list(itertools.product(*lists)), dtype=np.int64)
                keep = self.L[np.arange(self.N)[None, :], t, es].sum(1) >= thr
                ms.append(t * c.m_E + es[keep])
            ms = np.concatenate(ms)  # (J, N) flat single-model indices
            vals = D[ms[:, None, :], ms[None, :, :]]  # (J, J, N)
            tot = red(vals, axis=2)
            i, j = np.unravel_index(int(np.argmax(tot)), tot.shape)
            delta_k = float(tot[i, j])
            pair = (ms[i], ms[j])
        else:
            D4 = D.reshape(c.m_T, c.m_E, c.m_T, c.m_E)[np.ix_(tf, np.arange(c.m_E), tf,
                                                             np.arange(c.m_E))]
            cf = cond[:, tf]  # (N, k, m_E)
            mask = cf[:, :, :, None, None] & cf[:, None, None, :, :]
            vals = np.where(mask, D4[None], -np.inf)  # (N, k, m_E, k, m_E)
            k = len(tf)
            per = vals.transpose(0, 1, 3, 2, 4).reshape(self.N, k, k, -1)
            best = per.max(axis=3)  # (N, k, k)
            arg = per.argmax(axis=3)
            tot = red(best, axis=0)
            i, j = np.unravel_index(int(np.argmax(tot)), tot.shape)
            delta_k = float(tot[i, j])
            ee = np.unravel_index(arg[:, i, j], (c.m_E, c.m_E))
            pair = (tf[i] * c.m_E + ee[0], tf[j] * c.m_E + ee[1])
        self.delta_k = delta_k
        self.history.append((delta_k, mode))
        self._pair = pair
        if delta_k <= limit:
            self.done = True
        elif self.k >= self.K_max:
            self.done = True
            self.censored = True

    # ------------------------------------------------------- episode loop
    def policy(self) -> TaskPlays:
        """Tasks ``(J,)`` and flat exploration policy tensors ``(J, F)`` for this iteration."""
        if self.done:
            raise RuntimeError("the agent has stopped; call reset() to start again")
        c = self.cls
        if self.planner == "uniform":
            nu = np.full((1, c.F), float(c.A) ** -c.H)
            stacks = [np.repeat(nu, c.H, axis=0) for _ in range(self.N)]
        elif self.planner == "ucb_tv":
            stacks = [_explore_from_tables(self._ucb_plan.tables, c.O, c.A, c.H)]
        else:
            a, b = self._pair
            stacks = [_explore_stack(c, int(a[n]), int(b[n])) for n in range(self.N)]
        tasks = np.repeat(np.arange(self.N), c.H)
        return TaskPlays(tasks, np.concatenate(stacks))

    def update(self, batch: TaskBatch) -> None:
        """Add trajectories (flat indices ``idx`` of tasks ``tasks``) to the joint likelihood.

        For ``planner="ucb_tv"`` also the bonus data: play ``j`` of a task is its
        exploration index ``h = j mod H`` (the order of :meth:`policy`), its
        length-``h`` prefix is counted in ``counts[h]``, and ``min_logged`` keeps
        the smallest probability every model gives a logged trajectory.
        """
        tasks = np.asarray(batch.tasks, dtype=np.int64)
        idx = np.asarray(batch.idx, dtype=np.int64)
        c = self.cls
        lp = c.logP[:, idx].T.reshape(len(idx), c.m_T, c.m_E)
        if len(tasks) == self.N * c.H and (tasks == np.repeat(np.arange(self.N), c.H)).all():
            self.L += lp.reshape(self.N, c.H, c.m_T, c.m_E).sum(1)
        else:
            np.add.at(self.L, tasks, lp)
        if self.planner == "ucb_tv":  # bonus data: prefixes and stability
            # exploration index of each play: its rank among the plays of its task, mod H
            hs = np.zeros(len(tasks), dtype=np.int64)
            for n in np.unique(tasks):
                sel = tasks == n
                hs[sel] = np.arange(sel.sum()) % c.H
            for h in range(c.H):
                sel = hs == h
                np.add.at(self.counts[h], (tasks[sel], idx[sel] // (c.O * c.A) ** (c.H - h)),
                          1.0)
            np.minimum.at(self.min_logged, tasks, c.P.reshape(c.M, c.F)[:, idx].T)
        self.k += 1
        self._plan()

    def _compiled_run(self, laws, rng: np.random.Generator, max_iterations: int, truth,
                      covered: bool | None, record_values: bool):
        """The driver's loop (:func:`~theoryrl.experiment.pomdp_driver.run_pomdp`) from the
        reset state, compiled: ``(iterations, covered, played values)``, bit-identical
        to the step-wise loop, or ``None`` where it does not apply (another planner, a
        subclass that changes a step, a ``truth`` callable other than
        :class:`ContainsTruth`)."""
        steps = ("policy", "update", "_plan", "_threshold", "reset")
        if self.planner == "ucb_tv":
            return self._ucb_run(laws, rng, max_iterations, truth, covered, record_values)
        if self.planner != "pairwise" or not _inherits(self, UMTPSR, steps) \
                or not _class_ok(self.cls):
            return None
        track = _track(truth, covered, _inherits(self, UMTPSR, ("contains",)))
        if track is None:
            return None
        c = self.cls
        N, H = self.N, c.H
        iv = np.zeros(K.I_SIZE, dtype=np.int64)
        iv[[K.I_N, K.I_MT, K.I_ME, K.I_O, K.I_A, K.I_H]] = N, c.m_T, c.m_E, c.O, c.A, H
        iv[[K.I_CAP, K.I_KMAX, K.I_K, K.I_DONE, K.I_CENSORED]] = (
            self.exact_cap, self.K_max, self.k, int(self.done), int(self.censored))
        iv[K.I_COVERED] = track
        iv[K.I_AVERAGE] = int(self.criterion == "average")
        e_true = np.zeros(N, dtype=np.int64)
        if track == 1:
            iv[K.I_TRUE_T] = truth.t
            e_true[:] = truth.e
        fv = np.zeros(K.F_SIZE)
        fv[K.F_BETA] = self.beta
        fv[K.F_LIMIT] = self.N * self.eps / 2 if self.criterion == "average" else self.eps / 2
        fv[K.F_DELTA] = self.delta_k
        pair_a = np.array(self._pair[0], dtype=np.int64).reshape(N)
        pair_b = np.array(self._pair[1], dtype=np.int64).reshape(N)
        P = np.ascontiguousarray(c.P.reshape(c.M, c.F))
        logP = np.ascontiguousarray(c.logP)
        D = np.ascontiguousarray(c.dmax())
        Ptrue = np.ascontiguousarray(laws.P, dtype=np.float64)
        scale, toff = _scales_offsets(c.O, c.A, H)
        stream = _Uniforms(rng)
        deltas, modes, pairs = [], [], []
        total, chunk = 0, 64
        try:
            while not iv[K.I_DONE] and total < max_iterations:
                n_it = min(chunk, max_iterations - total)
                U = stream.take(n_it * N * H)
                td = np.empty(n_it)
                tm = np.empty(n_it, dtype=np.int64)
                tp = np.empty((n_it if record_values else 0, N, 2), dtype=np.int64)
                ran = K.umt_pairwise_run(Ptrue, P, logP, D, U, scale, toff, iv, fv, self.L,
                                         pair_a, pair_b, e_true, n_it, td, tm, tp)
                stream.consume(ran * N * H)
                deltas.append(td[:ran])
                modes.append(tm[:ran])
                pairs.append(tp[:ran])
                total += ran
                chunk = min(2 * chunk, 4096)
        finally:  # the iteration counter as the step-wise update leaves it, even on an error
            self.k = int(iv[K.I_K])
        stream.settle()
        self.done = bool(iv[K.I_DONE])
        self.censored = bool(iv[K.I_CENSORED])
        self.delta_k = float(fv[K.F_DELTA])
        self._pair = (pair_a, pair_b)
        if total:
            names = ("exact", "bound")
            self.history.extend(zip(np.concatenate(deltas).tolist(),
                                    (names[m] for m in np.concatenate(modes))))
        played: list[np.ndarray] = []
        if record_values and total:
            PR = laws.P * laws.R
            tasks = np.repeat(np.arange(N), H)
            for pr in np.concatenate(pairs):
                pis = np.concatenate([_explore_stack(c, int(a), int(b)) for a, b in pr])
                played.append(np.einsum("jf,jf->j", PR[tasks], pis))
        return total, (None if track < 0 else bool(iv[K.I_COVERED])), played

    def _ucb_run(self, laws, rng: np.random.Generator, max_iterations: int, truth,
                 covered: bool | None, record_values: bool):
        """:meth:`_compiled_run` of ``planner="ucb_tv"``: each iteration is two compiled
        steps around NumPy's batched inverse of the ridge matrices (the same LAPACK
        call, matrix by matrix, as :func:`ucb_tv_bonus`); ``truth`` may be any
        callable (it sees the agent's state after every iteration)."""
        steps = ("policy", "update", "_plan", "_plan_ucb_tv", "ucb_tv_values", "_stable_mle",
                 "reset")
        if not _inherits(self, UMTPSR, steps) or not _class_ok(self.cls) or self.alpha is None:
            return None
        c = self.cls
        N, O, A, H, M = self.N, c.O, c.A, c.H, c.M
        iv = np.zeros(K.I_SIZE, dtype=np.int64)
        iv[[K.I_N, K.I_MT, K.I_ME, K.I_O, K.I_A, K.I_H]] = N, c.m_T, c.m_E, O, A, H
        iv[[K.I_KMAX, K.I_K, K.I_DONE, K.I_CENSORED]] = (self.K_max, self.k, int(self.done),
                                                         int(self.censored))
        iv[K.I_AVERAGE] = int(self.criterion == "average")
        fv = np.zeros(K.F_SIZE)
        fv[K.F_LIMIT] = self.N * self.eps / 2 if self.criterion == "average" else self.eps / 2
        fv[K.F_DELTA] = self.delta_k
        fv[K.F_PMIN] = self.p_min
        fv[K.F_ALPHA] = self.alpha
        fv[K.F_RIDGE] = self.lam
        P = np.ascontiguousarray(c.P.reshape(M, c.F))
        logP = np.ascontiguousarray(c.logP)
        Ptrue = np.ascontiguousarray(laws.P, dtype=np.float64)
        scale, toff = _scales_offsets(O, A, H)
        psi_list, _ = predictive_states(c)
        psi = np.ascontiguousarray(np.concatenate([p.reshape(M, -1) for p in psi_list], axis=1))
        poff = np.concatenate([[0], np.cumsum([p[0].size for p in psi_list])]).astype(np.int64)
        sizes = [(O * A) ** h for h in range(H)]
        coff = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        counts = np.ascontiguousarray(np.concatenate(self.counts, axis=1), dtype=np.float64)
        self.counts = [counts[:, coff[h]:coff[h + 1]] for h in range(H)]  # views: one state
        tabs = np.ascontiguousarray(np.concatenate(
            [np.asarray(t).reshape(N, -1) for t in self._ucb_plan.tables], axis=1),
            dtype=np.int64)
        depth = np.empty((N, c.F), dtype=np.int64)
        for n in range(N):
            K._follow_depth(tabs[n], toff, O, A, H, depth[n])
        ms = np.empty(N, dtype=np.int64)
        Umat = np.empty((H, N, O, O))
        Lc = np.empty((N, c.m_T, c.m_E))
        b = np.empty((N, c.m_T))
        lam = np.empty(c.m_T)
        vals = np.empty(N)
        s, g, work = np.empty(c.F), np.empty(c.F), np.empty(c.F)
        stream = _Uniforms(rng)
        deltas: list[float] = []
        it, chunk, U, pos = 0, 64, np.empty(0), 0
        PR = laws.P * laws.R if record_values else None
        played: list[np.ndarray] = []
        tasks = np.repeat(np.arange(N), H)
        while not iv[K.I_DONE] and it < max_iterations:
            if pos + N * H > U.size:
                stream.consume(pos)
                U = stream.take(chunk * N * H)
                pos = 0
                chunk = min(2 * chunk, 4096)
            if record_values:
                pis = _explore_from_tables(self._ucb_plan.tables, O, A, H)
                played.append(np.einsum("jf,jf->j", PR[tasks], pis))
            K.ucb_sample_update(Ptrue, P, logP, U, pos, scale, toff, iv, fv, self.L, counts,
                                coff, self.min_logged, depth, psi, poff, ms, Umat, Lc, b, lam)
            pos += N * H
            K.ucb_finish_plan(P, psi, poff, counts, coff, np.linalg.inv(Umat), ms, iv, fv,
                              tabs, toff, depth, vals, s, g, work)
            it += 1
            deltas.append(float(fv[K.F_DELTA]))
            if (truth is not None and covered) or record_values:
                self._ucb_sync(iv, fv, ms, vals, tabs, toff, deltas, record_values)
                deltas = []
            if truth is not None and covered:
                covered = bool(truth(self))
        stream.consume(pos)
        stream.settle()
        self._ucb_sync(iv, fv, ms, vals, tabs, toff, deltas, it > 0)
        return it, covered, played

    def _ucb_sync(self, iv, fv, ms, vals, tabs, toff, deltas: list, plan: bool) -> None:
        """Agent attributes after compiled ucb_tv iterations, as _plan_ucb_tv sets them
        (the plan object only with ``plan``: between iterations only the driver reads it)."""
        c = self.cls
        self.k = int(iv[K.I_K])
        self.done = bool(iv[K.I_DONE])
        self.censored = bool(iv[K.I_CENSORED])
        if deltas:
            self.delta_k = deltas[-1]
            self.history.extend((d, "ucb_tv") for d in deltas)
            self.bonus_values = vals.copy()
            self._pair = (ms.copy(), ms.copy())
        if plan:
            tables = [tabs[:, toff[h]:toff[h + 1]].reshape((self.N,) + (c.O, c.A) * h + (c.O,))
                      for h in range(c.H)]
            self._ucb_plan = Plan(vals.copy(), [t.copy() for t in tables], c.O, c.A, c.H)

    def info(self) -> dict:
        """Last certificate and how it was computed."""
        out = {"delta_k": self.delta_k, "mode": self.history[-1][1], "beta": self.beta}
        if self.planner == "ucb_tv":
            out.update(alpha=self.alpha, lam=self.lam, p_min=self.p_min,
                       bonus_values=self.bonus_values.copy())
        return out


class IndependentPSR(_ClassAgent):
    r"""``N`` independent single-task learners (UMT-PSR, ``N = 1``), :math:`\delta/N` each.

    Task ``n`` keeps :math:`B_n = \{m : L_n[m] \ge \max L_n - \beta_1\}` over the
    single-task class :math:`\Theta_s` (``M = m_T m_E`` models),
    :math:`\beta_1 = \log(N |\Theta_s| / \delta)`, stops at
    :math:`\max_{m, m' \in B_n} D[m, m'] \le \varepsilon/2` and explores with the
    TV maximiser of the maximising pair. Learners run in lock-step (vectorised)
    but share nothing [D].

    Parameters
    ----------
    joint_class : SharedSpecificClass
        The joint class; only its single-task models
        :math:`\Theta_s = \{(t, e)\}` (all ``m_T m_E`` of them) are used, each
        task learning over all of them.
    rewards : array_like, shape (N, F)
        Known task rewards in [0, 1], one row per task over the flat
        trajectory indices.
    eps : float, default 0.05
        Target sub-optimality :math:`\varepsilon > 0` of every task.
    delta : float, default 0.1
        Total failure probability :math:`\delta \in (0, 1)`, split as
        :math:`\delta/N` per task.
    beta : float, optional
        Per-task confidence radius :math:`\beta_1 \ge 0`; default
        :math:`\log(N |\Theta_s| / \delta)` (:func:`beta_finite`).
    K_max : int, default 100000
        Iteration cap per task; a task that hits it stops and the run is
        censored (``censored`` is True).
    """

    name = "independent"

    def __init__(self, joint_class: SharedSpecificClass, rewards, eps: float = 0.05,
                 delta: float = 0.1, beta: float | None = None, K_max: int = 100_000) -> None:
        super().__init__(joint_class, rewards, eps, delta, K_max)
        if beta is None:
            beta = beta_finite(math.log(joint_class.M) + math.log(self.N), self.delta)
        self.beta = check_positive(beta, "beta", allow_zero=True)
        self.reset()

    def reset(self, rng: np.random.Generator | None = None) -> None:
        """(Re)create the learning state; the agent is deterministic given the data."""
        self.L = np.zeros((self.N, self.cls.M))
        self.iters = np.zeros(self.N, dtype=np.int64)
        self.active = np.ones(self.N, dtype=bool)
        self.censored = False
        self.done = False
        self._plan()

    @property
    def samples_per_task(self) -> np.ndarray:
        """(N,) trajectories collected per task (``H`` per own iteration)."""
        return self.cls.H * self.iters

    def _sets(self) -> np.ndarray:
        return self.L >= self.L.max(axis=1, keepdims=True) - self.beta

    def contains(self, t: int, e) -> bool:
        """Whether every task's true model is in its own confidence set."""
        m = t * self.cls.m_E + np.asarray(e, dtype=np.int64)
        return bool(self._sets()[np.arange(self.N), m].all())

    def output_models(self) -> np.ndarray:
        """(N,) per-task MLE (lowest-index ties)."""
        return np.argmax(self.L, axis=1)

    def _plan(self) -> None:
        D = self.cls.dmax()
        B = self._sets()
        u = np.flatnonzero(B.any(axis=0))  # models in some set: restrict the search
        Bu = B[:, u].astype(np.float64)
        vals = Bu[:, :, None] * Bu[:, None, :] * D[np.ix_(u, u)][None] - 1.0 + Bu[:, :, None]
        # entries outside B_n x B_n are <= -1 + 1 - 1 < 0 <= D, so the max is inside
        flat = vals.reshape(self.N, -1)
        arg = flat.argmax(axis=1)
        self.delta_n = flat[np.arange(self.N), arg]
        i, j = np.unravel_index(arg, (len(u), len(u)))
        self._pairs = np.stack([u[i], u[j]], axis=1)
        self.active &= self.delta_n > self.eps / 2
        over = self.active & (self.iters >= self.K_max)
        if over.any():
            self.censored = True
            self.active &= ~over
        self.done = not self.active.any()

    def policy(self) -> TaskPlays:
        """Exploration plays of the still-active tasks."""
        if self.done:
            raise RuntimeError("the agent has stopped; call reset() to start again")
        act = np.flatnonzero(self.active)
        stacks = [_explore_stack(self.cls, int(self._pairs[n, 0]), int(self._pairs[n, 1]))
                  for n in act]
        return TaskPlays(np.repeat(act, self.cls.H), np.concatenate(stacks))

    def update(self, batch: TaskBatch) -> None:
        """Add trajectories to each task's own likelihood."""
        tasks = np.asarray(batch.tasks, dtype=np.int64)
        idx = np.asarray(batch.idx, dtype=np.int64)
        H = self.cls.H
        if len(tasks) % H == 0 and (tasks.reshape(-1, H) == tasks[::H, None]).all():
            self.L[tasks[::H]] += self.cls.logP[:, idx].T.reshape(-1, H, self.cls.M).sum(1)
        else:
            np.add.at(self.L, tasks, self.cls.logP[:, idx].T)
        self.iters[np.unique(tasks)] += 1
        self._plan()

    def _compiled_run(self, laws, rng: np.random.Generator, max_iterations: int, truth,
                      covered: bool | None, record_values: bool):
        """The driver's loop from the reset state, compiled (see :meth:`UMTPSR._compiled_run`)."""
        steps = ("policy", "update", "_plan", "_sets", "reset")
        if not _inherits(self, IndependentPSR, steps) or not _class_ok(self.cls):
            return None
        track = _track(truth, covered, _inherits(self, IndependentPSR, ("contains",)))
        if track is None:
            return None
        c = self.cls
        N, H = self.N, c.H
        iv = np.zeros(K.I_SIZE, dtype=np.int64)
        iv[[K.I_N, K.I_MT, K.I_ME, K.I_O, K.I_A, K.I_H]] = N, c.m_T, c.m_E, c.O, c.A, H
        iv[[K.I_KMAX, K.I_DONE, K.I_CENSORED]] = self.K_max, int(self.done), int(self.censored)
        iv[K.I_COVERED] = track
        e_true = np.zeros(N, dtype=np.int64)
        if track == 1:
            iv[K.I_TRUE_T] = truth.t
            e_true[:] = truth.e
        fv = np.zeros(K.F_SIZE)
        fv[K.F_BETA] = self.beta
        fv[K.F_LIMIT] = self.eps / 2
        P = np.ascontiguousarray(c.P.reshape(c.M, c.F))
        logP = np.ascontiguousarray(c.logP)
        D = np.ascontiguousarray(self.cls.dmax())
        Ptrue = np.ascontiguousarray(laws.P, dtype=np.float64)
        scale, toff = _scales_offsets(c.O, c.A, H)
        self._pairs = np.ascontiguousarray(self._pairs, dtype=np.int64)
        self.delta_n = np.ascontiguousarray(self.delta_n, dtype=np.float64)
        stream = _Uniforms(rng)
        pairs = []
        total, chunk = 0, 64
        while not iv[K.I_DONE] and total < max_iterations:
            n_it = min(chunk, max_iterations - total)
            U = stream.take(n_it * N * H)
            tp = np.empty((n_it if record_values else 0, N, 2), dtype=np.int64)
            ran, used = K.independent_run(Ptrue, P, logP, D, U, scale, toff, iv, fv, self.L,
                                          self.iters, self.active, self.delta_n, self._pairs,
                                          e_true, n_it, tp)
            stream.consume(used)
            pairs.append(tp[:ran])
            total += ran
            chunk = min(2 * chunk, 4096)
        stream.settle()
        self.done = bool(iv[K.I_DONE])
        self.censored = bool(iv[K.I_CENSORED])
        played: list[np.ndarray] = []
        if record_values and total:
            PR = laws.P * laws.R
            for pr in np.concatenate(pairs):
                act = np.flatnonzero(pr[:, 0] >= 0)
                pis = np.concatenate([_explore_stack(c, int(pr[n, 0]), int(pr[n, 1]))
                                      for n in act])
                played.append(np.einsum("jf,jf->j", PR[np.repeat(act, H)], pis))
        return total, (None if track < 0 else bool(iv[K.I_COVERED])), played

    def info(self) -> dict:
        """Per-task certificates."""
        return {"delta_n": self.delta_n.copy(), "beta": self.beta}


class DownstreamOMLE(MultiTaskAgent):
    r"""Downstream OMLE on a target class, with optimism and a certified stop [R/D].

    Iteration :math:`k`: :math:`B_k = \{\theta \in \hat\Theta_0 : L(\theta) \ge \max L - \beta_0\}`,
    :math:`(\theta^k, \pi^k) = \arg\max_{\theta \in B_k, \pi} V^\pi_{\theta, R_0}` (optimism),
    stop when :math:`\max_{\theta \in B_k} V^{\pi^k}_\theta - \min_{\theta \in B_k}
    V^{\pi^k}_\theta \le \varepsilon` (then :math:`\pi^k` is :math:`\varepsilon`-optimal
    on the coverage event), else play :math:`\nu_h(\pi^k)` for :math:`h = 1..H`.

    Parameters
    ----------
    P : array_like, shape (M, F)
        Flat trajectory tensors of the target class :math:`\hat\Theta_0`
        (``M`` models, ``F = (O A)^H`` trajectories).
    reward : array_like, shape (F,)
        Known target reward :math:`R_0` in [0, 1] of every flat trajectory index.
    O, A, H : int
        Observation and action counts and horizon.
    eps : float, default 0.02
        Target sub-optimality :math:`\varepsilon > 0`; the stop fires when the
        value width over :math:`B_k` is at most ``eps``.
    delta : float, default 0.1
        Failure probability :math:`\delta \in (0, 1)`.
    beta : float, optional
        Confidence radius :math:`\beta_0 \ge 0`; default
        :math:`\log(M/\delta)` (:func:`beta_finite`).
    optimistic : bool, default True
        ``False`` plans greedily for the MLE (ignores optimism; a broken variant).
    K_max : int, default 100000
        Iteration cap; a run that hits it is censored (``censored`` is True).
    """

    name = "downstream_omle"

    def __init__(self, P, reward, O: int, A: int, H: int, eps: float = 0.02,
                 delta: float = 0.1, beta: float | None = None, optimistic: bool = True,
                 K_max: int = 100_000) -> None:
        self.N = 1
        self.O, self.A, self.H = (check_int(O, "O", 1), check_int(A, "A", 1),
                                  check_int(H, "H", 1))
        F = (O * A) ** H
        P = as_float_array(P, "P")
        if P.ndim != 2 or P.shape[1] != F:
            raise ValueError(f"P must have shape (M, {F}), got {P.shape}")
        self.P = P
        self.R = _check_rewards(np.asarray(reward)[None], 1, F)[0]
        self.eps = check_positive(eps, "eps")
        self.delta = check_open_unit(delta, "delta")
        self.beta = (beta_finite(math.log(P.shape[0]), self.delta) if beta is None
                     else check_positive(beta, "beta", allow_zero=True))
        self.optimistic = bool(optimistic)
        self.K_max = check_int(K_max, "K_max", low=1)
        with np.errstate(divide="ignore"):
            self.logP = np.log(P)
        self._opt = maxsum(P * self.R, O, A, H)  # batched over the class
        self.reset()

    def reset(self, rng: np.random.Generator | None = None) -> None:
        """(Re)create the learning state; the agent is deterministic given the data."""
        self.L = np.zeros(self.P.shape[0])
        self.k = 0
        self.done = False
        self.censored = False
        self._plan()

    @property
    def samples(self) -> int:
        """Trajectories collected (``H`` per iteration)."""
        return self.H * self.k

    def contains(self, m: int) -> bool:
        """Whether model ``m`` of the class is in the confidence set."""
        return bool(self.L[m] >= self.L.max() - self.beta)

    def _plan(self) -> None:
        B = self.L >= self.L.max() - self.beta
        if self.optimistic:
            vals = np.where(B, self._opt.value, -np.inf)
            m = int(np.argmax(vals))
        else:
            m = int(np.argmax(self.L))
        self.pi = policy_tensor([t[m] for t in self._opt.tables], self.O, self.A).ravel()
        v = self.P[B] @ (self.pi * self.R)
        self.width = float(v.max() - v.min())
        if self.width <= self.eps:
            self.done = True
        elif self.k >= self.K_max:
            self.done = True
            self.censored = True

    def policy(self) -> TaskPlays:
        """The ``H`` exploration tensors :math:`\\nu_h(\\pi^k)` (task index 0)."""
        if self.done:
            raise RuntimeError("the agent has stopped; call reset() to start again")
        pi = self.pi.reshape((self.O, self.A) * self.H)
        nus = np.stack([exploration_tensor(pi, h, self.O, self.A, self.H).ravel()
                        for h in range(1, self.H + 1)])
        return TaskPlays(np.zeros(self.H, dtype=np.int64), nus)

    def update(self, batch: TaskBatch) -> None:
        """Add the trajectories to the likelihood and re-plan."""
        self.L += self.logP[:, np.asarray(batch.idx, dtype=np.int64)].sum(axis=1)
        self.k += 1
        self._plan()

    def output_policies(self) -> np.ndarray:
        """(1, F): the last optimistic policy :math:`\\pi^k`."""
        return self.pi[None]

    def info(self) -> dict:
        """Width of the last certificate (the stop fires at ``width <= eps``)."""
        return {"width": self.width}
