"""``solve(mdp)``: exact planning dispatched on the criterion."""

from __future__ import annotations

from typing import Any

import numpy as np

from .average import relative_value_iteration
from .discounted import policy_iteration, value_iteration
from .episodic import backward_induction

__all__ = ["solve"]


def solve(mdp: Any, method: str | None = None, epsilon: float = 1e-10) -> Any:
    """Optimal values and policy of ``mdp`` (a :class:`~theoryrl.models.TabularMDP`).

    Episodic: :func:`backward_induction` (exact). Discounted: policy iteration
    (exact; ``method="vi"`` for value iteration to accuracy ``epsilon``).
    Average reward: :func:`relative_value_iteration` to accuracy ``epsilon``.
    Rewards may be any finite reals; ``-inf`` (an infeasible action) is never
    chosen.
    """
    crit = mdp.criterion
    if crit == "episodic":
        return backward_induction(mdp.P, mdp.R, mdp.horizon)
    if crit == "discounted":
        if method in (None, "pi"):
            return policy_iteration(mdp.P, mdp.R, mdp.gamma)
        if method == "vi":
            return value_iteration(mdp.P, mdp.R, mdp.gamma, epsilon)
        raise ValueError(f"method must be 'pi' or 'vi' for a discounted MDP, got {method!r}")
    P = mdp.P
    feasible = getattr(mdp, "feasible", None)
    if feasible is not None and not feasible.all():
        # an infeasible action's row is arbitrary; copying a feasible row of the same
        # state keeps it out of the communication structure RVI checks
        first = np.argmax(feasible, axis=1)
        P = np.where(feasible[:, :, None], P, P[np.arange(P.shape[0]), first][:, None, :])
    return relative_value_iteration(P, mdp.R, epsilon=max(epsilon, 1e-9))
