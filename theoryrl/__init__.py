"""theoryrl: provably efficient RL algorithms on exact models, with proof checks.

``import theoryrl`` loads numpy, scipy and numba only; plotting, the CLI,
parallel back-ends and solvers are imported when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = ("models", "planning", "robust", "envs", "agents", "evaluation", "experiment",
               "claims", "backend", "exercises")
__all__ = [*_SUBMODULES, "run", "run_batched", "sweep", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "run":
        from .experiment import run

        return run
    if name == "run_batched":
        from .experiment import run_batched

        return run_batched
    if name == "sweep":
        from .experiment.sweep import sweep

        return sweep
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
