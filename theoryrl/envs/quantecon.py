r"""Converters to and from QuantEcon's :class:`quantecon.markov.DiscreteDP`.

QuantEcon writes a discounted dynamic program as rewards ``R`` and transition
probabilities ``Q`` in one of two forms: the *product* form, ``R[s, a]`` (n, m)
and ``Q[s, a, s']`` (n, m, n), where ``R[s, a] = -inf`` marks an infeasible
action; and the *state-action-pair* form, ``R[k]`` (L,) and ``Q[k, s']``
(L, n), dense or scipy.sparse, over the feasible pairs
``(s_indices[k], a_indices[k])``. theoryrl's layout is the product form, so
the converters only move entries; an infeasible action becomes ``-inf`` in
``R`` (see :class:`~theoryrl.models.TabularMDP`'s ``feasible``).
``quantecon`` is imported only by :func:`to_quantecon`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..models.tabular import TabularMDP

__all__ = ["from_quantecon", "to_quantecon"]


def _dense(x: Any) -> np.ndarray:
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x, dtype=np.float64)


def from_quantecon(ddp: Any, horizon: int | None = None, init: Any = None) -> TabularMDP:
    r"""The :class:`~theoryrl.models.TabularMDP` of a QuantEcon ``DiscreteDP``.

    Parameters
    ----------
    ddp : quantecon.markov.DiscreteDP
        In product or state-action-pair form (dense or sparse ``Q``). Any
        object with its attributes ``R``, ``Q``, ``beta``, ``s_indices`` and
        ``a_indices`` will do.
    horizon : int, optional
        Make an episodic model of ``horizon`` stages, for a ``ddp`` with
        ``beta == 1`` (QuantEcon's finite-horizon use,
        ``quantecon.markov.backward_induction``). By default the model is
        discounted with ``gamma = ddp.beta``.
    init : array_like, optional
        Initial distribution (QuantEcon has none); state 0 by default.

    Returns
    -------
    TabularMDP
        Infeasible actions (``-inf`` rewards, or pairs missing from the
        state-action-pair form) are marked infeasible. A missing pair's row of
        ``P`` is a self-loop, never used.

    Raises
    ------
    ValueError
        For ``beta`` that fits neither criterion, or inconsistent shapes.
    """
    for attr in ("R", "Q", "beta"):
        if not hasattr(ddp, attr):
            raise TypeError(f"ddp must be a quantecon DiscreteDP (no attribute {attr!r}), "
                            f"got {type(ddp).__name__}")
    beta = float(ddp.beta)
    if horizon is None:
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"ddp.beta must be in [0, 1) for a discounted model, got {beta}; "
                             "give horizon= for a finite-horizon one")
        criterion: dict[str, Any] = {"gamma": beta}
    else:
        if beta != 1.0:
            raise ValueError(f"a finite-horizon model is undiscounted, so ddp.beta must be 1 "
                             f"with horizon=, got {beta}")
        criterion = {"horizon": horizon}
    R = np.asarray(ddp.R, dtype=np.float64)
    Q = _dense(ddp.Q)
    s_idx = getattr(ddp, "s_indices", None)
    if s_idx is None:  # product form
        if R.ndim != 2 or Q.shape != R.shape + (R.shape[0],):
            raise ValueError(f"ddp.R (n, m) and ddp.Q (n, m, n) do not match: {R.shape}, "
                             f"{Q.shape}")
        return TabularMDP(Q, R, init=init, **criterion)
    s_idx = np.asarray(s_idx, dtype=np.int64)
    a_idx = np.asarray(ddp.a_indices, dtype=np.int64)
    L, n = Q.shape
    if R.shape != (L,) or s_idx.shape != (L,) or a_idx.shape != (L,):
        raise ValueError(f"ddp.R, s_indices and a_indices must have the {L} pairs of ddp.Q, "
                         f"got {R.shape}, {s_idx.shape}, {a_idx.shape}")
    m = int(a_idx.max()) + 1
    P = np.zeros((n, m, n))
    P[np.arange(n), :, np.arange(n)] = 1.0
    Rf = np.full((n, m), -np.inf)
    P[s_idx, a_idx] = Q
    Rf[s_idx, a_idx] = R
    return TabularMDP(P, Rf, init=init, **criterion)


def to_quantecon(mdp: TabularMDP, sa_pair: bool = False, sparse: bool = False) -> Any:
    """A QuantEcon ``DiscreteDP`` of a stationary model.

    Parameters
    ----------
    mdp : TabularMDP
        Discounted (``beta = gamma``) or episodic with stationary ``P`` and
        ``R`` (``beta = 1``: solve it with
        ``quantecon.markov.backward_induction(ddp, mdp.horizon)``).
        ``init`` is not carried (QuantEcon has none).
    sa_pair : bool
        The state-action-pair form over the feasible pairs, instead of the
        product form with ``-inf`` rewards at infeasible actions.
    sparse : bool
        With ``sa_pair``, ``Q`` as a scipy.sparse CSR matrix.

    Returns
    -------
    quantecon.markov.DiscreteDP
        ``DiscreteDP(R, Q, beta)`` with ``R`` of shape (S, A) and ``Q`` of
        shape (S, A, S) (copies of ``mdp.R`` and ``mdp.P``), or, with
        ``sa_pair``, ``DiscreteDP(R, Q, beta, s_indices, a_indices)`` over the
        L feasible pairs (``R`` of shape (L,), ``Q`` of shape (L, S)).

    Raises
    ------
    ValueError
        For an average-reward model (QuantEcon has no such criterion) or a
        stage-dependent one.
    """
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    if mdp.criterion == "average":
        raise ValueError("QuantEcon's DiscreteDP is discounted or finite-horizon; mdp is "
                         "average-reward")
    if mdp.P.ndim != 3 or mdp.R.ndim != 2:
        raise ValueError(f"mdp must be stationary for QuantEcon, got P {mdp.P.shape} and "
                         f"R {mdp.R.shape}")
    try:
        from quantecon.markov import DiscreteDP
    except ImportError as e:  # pragma: no cover - exercised only without quantecon
        raise ImportError("to_quantecon needs quantecon: pip install 'theoryrl[interop]'") from e
    beta = 1.0 if mdp.criterion == "episodic" else float(mdp.gamma)
    with warnings.catch_warnings():
        # beta = 1 is QuantEcon's finite-horizon use; its warning is about the other solvers
        warnings.filterwarnings("ignore", message="infinite horizon solution methods")
        if not sa_pair:
            return DiscreteDP(mdp.R.copy(), mdp.P.copy(), beta)
        s_idx, a_idx = np.nonzero(mdp.feasible)
        Q = mdp.P[s_idx, a_idx]
        if sparse:
            from scipy.sparse import csr_matrix

            Q = csr_matrix(Q)
        return DiscreteDP(mdp.R[s_idx, a_idx], Q, beta, s_idx, a_idx)
