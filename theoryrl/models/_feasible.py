"""Exact planning with infeasible actions, by any solver that knows nothing of them.

An infeasible action of state ``s`` is replaced by a copy of a feasible one of
the same state (its row of ``P`` and its reward). A duplicated action changes
no value: every policy of the copy is matched, action for action, by a policy
of the original that plays the copied action instead, with the same values. So
the solvers see finite rewards only, and the solution maps back exactly: a
policy entry on a copy becomes the action copied (its ``Q`` is bit-identical,
computed by the same arithmetic from the same numbers), and ``Q`` is ``-inf``
on infeasible actions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["solve_with_infeasible"]


def _sources(feasible: np.ndarray) -> np.ndarray:
    """For every (stage,) state and action, the action whose copy it is (itself if feasible)."""
    A = feasible.shape[-1]
    first = np.argmax(feasible, axis=-1)[..., None]
    return np.where(feasible, np.arange(A), first)


def solve_with_infeasible(mdp: Any, solve: Any, **kwargs: Any) -> Any:
    """``solve(copy, **kwargs)`` on the all-feasible copy of ``mdp``, mapped back.

    ``mdp`` is a :class:`~theoryrl.models.TabularMDP` with some infeasible
    actions; ``solve`` is :func:`theoryrl.planning.solve`.
    """
    from .tabular import TabularMDP

    F = mdp.feasible
    src = _sources(F)
    R = np.take_along_axis(mdp.R, src, axis=-1)  # src is feasible: finite
    P, S = mdp.P, mdp.n_states
    s_idx = np.arange(S)[:, None]
    if F.ndim == 2:
        P = P[:, s_idx, src] if P.ndim == 4 else P[s_idx, src]
    elif P.ndim == 3:  # stage-dependent feasibility of a stationary kernel
        P = P[s_idx[None], src]
    else:
        P = P[np.arange(P.shape[0])[:, None, None], s_idx[None], src]
    copy = TabularMDP(np.ascontiguousarray(P), R, horizon=mdp.horizon, gamma=mdp.gamma,
                      init=mdp.init)
    sol = solve(copy, **kwargs)
    pol = np.asarray(sol.policy)
    if pol.ndim == 1:  # discounted or average: stationary
        back = src[np.arange(S), pol]
    else:  # episodic (H, S)
        full = np.broadcast_to(src, pol.shape + src.shape[-1:])
        back = np.take_along_axis(full, pol[..., None], axis=-1)[..., 0]
    Q = np.where(np.broadcast_to(F, np.shape(sol.Q)), sol.Q, -np.inf)
    return dataclasses.replace(sol, policy=back, Q=Q)
