"""Small frozen result types shared by every proof check."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple


class Interval(NamedTuple):
    """A closed interval ``[low, high]`` (a confidence interval, usually).

    Attributes
    ----------
    low, high : float
        The end points; ``x in interval`` tests ``low <= x <= high``.
    """

    low: float
    high: float

    def __contains__(self, x: object) -> bool:  # type: ignore[override]
        return isinstance(x, (int, float)) and self.low <= float(x) <= self.high


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one proof check.

    Attributes
    ----------
    paper : str
        Registry key of the paper (``"ucbvi"``, ``"stepmix"``, ...).
    check : str
        Short name of the check.
    claim : str
        The claim in words, with the theorem it comes from and its provenance
        tag ([V] verified, [R] reconstructed, [D] our design).
    measured : float
        The statistic the verdict rests on (a slope, a count, a ratio...).
    ci : Interval
        Its confidence interval (``(measured, measured)`` for exact counts).
    passed : bool
        Whether the pass rule held.
    seconds : float
        Wall-clock time of measurement and judgement.
    details : dict
        Anything else worth printing (the pass rule, sizes, seeds, p-values).
    """

    paper: str
    check: str
    claim: str
    measured: float
    ci: Interval
    passed: bool
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the CLI contract (plus ``details``)."""
        d = asdict(self)
        d["ci"] = [_finite(self.ci[0]), _finite(self.ci[1])]
        d["measured"] = _finite(self.measured)
        d["passed"] = bool(self.passed)
        d["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        return d

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        return (
            f"[{mark}] {self.paper}.{self.check}: measured {self.measured:.4g} "
            f"CI [{self.ci[0]:.4g}, {self.ci[1]:.4g}] ({self.seconds:.1f}s) -- {self.claim}"
        )


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _jsonable(v: Any) -> Any:
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_jsonable(u) for u in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(u) for k, u in v.items()}
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
