r"""Uncertainty sets of transition kernels.

An (s, a)-rectangular set is a product :math:`\mathcal T = \times_{(s,a)}
\mathcal P_{s,a}` of sets of next-state distributions chosen independently
per pair (Iyengar 2005, Sec. 2; Wiesemann, Kuhn and Rustem 2013, Sec. 2). On
such sets the robust Bellman operator is a contraction and the adversary's
best response to a stationary policy is a static kernel (Iyengar 2005, Thm 3.2
and Lemma 3.3). Three rectangular families are provided, each with an exact
inner solver (:mod:`theoryrl.robust.inner`):

* :class:`FiniteSet`: ``K`` candidate distributions per pair;
* :class:`L1Ball`: :math:`\{p : \|p - \hat P(s,a)\|_1 \le \beta_{s,a}\}`;
* :class:`KLBall`: :math:`\{p : \mathrm{KL}(p \| \hat P(s,a)) \le \beta_{s,a}\}`.

:class:`ModelFamily` is a finite list of whole kernels that need not be
rectangular (a parameter shared by all pairs, as in the windy walk of
Zouitine, Geist and Rachelson 2024, Sec. 4); :meth:`ModelFamily.hull` is its
rectangular hull, on which robust dynamic programming is valid.

Every rectangular set has ``worst(v) -> (values, p, error)``: the inner values
:math:`\sigma_{s,a}(v)` (S, A), the minimising kernel (S, A, S) and a certified
bound on the inner solver's error (0 where it is exact).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import as_float_array, check_distribution_rows, check_kernel
from .inner import finite_worst, kl_worst, l1_worst

__all__ = ["FiniteSet", "KLBall", "L1Ball", "ModelFamily"]


def _radius(beta, shape: tuple[int, int], name: str = "beta") -> np.ndarray:
    b = as_float_array(beta, name)
    try:
        b = np.broadcast_to(b, shape).copy()
    except ValueError as e:
        raise ValueError(f"{name} must be a scalar or broadcast to {shape}, "
                         f"got shape {b.shape}") from e
    if (b < 0).any():
        raise ValueError(f"{name} must be non-negative (min {b.min():.3g})")
    return b


@dataclass(frozen=True, eq=False)
class FiniteSet:
    r"""Rectangular set with finitely many candidates per pair.

    Parameters
    ----------
    C : array_like, shape (S, A, K, S)
        ``C[s, a, k]`` is the k-th candidate next-state distribution of (s, a).

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[[[1.0, 0.0], [0.0, 1.0]]], [[[0.0, 1.0], [0.0, 1.0]]]])
    >>> FiniteSet(C).worst(np.array([0.0, 5.0]))[0]
    array([[0.],
           [5.]])
    """

    C: np.ndarray

    def __post_init__(self) -> None:
        C = as_float_array(self.C, "C")
        if C.ndim != 4 or C.shape[3] != C.shape[0]:
            raise ValueError(f"C must have shape (S, A, K, S), got {C.shape}")
        check_distribution_rows(C, "C")
        C.setflags(write=False)
        object.__setattr__(self, "C", C)

    @property
    def shape(self) -> tuple[int, int]:
        """``(S, A)``."""
        return self.C.shape[0], self.C.shape[1]

    def worst(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Inner values (S, A), minimising kernel (S, A, S), inner error (0: exact)."""
        values, _, p = finite_worst(self.C, v)
        return values, p, 0.0

    def values(self, v: np.ndarray) -> tuple[np.ndarray, float]:
        """Inner values (S, A) and inner error, without building the kernel."""
        return (self.C @ v).min(axis=2), 0.0

    def contains(self, P: np.ndarray, atol: float = 1e-10) -> bool:
        """Whether every row ``P[s, a]`` is one of the candidates of (s, a)."""
        d = np.abs(self.C - P[:, :, None, :]).max(axis=3)
        return bool((d <= atol).any(axis=2).all())


@dataclass(frozen=True, eq=False)
class _Ball:
    """Balls of radii ``beta`` (S, A) around the rows of a nominal kernel ``P``."""

    def values(self, v: np.ndarray) -> tuple[np.ndarray, float]:
        """Inner values (S, A) and the inner error bound."""
        vals, _, err = self.worst(v)
        return vals, err

    P: np.ndarray
    beta: np.ndarray = field(default=0.0)

    def __post_init__(self) -> None:
        P = check_kernel(self.P, "P")
        if P.ndim != 3:
            raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
        P.setflags(write=False)
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "beta", _radius(self.beta, P.shape[:2]))

    @property
    def shape(self) -> tuple[int, int]:
        """``(S, A)``."""
        return self.P.shape[0], self.P.shape[1]


@dataclass(frozen=True, eq=False)
class L1Ball(_Ball):
    r"""Rectangular L1 balls around a nominal kernel.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        The nominal kernel :math:`\hat P`.
    beta : float or array_like, shape (S, A)
        Radii :math:`\beta_{s,a} \ge 0` in L1 norm (``beta >= 2`` is the
        whole simplex).
    """

    def worst(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Inner values (S, A), minimising kernel (S, A, S), inner error (0: exact)."""
        values, p = l1_worst(self.P, v, self.beta)
        return values, p, 0.0

    def contains(self, P: np.ndarray, atol: float = 1e-10) -> bool:
        """Whether every row of ``P`` lies in its pair's ball."""
        return bool((np.abs(P - self.P).sum(axis=2) <= self.beta + atol).all())


@dataclass(frozen=True, eq=False)
class KLBall(_Ball):
    r"""Rectangular KL balls :math:`\{p : \mathrm{KL}(p\|\hat P(s,a)) \le \beta_{s,a}\}`.

    Members never leave the support of :math:`\hat P(s, a)`.

    Parameters
    ----------
    P : array_like, shape (S, A, S)
        The nominal kernel :math:`\hat P`.
    beta : float or array_like, shape (S, A)
        Radii in nats, non-negative.
    """

    def worst(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Inner values (S, A), a feasible minimiser (S, A, S) and the largest
        certified gap between its value and the exact inner minimum."""
        values, p, gap = kl_worst(self.P, v, self.beta)
        return values, p, float(gap.max())

    def contains(self, P: np.ndarray, atol: float = 1e-10) -> bool:
        """Whether every row of ``P`` lies in its pair's ball."""
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(P > 0, P * np.log(P / self.P), 0.0)
        return bool((t.sum(axis=2) <= self.beta + atol).all())


@dataclass(frozen=True, eq=False)
class ModelFamily:
    r"""A finite family of whole kernels, not necessarily rectangular.

    Parameters
    ----------
    models : array_like, shape (K, S, A, S)
        The static models :math:`T_1, \dots, T_K`.
    """

    models: np.ndarray

    def __post_init__(self) -> None:
        M = as_float_array(self.models, "models")
        if M.ndim != 4 or M.shape[1] != M.shape[3]:
            raise ValueError(f"models must have shape (K, S, A, S), got {M.shape}")
        check_distribution_rows(M, "models")
        M.setflags(write=False)
        object.__setattr__(self, "models", M)

    @property
    def shape(self) -> tuple[int, int]:
        """``(S, A)``."""
        return self.models.shape[1], self.models.shape[2]

    def hull(self) -> FiniteSet:
        r"""The rectangular hull :math:`\times_{s,a} \{T_k(\cdot|s,a)\}_k`."""
        return FiniteSet(np.transpose(self.models, (1, 2, 0, 3)))
