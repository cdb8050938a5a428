"""Empirical checks of the papers' theorems, one module per paper, on one harness.

Each module ``proofs_checks/<paper>.py`` declares its checks as data
(``PAPER`` and ``CHECKS``, a list of :class:`~proofs_checks._harness.Check`:
settings per tier, a measure function, a judge and the pre-registered rule);
:mod:`proofs_checks._harness` runs them, and ``registry.toml`` holds every
rule as first registered with its amendments. A module that still ships its
own ``checks(quick, seeds)`` driver runs through it, completed from the
registry. Modules are discovered, not listed, so adding a paper is adding a
file (and its registry entries).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import partial

from theoryrl.claims import CheckResult

__all__ = ["available", "get_checks", "CheckResult"]


def available() -> list[str]:
    """Registry keys of all papers that ship proof checks (module names)."""
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith("_") and m.name != "variants"
    )


def get_checks(paper: str) -> Callable[..., list[CheckResult]]:
    """A function ``(quick=False, seeds=None, n_jobs=1, replicate=False) -> list[CheckResult]``
    running every check of ``paper`` (raises ``ValueError`` if unknown)."""
    names = available()
    if paper not in names:
        raise ValueError(f"paper must be one of {names}, got {paper!r}")
    from ._harness import run_paper

    importlib.import_module(f"{__name__}.{paper}")
    return partial(run_paper, paper)
