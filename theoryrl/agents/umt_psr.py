r"""UMT-PSR: multi-task learning over POMDPs/PSRs, upstream and downstream.

Agents for finite joint model classes (:class:`~theoryrl.envs.pomdp_families.SharedSpecificClass`),
implemented exactly as the spec ``umt_psr.md`` reconstructs them (§2–§4):

* :class:`UMTPSR` — upstream: joint MLE confidence set, pairwise additive
  distance planning, exploration policies :math:`\nu_h(\pi)`, certified
  stopping (§2.2, §2.5, §3.4) [V structure / R details / D finite instantiation];
* :class:`IndependentPSR` — the single-task baseline (the same learner with
  ``N = 1``, OMLE-style reward-free disagreement search), run ``N`` times
  independently with :math:`\delta/N` each (§3.5) [D];
* :class:`DownstreamOMLE` — downstream OMLE with optimism and a certified
  stopping rule on a target class built from the upstream output (§4) [R/D];
* bound functions for Theorems 1–2 (§5) [R; polynomial factors are placeholders].

Agents follow the package's episode-level contract adapted to multi-task
POMDPs: ``reset(rng)`` creates the learning state, ``policies()`` returns the
tasks and flat policy tensors to play next, ``update(tasks, idx)`` receives
the flat trajectory indices, ``done`` says when the certified stopping rule
fired. The driver is :func:`theoryrl.experiment.pomdp_driver.run_pomdp`.

References
----------
.. [1] R. Huang, Y. Cheng, J. Yang, V. Tan, Y. Liang, "Provable benefits of
   multi-task RL under non-Markovian decision making processes", ICLR 2024,
   arXiv:2310.13550.
.. [2] Q. Liu, P. Netrapalli, C. Szepesvári, C. Jin, "Optimistic MLE: a generic
   model-based algorithm for partially observable sequential decision
   making", arXiv:2209.14997.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._validation import as_float_array, check_int, check_open_unit, check_positive
from ..envs.pomdp_families import SharedSpecificClass
from ..models.pomdp import exploration_tensor, maxsum, policy_tensor

__all__ = [
    "DownstreamOMLE", "IndependentPSR", "UMTPSR", "benefit_ratio", "beta_finite",
    "downstream_bound", "single_task_bound", "upstream_bound",
]


# ----------------------------------------------------------------- bounds
def beta_finite(log_size: float, delta: float) -> float:
    r"""Confidence radius :math:`\beta = \log(|\Theta|/\delta)` for a finite class [D, spec §2.4].

    Valid uniformly over all iterations: for fixed :math:`\theta` the
    likelihood ratio against :math:`\theta^*` is a non-negative martingale of
    mean at most 1 (policy factors cancel), so by Ville's inequality
    :math:`P(\exists k: L_k(\theta) - L_k(\theta^*) \ge \beta) \le e^{-\beta}`;
    a union bound over the class gives coverage :math:`\ge 1-\delta`.
    """
    delta = check_open_unit(delta, "delta")
    return float(log_size) + math.log(1.0 / delta)


def _poly(r: float, d: float, QA: float, A: float, H: float, gamma: float) -> float:
    # placeholder polynomial [?]: shape r*d * |A|^2 Q_A^2 H^2 / gamma^4 (spec §5.1)
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
    r"""Per-task trajectories of ``N`` independent single-task learners (§5.2) [R].

    Each learner runs with :math:`\delta/N`, so
    :math:`\beta^{(1)} = \log(K N\, N_\eta(\Theta)/\delta)` and the per-task
    bound is :math:`c \cdot \mathrm{poly} \cdot \beta^{(1)}/\varepsilon^2`.
    """
    return upstream_bound(1, r, d, QA, A, H, gamma, eps, delta,
                          log_bracket_single + math.log(check_int(N, "N", low=1)), K, c)


def benefit_ratio(log_joint: float, log_single: float, N: int, delta: float) -> float:
    r"""Predicted per-task sample ratio, multi-task over independent (§5.2, check C5) [D].

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


class _MultiTaskAgent:
    """Shared bookkeeping of the multi-task POMDP agents (contract in the module docstring)."""

    name = "multi_task_agent"

    def __init__(self, joint_class: SharedSpecificClass, rewards, eps: float, delta: float,
                 K_max: int = 100_000) -> None:
        if not isinstance(joint_class, SharedSpecificClass):
            raise TypeError(f"joint_class must be a SharedSpecificClass, got "
                            f"{type(joint_class).__name__}")
        self.cls = joint_class
        self.N = joint_class.N
        self.rewards = _check_rewards(rewards, self.N, joint_class.F)
        self.eps = check_positive(eps, "eps")
        self.delta = check_open_unit(delta, "delta")
        self.K_max = check_int(K_max, "K_max", low=1)
        self.done = False

    def reset(self, rng: np.random.Generator | None = None) -> None:  # noqa: ARG002
        """(Re)create the learning state; these agents are deterministic given the data."""
        raise NotImplementedError

    def output_policies(self) -> np.ndarray:
        r"""(N, F): :math:`\bar\pi_n = \arg\max_\pi V^\pi_{\bar\theta_n, R_n}` (output models)."""
        ms = self.output_models()
        return np.stack([self.cls.optimal(int(ms[n]), self.rewards[n]).tensor().ravel()
                         for n in range(self.N)])


