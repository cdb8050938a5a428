r"""Optimistic Q-learning (Wei, Jafarnia-Jahromi, Luo, Sharma, Jain, ICML 2020).

Model-free, discounted surrogate with :math:`\gamma = 1 - 1/H`; initialise
:math:`Q = \hat Q = H`, :math:`\hat V = H`; after each step, with :math:`n = n(s,a)`
(visits including this one), :math:`\alpha = (H+1)/(H+n)`, bonus :math:`b = c\sqrt{H/n}`,

.. math::

    Q(s,a) \leftarrow (1-\alpha) Q(s,a) + \alpha\,(r + \gamma \hat V(s') + b),\quad
    \hat Q(s,a) \leftarrow \min(\hat Q(s,a), Q(s,a)),\quad \hat V(s) = \max_a \hat Q(s,a),

acting greedily in :math:`\hat Q` (Wei et al. 2020, their public code [V]). The paper's bonus is
recalled as :math:`4\operatorname{sp}(v^*)\sqrt{H\ln(2T/\delta)/n}` [R], i.e.
:math:`c = 4\operatorname{sp}\sqrt{\ln(2T/\delta)}`; default
:math:`H = \max(2, \lceil (T/(SA))^{1/3}\rceil)` [R]. The policy may change at every
step (not low-switching): its compiled loop updates the Q arrays after every step and
never stops, one plan for the whole run, so ``extras["switches"]`` is 1 for this agent.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_open_unit, check_positive
from . import _optimistic_q_kernels as K
from .average import AverageAgent, Segment, StepSim

__all__ = ["OptimisticQ", "regret_bound"]


def regret_bound(span: float, S: int, A: int, T: int, delta: float, c: float = 1.0) -> float:
    r"""Wei et al. (2020), Thm 1: :math:`\tilde O(\operatorname{sp}(v^*)(SA)^{1/3}T^{2/3})` for
    weakly communicating MDPs [V rate]; returned as
    :math:`c\,\operatorname{sp}(SA)^{1/3}T^{2/3}\ln(T/\delta)` with ``c`` unknown [R form]."""
    return c * span * (S * A) ** (1 / 3) * T ** (2 / 3) * math.log(T / delta)


class OptimisticQ(AverageAgent):
    """Optimistic Q-learning (module docstring).

    Parameters
    ----------
    spec : MDPSpec
        Average-reward spec (known rewards).
    steps : int
        Horizon ``T`` (sets the default ``H`` and the bonus' logarithm).
    span_bound : float
        Upper bound on ``sp(v*)`` used in the bonus.
    delta : float
        Confidence in (0, 1).
    H : int, optional
        Surrogate horizon; default ``max(2, ceil((T/(SA))^(1/3)))``.
    bonus_scale : float, optional
        ``c``; default ``4 * span_bound * sqrt(ln(2T/delta))``.
    """

    name = "OptimisticQ"

    def __init__(self, spec, steps: int, span_bound: float = 1.0, delta: float = 0.05,
                 H: int | None = None, bonus_scale: float | None = None) -> None:
        super().__init__(spec)
        self.steps = check_int(steps, "steps", 1)
        self.span_bound = check_positive(span_bound, "span_bound")
        self.delta = check_open_unit(delta, "delta")
        SA = spec.n_states * spec.n_actions
        self.H = max(2, math.ceil((self.steps / SA) ** (1 / 3))) if H is None \
            else check_int(H, "H", 2)
        self.bonus_scale = (4 * self.span_bound * math.sqrt(math.log(2 * self.steps / self.delta))
                            if bonus_scale is None
                            else check_positive(bonus_scale, "bonus_scale", allow_zero=True))

    def reset(self, rng: np.random.Generator) -> None:
        S, A = self.spec.n_states, self.spec.n_actions
        H = float(self.H)
        # Q, Qhat, Vhat, visit counts n: updated in place by the compiled loop
        self._q = (np.full((S, A), H), np.full((S, A), H), np.full(S, H),
                   np.zeros((S, A), dtype=np.int64))
        self.history = []

    def policy(self) -> np.ndarray:
        pi = np.argmax(self._q[1], axis=1).astype(np.int64)
        self.history.append(dict(pi=pi))
        return pi

    def play(self, sim: StepSim, pi: np.ndarray, t0: int) -> tuple[int, int]:
        """Act greedily in ``Qhat`` (``pi`` is its value at the plan) and update after
        every step, until ``T``."""
        t, reason = K.qlearn_segment(tuple(sim), t0, self._q, float(self.H),
                                     float(self.bonus_scale))
        return int(t), int(reason)

    def update(self, seg: Segment) -> None:
        pass  # the compiled loop updated the Q arrays in place
