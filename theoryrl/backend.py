"""Array namespace selection for batched kernels (numpy by default, CuPy on a GPU).

Batched multi-seed kernels are written against the Python array-API standard
and take the namespace ``xp`` keyword-only, found once at the boundary
(scipy's ``*, xp`` pattern). CuPy and array-api-compat are optional
dependencies (``pip install theoryrl[gpu]``); they are imported only when asked
for, so ``import theoryrl`` loads numpy, scipy and numba alone.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ._validation import check_choice

__all__ = ["get_namespace", "namespace_of", "to_numpy", "BACKENDS"]

BACKENDS = ("numpy", "cupy", "array_api_strict")


def get_namespace(backend: str = "numpy") -> ModuleType:
    """The array namespace named ``backend``.

    Parameters
    ----------
    backend : {"numpy", "cupy", "array_api_strict"}
        ``"numpy"`` returns numpy itself (it implements the standard since 2.0);
        ``"cupy"`` returns the array-api-compat wrapper of CuPy;
        ``"array_api_strict"`` is the strict reference namespace used in tests
        to prove a kernel touches nothing outside the standard.

    Returns
    -------
    module
        The namespace (a module implementing the array-API standard).

    Examples
    --------
    >>> get_namespace("numpy").__name__
    'numpy'

    Raises
    ------
    ValueError
        If ``backend`` is not one of :data:`BACKENDS`.
    ImportError
        If the optional package is not installed (with the extra to install).
    """
    check_choice(backend, "backend", BACKENDS)
    if backend == "numpy":
        import numpy

        return numpy
    if backend == "cupy":
        try:
            return importlib.import_module("array_api_compat.cupy")
        except ImportError as e:  # pragma: no cover - needs a GPU machine
            raise ImportError("backend='cupy' needs `pip install theoryrl[gpu]` "
                              "and a CUDA device") from e
    try:
        return importlib.import_module("array_api_strict")
    except ImportError as e:
        raise ImportError("backend='array_api_strict' needs "
                          "`pip install theoryrl[test]`") from e


def namespace_of(*arrays: Any) -> ModuleType:
    """The namespace of ``arrays`` (numpy arrays give numpy without extra imports).

    Parameters
    ----------
    *arrays : array
        Arrays of one namespace.

    Returns
    -------
    module
        Their array-API namespace.

    Examples
    --------
    >>> import numpy as np
    >>> namespace_of(np.zeros(2), np.ones(3)) is np
    True
    """
    import numpy

    if all(isinstance(a, numpy.ndarray) for a in arrays):
        return numpy
    from array_api_compat import array_namespace

    return array_namespace(*arrays)


def to_numpy(x: Any) -> Any:
    """Copy an array of any supported namespace to a numpy array on the host.

    Parameters
    ----------
    x : array
        An array of numpy, CuPy or any array-API namespace.

    Returns
    -------
    numpy.ndarray
        ``x`` itself when it is already a numpy array, else a host copy.
    """
    import numpy

    if isinstance(x, numpy.ndarray):
        return x
    if hasattr(x, "get"):  # CuPy
        return x.get()
    return numpy.asarray(x)
