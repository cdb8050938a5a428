r"""Exact facts of an average-reward MDP: gain, bias, span, diameter, advantage gaps.

Under the Bellman optimality equation (the LOOP paper's Eq. 2.1 [V])
:math:`J^* + h^*(s) = \max_a [r(s,a) + P(\cdot|s,a)^\top h^*]`, the advantage gap

.. math::

    \Delta(s, a) = J^* + h^*(s) - r(s, a) - (P h^*)(s, a) \;\ge\; 0

gives the exact identity :math:`\mathrm{Reg}(T) = \sum_t \Delta(s_t,a_t) + M_T
+ h^*(s_{T+1}) - h^*(s_1)` with :math:`M_T` a martingale ([D], docs/theory/loop.md);
:math:`\mathrm{Reg}^\Delta(T) = \sum_t \Delta(s_t, a_t)` is what the step driver records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .average import relative_value_iteration
from .diameter import diameter as _diameter

__all__ = ["AverageFacts", "average_facts"]


@dataclass(frozen=True)
class AverageFacts:
    """``gain`` J*, ``bias`` h* (S,) with h*[0] = 0, ``span`` sp(h*), ``diameter`` D,
    ``gaps`` Delta (S, A), an optimal ``policy`` (S,), and ``Q`` = r + P h*."""

    gain: float
    bias: np.ndarray
    span: float
    diameter: float
    gaps: np.ndarray
    policy: np.ndarray
    Q: np.ndarray


def average_facts(mdp: Any, epsilon: float = 1e-11, with_diameter: bool = True) -> AverageFacts:
    """Exact average-reward facts of a :class:`~theoryrl.models.TabularMDP` or
    :class:`~theoryrl.models.LinearMixtureMDP` (neither horizon nor gamma).

    Raises ``ValueError`` if the criterion is not average reward or the MDP is
    not weakly communicating (A1 may fail).
    """
    if getattr(mdp, "criterion", None) != "average":
        raise ValueError(f"mdp must be an average-reward model (no horizon, no gamma), "
                         f"got criterion {getattr(mdp, 'criterion', None)!r}")
    P, R = np.asarray(mdp.P), np.asarray(mdp.R)
    sol = relative_value_iteration(P, R, epsilon=epsilon)
    h = sol.bias
    Q = R + P @ h
    gaps = sol.gain + h[:, None] - Q
    D = _diameter(P) if with_diameter else float("nan")
    return AverageFacts(float(sol.gain), h, float(sol.span), float(D), gaps,
                        sol.policy.astype(np.int64), Q)
