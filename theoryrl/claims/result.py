"""Small frozen result types shared by every proof check."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple


class Interval(NamedTuple):
    """A closed interval ``[low, high]`` (a confidence interval, usually)."""

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
    kind : {"theorem", "invariant"}
        A theorem check is evidence for a paper's claim; an invariant holds by
        algebra for any algorithm and catches implementation bugs.
    theorem : str
        The theorem (number and statement) the check tests.
    rule : str
        The rule applied (the registered rule, or its latest amendment).
    registered_rule : str
        The rule as first registered.
    amended : bool
        Whether ``rule`` differs from ``registered_rule``.
    registered_passed : bool or None
        The verdict under the registered rule (``None`` when it cannot be computed).
    verdict : {"pass", "fail", "inconclusive"}
        ``"inconclusive"`` when the bite statistic is below its minimum; ``passed``
        is true only for ``"pass"``. Defaults to ``passed``'s reading.
    bite, bite_min : float or None
        The statistic showing the instance exercises the claim, and its
        pre-registered minimum (``None`` for invariants).
    replication : dict or None
        ``{"base_seed": int, "passed": bool}`` from a rerun on fresh seeds.
    """

    paper: str
    check: str
    claim: str
    measured: float
    ci: Interval
    passed: bool
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    kind: str = "theorem"
    theorem: str = ""
    rule: str = ""
    registered_rule: str = ""
    amended: bool = False
    registered_passed: bool | None = None
    verdict: str | None = None
    bite: float | None = None
    bite_min: float | None = None
    replication: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.verdict is None:
            object.__setattr__(self, "verdict", "pass" if self.passed else "fail")
        if self.verdict not in ("pass", "fail", "inconclusive"):
            raise ValueError(f"verdict must be 'pass', 'fail' or 'inconclusive', "
                             f"got {self.verdict!r}")
        if self.kind not in ("theorem", "invariant"):
            raise ValueError(f"kind must be 'theorem' or 'invariant', got {self.kind!r}")
        if bool(self.passed) != (self.verdict == "pass"):
            raise ValueError(f"passed={self.passed} contradicts verdict {self.verdict!r}")

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the CLI contract (plus ``details``)."""
        d = asdict(self)
        d["ci"] = [_finite(self.ci[0]), _finite(self.ci[1])]
        d["measured"] = _finite(self.measured)
        d["passed"] = bool(self.passed)
        d["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        for k in ("bite", "bite_min"):
            d[k] = None if d[k] is None else _finite(d[k])
        if d["replication"] is None:
            del d["replication"]
        else:
            d["replication"] = _jsonable(d["replication"])
        return d

    def __str__(self) -> str:
        mark = self.verdict.upper()
        tag = " (amended rule)" if self.amended else ""
        return (
            f"[{mark}] {self.kind} {self.paper}.{self.check}{tag}: measured {self.measured:.4g} "
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
