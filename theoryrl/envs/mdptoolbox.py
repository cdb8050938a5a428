r"""Lossless converters to and from pymdptoolbox's array layout.

pymdptoolbox (``mdptoolbox.mdp``) stores transitions as ``P[a, s, s']``
(shape (A, S, S), or a length-A sequence of (S, S) matrices, possibly
scipy.sparse) and rewards as ``R[s, a]`` (S, A), ``R[s]`` (S,) or
``R[a, s, s']`` (A, S, S). theoryrl uses ``P[s, a, s']`` and ``R[s, a]``.
pymdptoolbox is not a dependency: these functions only move axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_array
from ..models.tabular import TabularMDP

__all__ = ["to_mdptoolbox", "from_mdptoolbox"]


def to_mdptoolbox(mdp: TabularMDP) -> tuple[np.ndarray, np.ndarray]:
    """``(P, R)`` in pymdptoolbox's layout: ``P`` (A, S, S) with
    ``P[a, s, t] = mdp.P[s, a, t]`` and ``R`` (S, A), both fresh writable copies.

    Parameters
    ----------
    mdp : TabularMDP
        A model with a stationary kernel and rewards.

    Returns
    -------
    P : numpy.ndarray, shape (A, S, S)
        Transition matrices, one per action.
    R : numpy.ndarray, shape (S, A)
        Mean rewards.

    Raises
    ------
    ValueError
        For stage-dependent ``P`` or ``R`` (pymdptoolbox has no stage axis).
    """
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    if mdp.P.ndim != 3 or mdp.R.ndim != 2:
        raise ValueError(f"mdp must be stationary for pymdptoolbox, got P {mdp.P.shape} "
                         f"and R {mdp.R.shape}")
    return np.ascontiguousarray(mdp.P.transpose(1, 0, 2)), mdp.R.copy()


def _dense(x: Any) -> Any:
    return x.toarray() if hasattr(x, "toarray") else x


def from_mdptoolbox(P: Any, R: Any, **criterion: Any) -> TabularMDP:
    r"""The :class:`~theoryrl.models.TabularMDP` of pymdptoolbox arrays.

    Parameters
    ----------
    P : array_like (A, S, S), or a sequence of A (S, S) matrices (dense or scipy.sparse)
        ``P[a][s, s']``.
    R : array_like (S, A), (S,) or (A, S, S)
        Rewards by state-action, by state (the same for every action), or by
        transition, reduced as pymdptoolbox does to
        :math:`r(s, a) = \sum_{s'} P(s' \mid s, a) R[a, s, s']`.
    **criterion
        ``horizon=``, ``gamma=`` and ``init=``, passed to ``TabularMDP``.

    Returns
    -------
    TabularMDP
        The same model in theoryrl's layout.

    Raises
    ------
    ValueError
        For shapes that do not match, and everything ``TabularMDP`` rejects.
    """
    if isinstance(P, (list, tuple)) or (isinstance(P, np.ndarray) and P.dtype == object):
        P = np.stack([np.asarray(_dense(m), dtype=np.float64) for m in P])
    P = as_float_array(_dense(P), "P")
    if P.ndim != 3 or P.shape[1] != P.shape[2]:
        raise ValueError(f"P must be (A, S, S) in pymdptoolbox's layout, got shape {P.shape}")
    A, S = P.shape[0], P.shape[1]
    if isinstance(R, (list, tuple)) and len(R) and hasattr(R[0], "toarray"):
        R = np.stack([np.asarray(_dense(m), dtype=np.float64) for m in R])
    R = as_float_array(_dense(R), "R")
    if R.shape == (S, A):
        r = R
    elif R.shape == (S,):
        r = np.repeat(R[:, None], A, axis=1)
    elif R.shape == (A, S, S):
        r = np.einsum("ast,ast->sa", P, R)
    else:
        raise ValueError(f"R must be (S, A)=({S}, {A}), (S,)=({S},) or (A, S, S)="
                         f"({A}, {S}, {S}), got shape {R.shape}")
    return TabularMDP(np.ascontiguousarray(P.transpose(1, 0, 2)), r, **criterion)