class UMTPSR(_MultiTaskAgent):
    r"""UMT-PSR upstream learner on a finite shared/specific joint class (spec §2.2, §3.4).

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
       output the joint MLE and its optimal policies (§2.5) [D];
    4. otherwise one trajectory per task and per :math:`h = 1..H` with
       :math:`\nu_h(\pi^k_n)`, :math:`\pi^k_n` the TV maximiser of the selected pair.

    Parameters
    ----------
    joint_class : SharedSpecificClass
    rewards : array_like, shape (N, F)
        Known task rewards in [0, 1].
    eps, delta : float
        Target average sub-optimality and failure probability.
    beta : float, optional
        Confidence radius; default from ``beta_rule``.
    beta_rule : {"finite", "paper"}
        ``"finite"``: :math:`\log(|\Theta_u|/\delta)` (Ville, §2.4) [D];
        ``"paper"``: :math:`\log(K_{\max} |\Theta_u|/\delta)` [R, constant 1].
    criterion : {"average", "max"}
    planner : {"pairwise", "uniform"}
        ``"uniform"`` ignores the planning step for exploration (plays
        :math:`\nu_1`, the uniform policy) — a baseline, still certified.
    exact_cap : int
        Largest projected product enumerated for the exact :math:`\Delta_k`.
    K_max : int
        Iteration cap; a run that hits it is censored (``censored`` is True).
    """

    name = "umt_psr"

    def __init__(self, joint_class: SharedSpecificClass, rewards, eps: float = 0.05,
                 delta: float = 0.1, beta: float | None = None, beta_rule: str = "finite",
                 criterion: str = "average", planner: str = "pairwise",
                 exact_cap: int = 300, K_max: int = 100_000) -> None:
        super().__init__(joint_class, rewards, eps, delta, K_max)
        if beta_rule not in ("finite", "paper"):
            raise ValueError(f"beta_rule must be 'finite' or 'paper', got {beta_rule!r}")
        if criterion not in ("average", "max"):
            raise ValueError(f"criterion must be 'average' or 'max', got {criterion!r}")
        if planner not in ("pairwise", "uniform"):
            raise ValueError(f"planner must be 'pairwise' or 'uniform', got {planner!r}")
        if beta is None:
            log_n = joint_class.log_bracketing_number()
            if beta_rule == "paper":
                log_n += math.log(self.K_max)
            beta = beta_finite(log_n, self.delta)
        self.beta = check_positive(beta, "beta", allow_zero=True)
        self.beta_rule, self.criterion, self.planner = beta_rule, criterion, planner
        self.exact_cap = check_int(exact_cap, "exact_cap", low=0)
        self.reset()

    # --------------------------------------------------------------- state
    def reset(self, rng: np.random.Generator | None = None) -> None:  # noqa: ARG002
        c = self.cls
        self.L = np.zeros((self.N, c.m_T, c.m_E))
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
        r"""(N,) flat single-model indices of the joint MLE :math:`\bar\theta` (low-index ties)."""
        b = self.L.max(axis=2)
        t = int(np.argmax(b.sum(0)))
        e = np.argmax(self.L[:, t, :], axis=1)
        return t * self.cls.m_E + e

    def _plan(self) -> None:
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
    def policies(self) -> tuple[np.ndarray, np.ndarray]:
        """Tasks ``(J,)`` and flat exploration policy tensors ``(J, F)`` for this iteration."""
        if self.done:
            raise RuntimeError("the agent has stopped; call reset() to start again")
        c = self.cls
        if self.planner == "uniform":
            nu = np.full((1, c.F), float(c.A) ** -c.H)
            stacks = [np.repeat(nu, c.H, axis=0) for _ in range(self.N)]
        else:
            a, b = self._pair
            stacks = [_explore_stack(c, int(a[n]), int(b[n])) for n in range(self.N)]
        tasks = np.repeat(np.arange(self.N), c.H)
        return tasks, np.concatenate(stacks)

    def update(self, tasks, idx) -> None:
        """Add trajectories (flat indices ``idx`` of tasks ``tasks``) to the joint likelihood."""
        tasks = np.asarray(tasks, dtype=np.int64)
        idx = np.asarray(idx, dtype=np.int64)
        lp = self.cls.logP[:, idx].T.reshape(len(idx), self.cls.m_T, self.cls.m_E)
        if len(tasks) == self.N * self.cls.H and (tasks == np.repeat(np.arange(self.N),
                                                                    self.cls.H)).all():
            self.L += lp.reshape(self.N, self.cls.H, self.cls.m_T, self.cls.m_E).sum(1)
        else:
            np.add.at(self.L, tasks, lp)
        self.k += 1
        self._plan()

    def info(self) -> dict:
        """Last certificate and how it was computed."""
        return {"delta_k": self.delta_k, "mode": self.history[-1][1], "beta": self.beta}


