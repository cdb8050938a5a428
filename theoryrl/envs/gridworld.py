"""GridWorld with slippery moves."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .._validation import check_choice, check_int, check_positive
from ..models.tabular import TabularMDP

__all__ = ["gridworld", "grid_cells", "GRID_ACTIONS"]

#: Action index -> (row step, column step): up, right, down, left.
GRID_ACTIONS = ((-1, 0), (0, 1), (1, 0), (0, -1))


def _cell(x, name: str, n_rows: int, n_cols: int) -> tuple[int, int]:
    try:
        r, c = (int(v) for v in x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} must be a (row, column) pair, got {x!r}") from e
    if not (0 <= r < n_rows and 0 <= c < n_cols):
        raise ValueError(f"{name} {(r, c)} is outside the {n_rows} x {n_cols} grid")
    return r, c


def grid_cells(n_rows: int, n_cols: int,
               walls: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """The cell ``(row, column)`` of every state of :func:`gridworld`: the free
    cells in row-major order (walls are not states).

    Parameters
    ----------
    n_rows : int
        Number of rows, at least 1.
    n_cols : int
        Number of columns, at least 1.
    walls : iterable of (int, int)
        Blocked cells.

    Returns
    -------
    list of (int, int)
        The free cells, state ``i`` at position ``i``.

    Examples
    --------
    >>> grid_cells(2, 2, walls=[(0, 1)])
    [(0, 0), (1, 0), (1, 1)]
    """
    n_rows = check_int(n_rows, "n_rows", 1)
    n_cols = check_int(n_cols, "n_cols", 1)
    blocked = {_cell(w, "walls[i]", n_rows, n_cols) for w in walls}
    return [(r, c) for r in range(n_rows) for c in range(n_cols) if (r, c) not in blocked]


def gridworld(n_rows: int = 4, n_cols: int = 4, *, slip: float = 0.1,
              walls: Iterable[tuple[int, int]] = (), start: tuple[int, int] = (0, 0),
              goal: tuple[int, int] | None = None, goal_reward: float = 1.0,
              goal_mode: str = "absorbing", horizon: int | None = None,
              gamma: float | None = None) -> TabularMDP:
    r"""A grid of free cells and walls with four slippery moves.

    Actions 0, 1, 2, 3 move up, right, down, left (:data:`GRID_ACTIONS`). The
    intended move happens with probability :math:`1 - \text{slip}`; with
    probability :math:`\text{slip}` the agent moves in one of the three other
    directions, chosen uniformly (:math:`\text{slip}/3` each). A move into a
    wall or off the grid leaves the agent where it is. Every action taken in
    the goal cell earns ``goal_reward``; nothing else is rewarded. The goal
    is absorbing (``goal_mode="absorbing"``) or sends the agent back to
    ``start`` (``"reset"``, which makes the MDP communicating, as the
    average-reward criterion wants).

    The construction is deterministic (there is nothing to seed); states are
    the free cells in row-major order (:func:`grid_cells`).

    Parameters
    ----------
    n_rows, n_cols : int
        Grid size, at least 1 each, with at least two free cells.
    slip : float
        Probability in [0, 1] of slipping to another direction.
    walls : iterable of (row, column)
        Blocked cells (not states).
    start : (row, column)
        Initial cell (all initial mass).
    goal : (row, column), optional
        Rewarding cell; the bottom-right cell by default.
    goal_reward : float
        Reward in [0, 1] of every action in the goal cell.
    goal_mode : {"absorbing", "reset"}
    horizon, gamma : optional
        Criterion, as in :class:`~theoryrl.models.TabularMDP`.

    Returns
    -------
    TabularMDP
        Four actions, one state per free cell.

    Examples
    --------
    >>> mdp = gridworld(2, 2, slip=0.0, horizon=3)
    >>> float(mdp.optimal_value())  # right, down, then collect once
    1.0
    """
    n_rows = check_int(n_rows, "n_rows", 1)
    n_cols = check_int(n_cols, "n_cols", 1)
    p_slip = check_positive(slip, "slip", allow_zero=True)
    if p_slip > 1:
        raise ValueError(f"slip must be in [0, 1], got {p_slip}")
    r_goal = check_positive(goal_reward, "goal_reward", allow_zero=True)
    if r_goal > 1:
        raise ValueError(f"goal_reward must be in [0, 1], got {r_goal}")
    check_choice(goal_mode, "goal_mode", ("absorbing", "reset"))
    cells = grid_cells(n_rows, n_cols, walls)
    if len(cells) < 2:
        raise ValueError(f"walls leave {len(cells)} free cell(s); a gridworld needs at least 2")
    index = {c: i for i, c in enumerate(cells)}
    start = _cell(start, "start", n_rows, n_cols)
    goal = _cell((n_rows - 1, n_cols - 1) if goal is None else goal, "goal", n_rows, n_cols)
    for name, c in (("start", start), ("goal", goal)):
        if c not in index:
            raise ValueError(f"{name} {c} is a wall")
    S, A = len(cells), len(GRID_ACTIONS)
    P = np.zeros((S, A, S))
    for i, (r, c) in enumerate(cells):
        for a in range(A):
            for d, (dr, dc) in enumerate(GRID_ACTIONS):
                p = 1.0 - p_slip if d == a else p_slip / (A - 1)
                nxt = index.get((r + dr, c + dc), i)
                P[i, a, nxt] += p
    g = index[goal]
    P[g] = 0.0
    P[g, :, g if goal_mode == "absorbing" else index[start]] = 1.0
    R = np.zeros((S, A))
    R[g] = r_goal
    init = np.zeros(S)
    init[index[start]] = 1.0
    return TabularMDP(P, R, horizon=horizon, gamma=gamma, init=init)
