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
    r"""Exact facts of an average-reward MDP, from :func:`average_facts`.

    Attributes
    ----------
    gain : float
        Optimal gain :math:`J^*`.
    bias : ndarray, shape (S,)
        Optimal bias :math:`h^*`, normalised to ``bias[0] = 0``.
    span : float
        :math:`\operatorname{sp}(h^*)`.
    diameter : float
        Diameter :math:`D` (``inf`` if the MDP is not communicating, ``nan``
        if it was not computed).
    gaps : ndarray, shape (S, A)
        Advantage gaps :math:`\Delta(s, a) = J^* + h^*(s) - r(s, a) - (P h^*)(s, a)`,
        non-negative up to the solver's tolerance.
    policy : ndarray of int64, shape (S,)
        An optimal deterministic policy.
    Q : ndarray, shape (S, A)
        :math:`Q = r + P h^*`.
    """

    gain: float
    bias: np.ndarray
    span: float
    diameter: float
    gaps: np.ndarray
    policy: np.ndarray
    Q: np.ndarray


def average_facts(mdp: Any, epsilon: float = 1e-11, with_diameter: bool = True) -> AverageFacts:
    """Exact average-reward facts: gain, bias, span, diameter and advantage gaps.

    Gain and bias come from :func:`~theoryrl.planning.relative_value_iteration`,
    the diameter from :func:`~theoryrl.planning.diameter.diameter`.

    Parameters
    ----------
    mdp : TabularMDP or LinearMixtureMDP
        An average-reward model (neither horizon nor gamma) with kernel ``P``
        (S, A, S) and mean rewards ``R`` (S, A).
    epsilon : float, default 1e-11
        Span tolerance of relative value iteration; the gain is within
        ``epsilon / 2`` of :math:`J^*`.
    with_diameter : bool, default True
        Compute the diameter (one shortest-path solve per state); ``False``
        leaves it ``nan``.

    Returns
    -------
    AverageFacts
        Gain, bias, span, diameter, advantage gaps, an optimal policy and ``Q``.

    Raises
    ------
    ValueError
        If the criterion is not average reward or the MDP is not weakly
        communicating (then the optimality equation above may have no
        solution with a constant gain).
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