class IndependentPSR(_MultiTaskAgent):
    r"""``N`` independent single-task learners (UMT-PSR, ``N = 1``), :math:`\delta/N` each (§3.5).

    Task ``n`` keeps :math:`B_n = \{m : L_n[m] \ge \max L_n - \beta_1\}` over the
    single-task class :math:`\Theta_s` (``M = m_T m_E`` models),
    :math:`\beta_1 = \log(N |\Theta_s| / \delta)`, stops at
    :math:`\max_{m, m' \in B_n} D[m, m'] \le \varepsilon/2` and explores with the
    TV maximiser of the maximising pair. Learners run in lock-step (vectorised)
    but share nothing [D].
    """

    name = "independent"

    def __init__(self, joint_class: SharedSpecificClass, rewards, eps: float = 0.05,
                 delta: float = 0.1, beta: float | None = None, K_max: int = 100_000) -> None:
        super().__init__(joint_class, rewards, eps, delta, K_max)
        if beta is None:
            beta = beta_finite(math.log(joint_class.M) + math.log(self.N), self.delta)
        self.beta = check_positive(beta, "beta", allow_zero=True)
        self.reset()

    def reset(self, rng: np.random.Generator | None = None) -> None:  # noqa: ARG002
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

    def policies(self) -> tuple[np.ndarray, np.ndarray]:
        """Exploration plays of the still-active tasks."""
        if self.done:
            raise RuntimeError("the agent has stopped; call reset() to start again")
        act = np.flatnonzero(self.active)
        stacks = [_explore_stack(self.cls, int(self._pairs[n, 0]), int(self._pairs[n, 1]))
                  for n in act]
        return np.repeat(act, self.cls.H), np.concatenate(stacks)

    def update(self, tasks, idx) -> None:
        """Add trajectories to each task's own likelihood."""
        tasks = np.asarray(tasks, dtype=np.int64)
        idx = np.asarray(idx, dtype=np.int64)
        H = self.cls.H
        if len(tasks) % H == 0 and (tasks.reshape(-1, H) == tasks[::H, None]).all():
            self.L[tasks[::H]] += self.cls.logP[:, idx].T.reshape(-1, H, self.cls.M).sum(1)
        else:
            np.add.at(self.L, tasks, self.cls.logP[:, idx].T)
        self.iters[np.unique(tasks)] += 1
        self._plan()

    def info(self) -> dict:
        """Per-task certificates."""
        return {"delta_n": self.delta_n.copy(), "beta": self.beta}


class DownstreamOMLE:
    r"""Downstream OMLE on a target class, with optimism and a certified stop (spec §4) [R/D].

    Iteration :math:`k`: :math:`B_k = \{\theta \in \hat\Theta_0 : L(\theta) \ge \max L - \beta_0\}`,
    :math:`(\theta^k, \pi^k) = \arg\max_{\theta \in B_k, \pi} V^\pi_{\theta, R_0}` (optimism),
    stop when :math:`\max_{\theta \in B_k} V^{\pi^k}_\theta - \min_{\theta \in B_k}
    V^{\pi^k}_\theta \le \varepsilon` (then :math:`\pi^k` is :math:`\varepsilon`-optimal
    on the coverage event), else play :math:`\nu_h(\pi^k)` for :math:`h = 1..H`.

    Parameters
    ----------
    P : array_like, shape (M, F)
        Flat trajectory tensors of the target class :math:`\hat\Theta_0`.
    reward : array_like, shape (F,)
    O, A, H : int
    eps, delta : float
    optimistic : bool
        ``False`` plans greedily for the MLE (ignores optimism; a broken variant).
    """

    name = "downstream_omle"

    def __init__(self, P, reward, O: int, A: int, H: int, eps: float = 0.02,
                 delta: float = 0.1, beta: float | None = None, optimistic: bool = True,
                 K_max: int = 100_000) -> None:
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

    def reset(self, rng: np.random.Generator | None = None) -> None:  # noqa: ARG002
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

    def policies(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``H`` exploration tensors :math:`\\nu_h(\\pi^k)` (task index 0)."""
        if self.done:
            raise RuntimeError("the agent has stopped; call reset() to start again")
        pi = self.pi.reshape((self.O, self.A) * self.H)
        nus = np.stack([exploration_tensor(pi, h, self.O, self.A, self.H).ravel()
                        for h in range(1, self.H + 1)])
        return np.zeros(self.H, dtype=np.int64), nus

    def update(self, tasks, idx) -> None:  # noqa: ARG002
        """Add the trajectories to the likelihood and re-plan."""
        self.L += self.logP[:, np.asarray(idx, dtype=np.int64)].sum(axis=1)
        self.k += 1
        self._plan()

    def output_policies(self) -> np.ndarray:
        """(1, F): the last optimistic policy :math:`\\pi^k`."""
        return self.pi[None]
