r"""UCRL2 (Jaksch, Ortner, Auer 2010) and UCRL2B (Fruit, Pirotta, Lazaric 2020).

Episodes start at :math:`t_k`; with :math:`N_k(s,a)` visits before :math:`t_k`,
:math:`N^+ = \max(1, N_k)`, empirical :math:`\hat p`, :math:`\hat r`
(Jaksch, Ortner, Auer 2010 [V code + standard]):

* UCRL2: :math:`\|\tilde p - \hat p\|_1 \le \sqrt{14 S \ln(2 A t_k/\delta) / N^+}`,
  :math:`|\tilde r - \hat r| \le \sqrt{7 \ln(2 S A t_k/\delta) / (2 N^+)}`;
* UCRL2B: element-wise empirical Bernstein (Maurer--Pontil form with a union bound) [D]
  :math:`|\tilde p(s') - \hat p(s')| \le \sqrt{2\hat\sigma^2 L / N^+} + 7 L / (3 \max(1, N-1))`,
  :math:`\hat\sigma^2 = \hat p(1-\hat p)`, :math:`L = \ln(2 S^2 A t_k/\delta)`, inner
  maximisation over box :math:`\cap` simplex (UCRL3's ``max_proba``).

EVI (:func:`theoryrl.planning.extended_value_iteration`) to accuracy
:math:`1/\sqrt{t_k}`; the greedy policy is played until
:math:`\nu_k(s,a) \ge \max(1, N_k(s,a))` for the pair just played (checked after
the transition, by the compiled step loop
:func:`theoryrl.agents._average_kernels.count_segment`).

Rewards: ``reward="known"`` (default, as for LOOP, so the comparison isolates
the transition confidence sets) or ``"learned"`` (UCRL2's Hoeffding interval, capped at 1).
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_choice, check_int, check_open_unit
from ..planning import _evi_kernels as EK
from ..planning.extended_vi import evi_box, evi_l1
from . import _average_kernels as K
from .average import AverageAgent, Segment, StepSim

__all__ = ["UCRL2", "UCRL2B", "regret_bound", "episode_bound", "regret_bound_ucrl2b"]


def regret_bound(D: float, S: int, A: int, T: int, delta: float) -> float:
    r"""Theorem 2 of Jaksch et al. (2010): with probability at least :math:`1-\delta`,
    for all :math:`T > 1`, :math:`\mathrm{Reg}(T) \le 34 D S \sqrt{A T \ln(T/\delta)}` [V].

    Not a pass/fail threshold at feasible ``T`` (it exceeds ``T``)."""
    return 34.0 * D * S * math.sqrt(A * T * math.log(T / delta))


def episode_bound(S: int, A: int, T: int) -> float:
    r"""Jaksch et al. (2010), App. C.2: the number of episodes is at most
    :math:`S A \log_2(8T/(SA))` for :math:`T \ge SA` [V]."""
    return S * A * math.log2(8.0 * T / (S * A))


def regret_bound_ucrl2b(D: float, Gamma: int, S: int, A: int, T: int, delta: float,
                        c: float = 1.0) -> float:
    r"""Fruit, Pirotta, Lazaric (2020): :math:`\tilde O(\sqrt{D \Gamma S A T})`;
    returned as :math:`c\sqrt{D\Gamma S A T \ln(T/\delta)}` with the absolute constant
    ``c`` unknown here [V rate, R form]."""
    return c * math.sqrt(D * Gamma * S * A * T * math.log(T / delta))


class UCRL2(AverageAgent):
    """UCRL2 with the L1 confidence set (module docstring).

    Parameters
    ----------
    spec : MDPSpec
        Average-reward spec (rewards known to the agent if ``reward="known"``).
    delta : float
        Confidence in (0, 1).
    reward : {"known", "learned"}
        Whether the rewards are given or estimated with a Hoeffding bonus.
    evi_max_iter : int
        Sweep cap of extended value iteration (a warning when reached).
    """

    name = "UCRL2"
    confidence = "l1"

    def __init__(self, spec, delta: float = 0.05, reward: str = "known",
                 evi_max_iter: int = 100_000) -> None:
        super().__init__(spec)
        self.delta = check_open_unit(delta, "delta")
        check_choice(reward, "reward", ("known", "learned"))
        self.reward = reward
        self.evi_max_iter = check_int(evi_max_iter, "evi_max_iter", 1)

    def reset(self, rng: np.random.Generator) -> None:
        S, A = self.spec.n_states, self.spec.n_actions
        self._N = np.zeros((S, A), dtype=np.int64)
        self._Nsas = np.zeros((S, A, S))
        self._rsum = np.zeros((S, A))
        self._t = 0
        self._u = np.zeros(S)
        self.history = []

    def _rewards(self, tk: int) -> np.ndarray:
        if self.reward == "known":
            return np.ascontiguousarray(self.spec.R, dtype=np.float64)
        S, A = self.spec.n_states, self.spec.n_actions
        Np = np.maximum(1, self._N)
        bonus = np.sqrt(7 * np.log(2 * S * A * tk / self.delta) / (2 * Np))
        return np.minimum(1.0, self._rsum / Np + bonus)

    def _inner_args(self, tk: int) -> tuple[int, dict]:
        S, A = self.spec.n_states, self.spec.n_actions
        Np = np.maximum(1, self._N)
        phat = self._Nsas / Np[..., None]
        radius = np.sqrt(14 * S * np.log(2 * A * tk / self.delta) / Np)
        return EK.L1, dict(phat=phat, radius=radius)

    def policy(self) -> np.ndarray:
        tk = self._t + 1
        kind, spec_args = self._inner_args(tk)
        eps = 1.0 / math.sqrt(tk)
        evi = {EK.L1: evi_l1, EK.BOX: evi_box}[kind]
        res = evi(self._rewards(tk), **spec_args, eps=eps, tau=0.5,
                  max_iter=self.evi_max_iter, u0=self._u)
        self._u = res.u
        self.history.append(dict(tau=tk, gain=res.gain, eps=eps, iterations=res.iterations,
                                 converged=res.converged, pi=res.policy, Q=res.Q, V=res.V))
        return res.policy

    def play(self, sim: StepSim, pi: np.ndarray, t0: int) -> tuple[int, int]:
        """Play ``pi`` until the visits of the pair just played reach ``max(1, N_k)``."""
        t, reason = K.count_segment(tuple(sim), pi, t0, np.maximum(1, self._N))
        return int(t), int(reason)

    def update(self, seg: Segment) -> None:
        s, a, s2 = seg.states[:-1], seg.actions, seg.states[1:]
        np.add.at(self._N, (s, a), 1)
        np.add.at(self._Nsas, (s, a, s2), 1.0)
        np.add.at(self._rsum, (s, a), seg.rewards)
        self._t += len(a)


class UCRL2B(UCRL2):
    """UCRL2B: UCRL2 with element-wise empirical-Bernstein boxes (module docstring).

    Parameters
    ----------
    spec : MDPSpec
        Average-reward spec.
    delta : float
        Confidence in (0, 1).
    reward : {"known", "learned"}
        Whether the rewards are given or estimated.
    evi_max_iter : int
        Sweep cap of extended value iteration.
    """

    name = "UCRL2B"
    confidence = "bernstein"

    def _inner_args(self, tk: int) -> tuple[int, dict]:
        S, A = self.spec.n_states, self.spec.n_actions
        Np = np.maximum(1, self._N)[..., None]
        phat = self._Nsas / Np
        L = np.log(2 * S * S * A * tk / self.delta)
        width = np.sqrt(2 * phat * (1 - phat) * L / Np) + 7 * L / (3 * np.maximum(1, Np - 1))
        unseen = (self._N == 0)[..., None]
        lo = np.where(unseen, 0.0, np.maximum(0.0, phat - width))
        hi = np.where(unseen, 1.0, np.minimum(1.0, phat + width))
        return EK.BOX, dict(lo=lo, hi=hi)
