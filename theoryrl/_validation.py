"""Validators used at every public boundary.

Each returns the cleaned value or raises ``ValueError``/``TypeError`` as
``<arg>[index] <what is wrong> (<value>)``. Nothing is clipped or renormalised.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

ATOL = 1e-9


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(j) for j in np.argwhere(mask)[0])


def _fmt(idx: tuple[int, ...]) -> str:
    # a 1-d array's only row has no index: "init is not ...", not "init[] is not ..."
    return "[" + ", ".join(str(i) for i in idx) + "]" if idx else ""


def check_real_dtype(a: np.ndarray, name: str) -> np.ndarray:
    """``a`` has a real numeric dtype (bool, integer or floating point).

    Complex numbers would lose their imaginary part on conversion, strings
    would be parsed, and object arrays hide anything: all are refused.
    """
    if a.dtype.kind not in "biuf":
        what = {"c": "complex", "U": "string", "S": "bytes", "O": "object",
                "M": "datetime", "m": "timedelta", "V": "structured"}.get(a.dtype.kind, "")
        raise TypeError(f"{name} must be a numeric array of real numbers, got "
                        f"{what + ' ' if what else ''}dtype {a.dtype}")
    return a


def as_float_array(x, name: str) -> np.ndarray:
    """``x`` as a C-contiguous float64 array; rejects non-real input (see check_real_dtype)."""
    try:
        raw = np.asarray(x)
    except (TypeError, ValueError) as e:  # ragged nested sequences and the like
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}") from e
    check_real_dtype(raw, name)
    try:
        a = np.ascontiguousarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as e:
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}") from e
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}{_fmt(_first(~np.isfinite(a)))} is not finite")
    return a


def check_distribution_rows(P: np.ndarray, name: str, atol: float = ATOL) -> np.ndarray:
    """Every row along the last axis is a probability distribution."""
    if P.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {P.shape}")
    neg = P < 0
    if neg.any():
        i = _first(neg)
        raise ValueError(f"{name}{_fmt(i[:-1])} is not a distribution "
                         f"(entry {i[-1]} is negative: {P[i]:.3g})")
    sums = P.sum(axis=-1)
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        i = _first(bad)
        raise ValueError(f"{name}{_fmt(i)} is not a distribution (sum {sums[i]:.12g})")
    return P


def check_kernel(P, name: str = "P", atol: float = ATOL) -> np.ndarray:
    """A transition tensor ``(S, A, S)`` or ``(H, S, A, S)``."""
    P = as_float_array(P, name)
    if P.ndim not in (3, 4) or P.shape[-1] != P.shape[-3]:
        raise ValueError(f"{name} must be (S, A, S) or (H, S, A, S), got shape {P.shape}")
    return check_distribution_rows(P, name, atol)


def check_in_range(x: np.ndarray, name: str, low: float, high: float) -> np.ndarray:
    """Every entry in ``[low, high]``."""
    bad = (x < low) | (x > high)
    if bad.any():
        i = _first(bad)
        raise ValueError(f"{name}{_fmt(i)} must be in [{low:g}, {high:g}] ({x[i]:.6g})")
    return x


def check_distribution(p, name: str, size: int | None = None,
                       atol: float = ATOL) -> np.ndarray:
    """A probability vector (of length ``size`` if given)."""
    p = as_float_array(p, name)
    if p.ndim != 1 or (size is not None and p.shape[0] != size):
        want = f"({size},)" if size is not None else "1-d"
        raise ValueError(f"{name} must have shape {want}, got {p.shape}")
    return check_distribution_rows(p, name, atol)


def check_int(x, name: str, low: int | None = None) -> int:
    """An integer (not a bool), at least ``low``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(x).__name__} ({x!r})")
    x = int(x)
    if low is not None and x < low:
        raise ValueError(f"{name} must be >= {low}, got {x}")
    return x


def check_open_unit(x, name: str) -> float:
    """A real number in the open interval (0, 1)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {x}")
    return x


def check_real(x, name: str) -> float:
    """A finite real number (not a bool)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    return x


def check_positive(x, name: str, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    x = float(x)
    ok = (x >= 0.0) if allow_zero else (x > 0.0)
    if not (ok and np.isfinite(x)):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else 'positive'} "
                         f"and finite, got {x}")
    return x


def check_rng(rng) -> np.random.Generator:
    """A ``numpy.random.Generator`` (never global state)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def check_choice(x, name: str, choices):
    """``x`` is one of ``choices`` (a string option, usually); returns ``x``.

    Raises ``ValueError`` as ``<name> must be one of [<choices>], got <x!r>``;
    unhashable or array input is compared safely (never an ambiguous truth value).
    """
    options = list(choices)
    for c in options:
        if isinstance(x, type(c)) and (isinstance(x, bool) == isinstance(c, bool)) and x == c:
            return x
    raise ValueError(f"{name} must be one of {options}, got {x!r}")


def check_discount(gamma, name: str = "gamma") -> float:
    """A discount factor in [0, 1): a real number (a fraction, a NumPy scalar or a 0-d
    numeric array too; not a bool)."""
    if isinstance(gamma, np.ndarray) and gamma.ndim == 0 and gamma.dtype.kind in "iuf":
        gamma = gamma.item()
    if isinstance(gamma, (bool, np.bool_)) or not isinstance(gamma, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(gamma).__name__}")
    g = float(gamma)
    if not 0.0 <= g < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {g}")
    return g
