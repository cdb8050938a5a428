"""Empirical checks of the papers' theorems, one module per paper.

Each module ``proofs_checks/<paper>.py`` exposes::

    def checks(quick: bool = False, seeds: int | None = None) -> list[CheckResult]

Settings are data (``SWEEP`` / ``QUICK`` dicts), judgement is code
(``check_*`` functions over measured data). Modules are discovered, not listed,
so adding a paper is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from theoryrl.claims import CheckResult

__all__ = ["available", "get_checks", "CheckResult"]


def available() -> list[str]:
    """Registry keys of all papers that ship proof checks (module names)."""
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith("_")
    )


def get_checks(paper: str) -> Callable[..., list[CheckResult]]:
    """The ``checks`` function of ``paper`` (raises ``ValueError`` if unknown)."""
    names = available()
    if paper not in names:
        raise ValueError(f"paper must be one of {names}, got {paper!r}")
    return importlib.import_module(f"{__name__}.{paper}").checks
