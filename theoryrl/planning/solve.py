"""``solve(mdp)``: exact planning dispatched on the criterion."""

from __future__ import annotations

from typing import Any

from .average import relative_value_iteration
from .discounted import METHODS, _check_epsilon, _Model, _solve
from .episodic import _backward_induction, check_horizon

__all__ = ["solve"]


def solve(mdp: Any, method: str | None = None, epsilon: float | None = None) -> Any:
    r"""Optimal values and policy of a :class:`~theoryrl.models.TabularMDP`.

    Parameters
    ----------
    mdp : TabularMDP
        A validated model; its criterion selects the solver. Rewards may be any
        finite reals; infeasible actions (``mdp.feasible``) are never chosen and
        get ``Q = -inf``.
    method : {None, "pi", "mpi", "vi"}
        Discounted MDPs only: policy iteration, modified policy iteration or value
        iteration (:mod:`theoryrl.planning.discounted`); ``None`` picks policy
        iteration, the fastest of the three on the benchmarks in ``bench/``. Episodic
        (backward induction, exact) and average-reward MDPs (relative value
        iteration) have one method and accept only ``None``.
    epsilon : float, optional
        Accuracy. Discounted: certified bound on :math:`\|V - V^*\|_\infty`
        (default ``1e-9`` times :math:`\max(1, \max|R|/(1-\gamma))`). Average reward:
        accuracy of the gain (default ``1e-9``). Episodic: not used.

    Returns
    -------
    EpisodicSolution, DiscountedSolution or AverageSolution
        The solution for the model's criterion: from
        :func:`~theoryrl.planning.backward_induction`, the chosen discounted
        solver, or :func:`~theoryrl.planning.relative_value_iteration`.

    Raises
    ------
    TypeError
        If ``mdp`` is not a tabular model.
    ValueError
        If ``method`` does not apply to the criterion, ``epsilon`` is not positive
        and finite, or the horizon is too long to hold the solution (see
        :func:`~theoryrl.planning.backward_induction`).
    PrecisionError
        If the discounted ``epsilon`` cannot be certified in double precision.
    """
    crit = getattr(mdp, "criterion", None)
    if crit not in ("episodic", "discounted", "average") or not hasattr(mdp, "P"):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    epsilon = _check_epsilon(epsilon)
    feasible = getattr(mdp, "feasible", None)
    if feasible is not None and not feasible.all():
        from ..models._feasible import solve_with_infeasible

        return solve_with_infeasible(mdp, solve, method=method, epsilon=epsilon)
    if crit == "episodic":
        if method is not None:
            raise ValueError(f"method must be None for an episodic MDP (backward induction "
                             f"is exact), got {method!r}")
        H = check_horizon(mdp.horizon, mdp.n_states, mdp.n_actions)
        return _backward_induction(mdp.P, mdp.R, H)
    if crit == "discounted":
        if method is not None and method not in METHODS:
            raise ValueError(f"method must be one of {list(METHODS)} (or None) for a "
                             f"discounted MDP, got {method!r}")
        return _solve(_Model(mdp.P, mdp.R, mdp.gamma), method or "pi", epsilon,
                      10_000 if method in (None, "pi") else 1_000_000)
    if method is not None:
        raise ValueError(f"method must be None for an average-reward MDP (relative value "
                         f"iteration), got {method!r}")
    return relative_value_iteration(mdp.P, mdp.R, epsilon=1e-9 if epsilon is None else epsilon)
