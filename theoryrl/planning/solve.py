"""``solve(mdp)``: exact planning dispatched on the criterion."""

from __future__ import annotations

from typing import Any

from .average import relative_value_iteration
from .discounted import policy_iteration, value_iteration
from .episodic import backward_induction

__all__ = ["solve"]


def solve(mdp: Any, method: str | None = None, epsilon: float = 1e-10) -> Any:
    """Optimal values and policy of ``mdp`` (a :class:`~theoryrl.models.TabularMDP`).

    Episodic: :func:`backward_induction` (exact). Discounted: policy iteration
    (exact; ``method="vi"`` for value iteration to accuracy ``epsilon``).
    Average reward: :func:`relative_value_iteration` to accuracy ``epsilon``.
    Rewards may be any finite reals; infeasible actions (``mdp.feasible``) are
    never chosen and get ``Q = -inf``.
    """
    feasible = getattr(mdp, "feasible", None)
    if feasible is not None and not feasible.all():
        from ..models._feasible import solve_with_infeasible

        return solve_with_infeasible(mdp, solve, method=method, epsilon=epsilon)
    crit = mdp.criterion
    if crit == "episodic":
        return backward_induction(mdp.P, mdp.R, mdp.horizon)
    if crit == "discounted":
        if method in (None, "pi"):
            return policy_iteration(mdp.P, mdp.R, mdp.gamma)
        if method == "vi":
            return value_iteration(mdp.P, mdp.R, mdp.gamma, epsilon)
        raise ValueError(f"method must be 'pi' or 'vi' for a discounted MDP, got {method!r}")
    return relative_value_iteration(mdp.P, mdp.R, epsilon=max(epsilon, 1e-9))
