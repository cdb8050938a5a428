r"""Robust-MDP instances: the windy walk and random rectangular sets.

The windy walk is the tabular illustration of Zouitine, Geist and Rachelson
(2024), Sec. 4 and Appendix E: a 6 x 6 grid with three corridors in which a
wind of strength :math:`\alpha` pushes the agent West, with probability
:math:`\alpha` in the northern corridor, :math:`\alpha^3` in the middle one and
:math:`\alpha^6` in the southern one; reward -1 per step until the absorbing
goal; :math:`\gamma = 0.95`; 25 values of :math:`\alpha` in [0, 0.5]. One
:math:`\alpha` is shared by all corridors, so the family is not rectangular.
The paper's figure of the grid was not available to us: the wall cells and
the start and goal below are our reconstruction (``docs/theory/iwocs.md``,
"Provenance and our choices").
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import as_float_array, check_int, check_open_unit
from ..robust import FiniteSet, ModelFamily

__all__ = ["RobustInstance", "random_finite_set", "windy_walk"]

# Reconstructed layout (row, column), row 0 at the North.
_SIZE = 6
_WALLS = frozenset({(1, 2), (1, 3), (1, 4), (3, 2), (3, 3), (3, 4)})
_START = (0, 0)
_GOAL = (0, 5)
_CORRIDOR_COLS = (2, 3, 4)
_EXPONENT = {0: 1, 2: 3, 4: 6, 5: 6}  # corridor rows: wind probability alpha**exponent
_MOVES = ((-1, 0), (1, 0), (0, 1), (0, -1))  # N, S, E, W


class RobustInstance(NamedTuple):
    """An uncertainty set with its rewards, discount and start state.

    Attributes
    ----------
    uset : FiniteSet, L1Ball, KLBall or ModelFamily
        The uncertainty set.
    R : ndarray, shape (S, A)
        Rewards.
    gamma : float
        Discount factor.
    init : int
        Start state.
    """

    uset: object
    R: np.ndarray
    gamma: float
    init: int


def _state(r: int, c: int) -> int:
    return r * _SIZE + c


def _move(r: int, c: int, a: int) -> tuple[int, int]:
    dr, dc = _MOVES[a]
    nr, nc = r + dr, c + dc
    if not (0 <= nr < _SIZE and 0 <= nc < _SIZE) or (nr, nc) in _WALLS:
        return r, c  # blocked: stay
    return nr, nc


def _windy_kernel(alpha: float) -> np.ndarray:
    S, A = _SIZE * _SIZE, 4
    P = np.zeros((S, A, S))
    west = 3
    for r in range(_SIZE):
        for c in range(_SIZE):
            s = _state(r, c)
            for a in range(A):
                if (r, c) == _GOAL or (r, c) in _WALLS:
                    P[s, a, s] = 1.0  # absorbing (walls are never reached)
                    continue
                intended = _move(r, c, a)
                if r in _EXPONENT and c in _CORRIDOR_COLS and a != west:
                    w = alpha ** _EXPONENT[r]
                    if r in (0, 2) and a in (0, 1):
                        intended = (r, c)  # N/S leave the agent in place in these corridors
                    P[s, a, _state(*intended)] += 1.0 - w
                    P[s, a, _state(*_move(r, c, west))] += w
                else:
                    P[s, a, _state(*intended)] = 1.0
    return P


def windy_walk(alphas=None, gamma: float = 0.95) -> RobustInstance:
    r"""The windy walk of Zouitine, Geist and Rachelson (2024), Sec. 4.

    Parameters
    ----------
    alphas : array_like, optional
        Wind strengths, one static model each (default: 25 values evenly
        spaced in [0, 0.5], as in the paper's Appendix E).
    gamma : float, optional
        Discount factor (the paper's 0.95).

    Returns
    -------
    RobustInstance
        ``uset`` a :class:`~theoryrl.robust.ModelFamily` (not rectangular),
        ``R`` (36, 4) with -1 per step outside the goal, ``gamma``, and the
        start state ``init``.
    """
    a = np.linspace(0.0, 0.5, 25) if alphas is None else as_float_array(alphas, "alphas")
    if a.ndim != 1 or a.size == 0 or (a < 0).any() or (a > 1).any():
        raise ValueError("alphas must be a non-empty 1-d array of values in [0, 1]")
    gamma = check_open_unit(gamma, "gamma")
    R = -np.ones((_SIZE * _SIZE, 4))
    R[_state(*_GOAL)] = 0.0
    return RobustInstance(ModelFamily(np.stack([_windy_kernel(float(x)) for x in a])), R,
                          gamma, _state(*_START))


def random_finite_set(n_states: int, n_actions: int, n_candidates: int,
                      concentration: float = 1.0, gamma: float = 0.9,
                      seed: int | np.random.Generator = 0) -> RobustInstance:
    r"""A random rectangular finite set: ``K`` Dirichlet candidates per pair.

    Parameters
    ----------
    n_states, n_actions, n_candidates : int
        :math:`S`, :math:`A` and :math:`K`.
    concentration : float, optional
        Dirichlet parameter of every candidate (small values: sparse kernels).
    gamma : float, optional
        Discount factor.
    seed : int or numpy.random.Generator, optional
        Seed of the draw.

    Returns
    -------
    RobustInstance
        A :class:`~theoryrl.robust.FiniteSet`, rewards uniform on [0, 1], start
        state 0.
    """
    S = check_int(n_states, "n_states", low=1)
    A = check_int(n_actions, "n_actions", low=1)
    K = check_int(n_candidates, "n_candidates", low=1)
    gamma = check_open_unit(gamma, "gamma")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    C = rng.dirichlet(np.full(S, float(concentration)), size=(S, A, K))
    # Dirichlet draws with tiny concentration can underflow to rows of zeros.
    bad = C.sum(axis=-1) < 0.5
    C[bad] = np.eye(S)[rng.integers(S, size=int(bad.sum()))]
    C /= C.sum(axis=-1, keepdims=True)
    return RobustInstance(FiniteSet(C), rng.uniform(size=(S, A)), gamma, 0)
