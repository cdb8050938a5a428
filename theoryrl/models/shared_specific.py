r"""Finite joint model classes of multi-task POMDPs, and the true laws of a task set.

A :class:`SharedSpecificClass` holds single-task candidate models indexed by
a *shared* part ``t`` (``m_T`` values) and a *task-specific* part ``e``
(``m_E`` values); the joint class over ``N`` tasks is

.. math::

    \Theta_u = \{(\theta_{t, e_1}, \dots, \theta_{t, e_N}) : t \le m_T,\ e_n \le m_E\},
    \qquad |\Theta_u| = m_T\, m_E^N ,

and the single-task class of an independent learner is
:math:`\Theta_s = \{\theta_{t, e}\}`, :math:`|\Theta_s| = m_T m_E`.
It covers the paper's "common latent transition kernel" and "perturbed
models" examples (the paper's examples 1–2) and, with ``t`` = a tuple of core
models and ``e`` = a mixture weight, its "linear combination of core tasks"
(Example 3) [V that the examples exist; R/D for these finite versions].

Bracketing numbers [D; docs/theory/umt_psr.md]: every model of a finite class is its own
zero-width bracket :math:`[P_\theta, P_\theta]`, so
:math:`N_\eta(\Theta_u) \le |\Theta_u|` for every :math:`\eta \ge 0`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._validation import as_float_array, check_int
from .pomdp import max_tv, maxsum

__all__ = ["SharedSpecificClass", "TaskLaws"]


class SharedSpecificClass:
    r"""Finite joint class with a shared part and task-specific parts.

    Parameters
    ----------
    P : array_like, shape (m_T, m_E, F)
        Flat trajectory tensors ``P[t, e]`` of the single-task models
        (``F = (O A)^H``; each sums to 1 over observations for every action
        sequence).
    N : int
        Number of tasks.
    O, A, H : int
        Observation and action counts and horizon.
    name : str
        Label used in reports.
    models : list of list of POMDP, optional
        The POMDPs behind ``P`` (for likelihood kernels and PSR quantities).
    """

    def __init__(self, P, N: int, O: int, A: int, H: int, name: str = "class",
                 models: list | None = None) -> None:
        self.O = check_int(O, "O", low=1)
        self.A = check_int(A, "A", low=1)
        self.H = check_int(H, "H", low=1)
        self.N = check_int(N, "N", low=1)
        P = as_float_array(P, "P")
        F = (self.O * self.A) ** self.H
        if P.ndim != 3 or P.shape[2] != F:
            raise ValueError(f"P must have shape (m_T, m_E, {F}), got {P.shape}")
        if (P < 0).any():
            i = tuple(int(j) for j in np.argwhere(P < 0)[0])
            raise ValueError(f"P[{i[0]}, {i[1]}] is not a trajectory law (entry {i[2]} "
                             f"negative: {P[i]:.3g})")
        sums = P.reshape(P.shape[:2] + (self.O, self.A) * self.H)
        sums = sums.sum(axis=tuple(2 + 2 * h for h in range(self.H)))  # over o_1..o_H
        sums = sums.reshape(P.shape[0], P.shape[1], -1)  # one entry per action sequence
        bad = np.abs(sums - 1.0) > 1e-9
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0])
            raise ValueError(f"P[{i[0]}, {i[1]}] is not a trajectory law (sum over "
                             f"observations {sums[i]:.12g} for action sequence {i[2]})")
        self.P = P
        self.P.setflags(write=False)
        self.m_T, self.m_E = P.shape[0], P.shape[1]
        self.M = self.m_T * self.m_E
        self.name = name
        self.models = models
        with np.errstate(divide="ignore"):
            self.logP = np.log(P.reshape(self.M, F))
        self.logP.setflags(write=False)
        self._dmax: np.ndarray | None = None
        self._explore: dict[tuple[int, int], np.ndarray] = {}

    # -------------------------------------------------------- sizes/brackets
    @property
    def F(self) -> int:
        """Number of full trajectories ``(O A)^H``."""
        return (self.O * self.A) ** self.H

    @property
    def size(self) -> int:
        r""":math:`|\Theta_u| = m_T m_E^N` (exact Python int)."""
        return self.m_T * self.m_E ** self.N

    def log_size(self) -> float:
        r""":math:`\log |\Theta_u| = \log m_T + N \log m_E`."""
        return math.log(self.m_T) + self.N * math.log(self.m_E)

    def log_bracketing_number(self, eta: float = 0.0) -> float:
        r"""Upper bound :math:`\log N_\eta(\Theta_u) \le \log|\Theta_u|` for every ``eta >= 0``.

        Finite class: zero-width brackets :math:`[P_\theta, P_\theta]` [D; docs/theory/umt_psr.md].
        """
        if not eta >= 0:
            raise ValueError(f"eta must be >= 0, got {eta}")
        return self.log_size()

    def brackets(self, max_count: int = 10_000) -> list[tuple[np.ndarray, np.ndarray]]:
        """The explicit zero-width eta-brackets ``(l, u)`` of shape (N, F), one per joint model."""
        if self.size > max_count:
            raise ValueError(f"the class has {self.size} joint models, over max_count={max_count}")
        out = []
        for t in range(self.m_T):
            for es in itertools.product(range(self.m_E), repeat=self.N):
                lu = self.P[t, list(es)]
                out.append((lu, lu))
        return out

    def single_task(self) -> SharedSpecificClass:
        r"""The class :math:`\Theta_s` of one task (``N = 1``) that an independent learner uses."""
        c = SharedSpecificClass(self.P, 1, self.O, self.A, self.H, self.name + "/single",
                                self.models)
        c._dmax = self._dmax
        c._explore = self._explore
        return c

    def with_tasks(self, N: int) -> SharedSpecificClass:
        """The same single-task models, joint over ``N`` tasks (caches shared)."""
        c = SharedSpecificClass(self.P, N, self.O, self.A, self.H, self.name, self.models)
        c._dmax = self._dmax
        c._explore = self._explore
        return c

    def flat(self, t: int, e: int) -> int:
        """Flat single-model index ``m = t * m_E + e``."""
        return t * self.m_E + e

    # ------------------------------------------------------- planning caches
    def dmax(self) -> np.ndarray:
        r""":math:`D[m, m'] = \max_\pi \mathrm{TV}^\pi(\theta_m, \theta_{m'})`, shape (M, M), exact.

        Batched max-sum over :math:`\frac12|P_m - P_{m'}|` [D; docs/theory/umt_psr.md].
        """
        if self._dmax is None:
            Pf = self.P.reshape(self.M, self.F)
            D = np.zeros((self.M, self.M))
            for i in range(self.M):
                D[i] = max_tv(Pf[i][None], Pf, self.O, self.A, self.H).value
            D.setflags(write=False)
            self._dmax = D
        return self._dmax

    def tv_policy(self, m: int, m2: int) -> np.ndarray:
        r"""Flat policy tensor maximising :math:`\mathrm{TV}^\pi(\theta_m,\theta_{m'})`, cached."""
        key = (min(m, m2), max(m, m2))
        if key not in self._explore:
            Pf = self.P.reshape(self.M, self.F)
            plan = max_tv(Pf[key[0]], Pf[key[1]], self.O, self.A, self.H)
            self._explore[key] = plan.tensor().ravel()
        return self._explore[key]

    def optimal(self, m: int, R: np.ndarray):
        """Optimal plan of single model ``m`` for flat reward ``R`` (F,)."""
        return maxsum(self.P.reshape(self.M, self.F)[m] * R, self.O, self.A, self.H)

    def task_laws(self, t: int, e, rewards) -> TaskLaws:
        """The true laws of the task set ``(theta_{t, e_1}, ..., theta_{t, e_N})``.

        Parameters
        ----------
        t : int
            Shared part, in ``[0, m_T)``.
        e : array_like of int, shape (N,)
            Task-specific parts, in ``[0, m_E)``.
        rewards : array_like, shape (N, F)
            Flat task rewards.

        Returns
        -------
        TaskLaws
        """
        t = check_int(t, "t", 0)
        e = np.asarray(e)
        if t >= self.m_T:
            raise ValueError(f"t must be in [0, {self.m_T}), got {t}")
        if e.shape != (self.N,) or not np.issubdtype(e.dtype, np.integer) \
                or e.min() < 0 or e.max() >= self.m_E:
            raise ValueError(f"e must be {self.N} integers in [0, {self.m_E}), got {e}")
        return TaskLaws(self.P[t, e], rewards, self.O, self.A, self.H)


class TaskLaws:
    r"""The true model of a multi-task POMDP experiment: one trajectory law per task.

    What :func:`theoryrl.experiment.run` samples from and evaluates with, for
    multi-task agents (:class:`theoryrl.agents.MultiTaskAgent`).

    Parameters
    ----------
    P : array_like, shape (N, F)
        Flat trajectory tensors :math:`P_{\theta^*_n}` of the ``N`` tasks
        (``F = (O A)^H``).
    R : array_like, shape (N, F)
        Flat task rewards.
    O, A, H : int
        Observation and action counts and horizon.
    """

    def __init__(self, P, R, O: int, A: int, H: int) -> None:
        self.O = check_int(O, "O", low=1)
        self.A = check_int(A, "A", low=1)
        self.H = check_int(H, "H", low=1)
        F = (self.O * self.A) ** self.H
        P = as_float_array(P, "P")
        R = as_float_array(R, "R")
        if P.ndim != 2 or P.shape[1] != F or R.shape != P.shape:
            raise ValueError(f"P and R must both have shape (N, {F}), got {P.shape} and "
                             f"{R.shape}")
        if (P < 0).any():
            raise ValueError(f"P[{int(np.argwhere(P < 0)[0][0])}] is not a trajectory law "
                             f"(negative entry)")
        self.P, self.R = P, R
        self.P.setflags(write=False)
        self.R.setflags(write=False)
        self.N, self.F = P.shape

    def sample(self, tasks: np.ndarray, policies: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
        r"""One trajectory per play: flat index drawn from :math:`P_{\theta^*_n} \cdot \pi`
        (inverse CDF, one uniform per play from ``rng``)."""
        w = self.P[tasks] * policies
        cdf = np.cumsum(w, axis=1)
        u = rng.random(len(tasks)) * cdf[:, -1]
        idx = (cdf < u[:, None]).sum(axis=1)
        return np.minimum(idx, self.F - 1)

    def __repr__(self) -> str:
        return f"TaskLaws(N={self.N}, O={self.O}, A={self.A}, H={self.H})"
