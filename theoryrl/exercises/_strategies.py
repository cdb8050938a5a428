"""Hypothesis strategies for the graders (imported only inside grader functions).

Probabilities and rewards are small integers normalised (multiples of 1/9 or
1/10 before normalising), so inputs print readably, zeros are frequent (sparse
kernels, absorbing states) and nothing is near a floating-point edge.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def _normalise(x: np.ndarray) -> np.ndarray:
    x = x.astype(float)
    s = x.sum(axis=-1, keepdims=True)
    n = x.shape[-1]
    return np.where(s > 0, x / np.where(s > 0, s, 1.0), 1.0 / n)


def distributions(shape: tuple[int, ...], low: int = 0) -> st.SearchStrategy:
    """Arrays of ``shape`` whose last axis sums to 1 (entries from integers ``low..9``)."""
    return hnp.arrays(np.int64, shape, elements=st.integers(low, 9)).map(_normalise)


def unit_floats(shape: tuple[int, ...]) -> st.SearchStrategy:
    """Arrays of ``shape`` with entries in {0, 0.1, ..., 1}."""
    return hnp.arrays(np.int64, shape, elements=st.integers(0, 10)).map(lambda x: x / 10.0)


@st.composite
def mdps(draw, max_S: int = 4, max_A: int = 3, dense: bool = False):
    """``(P (S, A, S), R (S, A))``; ``dense`` makes every transition positive."""
    S = draw(st.integers(1, max_S))
    A = draw(st.integers(1, max_A))
    P = draw(distributions((S, A, S), low=1 if dense else 0))
    R = draw(unit_floats((S, A)))
    return P, R


@st.composite
def episodic(draw, max_S: int = 4, max_A: int = 3, max_H: int = 5):
    """``(P, R, H)``."""
    P, R = draw(mdps(max_S, max_A))
    return P, R, draw(st.integers(1, max_H))


@st.composite
def pomdps(draw, max_S: int = 3, max_O: int = 3, max_A: int = 2):
    """``(T (A, S, S), E (S, O), mu (S,))``: transitions, emissions, initial law."""
    S = draw(st.integers(1, max_S))
    O = draw(st.integers(1, max_O))
    A = draw(st.integers(1, max_A))
    T = draw(distributions((A, S, S)))
    E = draw(distributions((S, O)))
    mu = draw(distributions((S,)))
    return T, E, mu


def seeds() -> st.SearchStrategy:
    """Seeds for numpy generators (hypothesis picks them, numpy fills large arrays)."""
    return st.integers(0, 2**31 - 1)
