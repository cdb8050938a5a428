"""Pass rules of proof checks: small frozen objects, written down before the data.

A rule reads named statistics from a dict that a check's judge computes
(``stats``) and says whether the claim is supported. Rules are data: each one
round-trips through :meth:`Rule.to_dict` / :func:`rule_from_dict`, which is how
the registry (``proofs_checks/registry.toml``) stores them, and two rules are
the same rule exactly when they compare equal.

Kinds (the ``stat`` field of the stored form):

``ci_within``
    ``low <= stats[key].low`` and ``stats[key].high <= high`` (a confidence
    interval inside a window; one side may be infinite, a one-sided rule).
``ci_meets``
    the interval ``stats[key]`` intersects ``[low, high]``.
``at_most`` / ``at_least``
    ``stats[key] <= bound`` / ``stats[key] >= bound``.
``binomial``
    ``stats[key] = (successes, n)``; the claim "success probability at least
    ``p0``" is kept unless the one-sided exact test rejects it at ``level``.
    ``level = "family"`` takes the package's family-wise level (see
    :class:`FamilyRule`).
``pvalue_below``
    ``stats[key] < level`` (the claim needs a significant effect).
``all`` / ``any``
    every / at least one sub-rule holds.
``text``
    a rule in words, applied by a paper module that has its own driver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy import stats as _st

__all__ = [
    "AllOf",
    "AnyOf",
    "AtLeast",
    "AtMost",
    "Binomial",
    "CIMeets",
    "CIWithin",
    "FamilyRule",
    "PValueAtLeast",
    "PValueBelow",
    "Rule",
    "TextRule",
    "detectable_failure_rate",
    "rule_from_dict",
]


def _num(x: float) -> Any:
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def _float(x: Any, name: str) -> float:
    if isinstance(x, str) and x in ("inf", "-inf"):
        return float(x)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{name} must be a number, got {x!r}")
    return float(x)


def _stat(stats: dict, key: str) -> Any:
    if key not in stats:
        raise KeyError(f"the judge did not compute statistic {key!r} (has {sorted(stats)})")
    return stats[key]


class Rule:
    """Base class: ``holds(stats, family_level)`` and a stored form."""

    stat: str = ""

    def holds(self, stats: dict, family_level: float) -> bool:  # pragma: no cover
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover
        raise NotImplementedError

    def tests(self) -> list[Rule]:
        """Sub-rules that are significance tests using the family-wise level."""
        return []

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class CIWithin(Rule):
    """Confidence interval ``stats[key]`` inside ``[low, high]``.

    Holds when ``low <= l`` and ``u <= high``,
    with ``stats[key] = (l, u)`` the interval the judge computed; an infinite
    end makes the rule one-sided.

    Attributes
    ----------
    key : str
        Name of the statistic in the judge's ``stats`` dict.
    low : float
        Lower end of the window; ``-inf`` (the default) leaves it open.
    high : float
        Upper end of the window; ``inf`` (the default) leaves it open.
    """

    key: str
    low: float = -math.inf
    high: float = math.inf
    stat = "ci_within"

    def holds(self, stats: dict, family_level: float) -> bool:
        lo, hi = _stat(stats, self.key)
        return bool(self.low <= lo and hi <= self.high)

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, key=self.key, low=_num(self.low), high=_num(self.high))

    def describe(self) -> str:
        if math.isinf(self.low):
            return f"{self.key} upper end <= {self.high:g}"
        if math.isinf(self.high):
            return f"{self.key} lower end >= {self.low:g}"
        return f"{self.key} within [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class CIMeets(Rule):
    """Confidence interval ``stats[key]`` intersects ``[low, high]``.

    Holds when ``l <= high`` and ``u >= low``,
    with ``stats[key] = (l, u)``: the data do not exclude the window.

    Attributes
    ----------
    key : str
        Name of the statistic in the judge's ``stats`` dict.
    low : float
        Lower end of the window; ``-inf`` (the default) leaves it open.
    high : float
        Upper end of the window; ``inf`` (the default) leaves it open.
    """

    key: str
    low: float = -math.inf
    high: float = math.inf
    stat = "ci_meets"

    def holds(self, stats: dict, family_level: float) -> bool:
        lo, hi = _stat(stats, self.key)
        return bool(lo <= self.high and hi >= self.low)

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, key=self.key, low=_num(self.low), high=_num(self.high))

    def describe(self) -> str:
        return f"{self.key} meets [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class AtMost(Rule):
    """``stats[key] <= bound``.

    Attributes
    ----------
    key : str
        Name of the statistic in the judge's ``stats`` dict.
    bound : float
        Largest value of the (scalar) statistic that passes.
    """

    key: str
    bound: float
    stat = "at_most"

    def holds(self, stats: dict, family_level: float) -> bool:
        return bool(float(_stat(stats, self.key)) <= self.bound)

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, key=self.key, bound=_num(self.bound))

    def describe(self) -> str:
        return f"{self.key} <= {self.bound:g}"


@dataclass(frozen=True)
class AtLeast(Rule):
    """``stats[key] >= bound``.

    Attributes
    ----------
    key : str
        Name of the statistic in the judge's ``stats`` dict.
    bound : float
        Smallest value of the (scalar) statistic that passes.
    """

    key: str
    bound: float
    stat = "at_least"

    def holds(self, stats: dict, family_level: float) -> bool:
        return bool(float(_stat(stats, self.key)) >= self.bound)

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, key=self.key, bound=_num(self.bound))

    def describe(self) -> str:
        return f"{self.key} >= {self.bound:g}"


@dataclass(frozen=True)
class Binomial(Rule):
    """Keep "P(success) >= p0" unless an exact one-sided test rejects it.

    ``stats[key] = (successes, n)``; rejected when
    :math:`P(\\mathrm{Bin}(n, p_0) \\le \\text{successes}) <` level.

    Attributes
    ----------
    key : str
        Name of the statistic in the judge's ``stats`` dict; its value is the
        pair ``(successes, n)`` of ints.
    p0 : float
        Claimed success probability, in (0, 1].
    level : float or {"family"}
        Significance level of the test, in (0, 1), or ``"family"`` (the
        default) for the family-wise per-test level of :class:`FamilyRule`.
    """

    key: str
    p0: float
    level: float | str = "family"
    stat = "binomial"

    def __post_init__(self) -> None:
        if not 0 < self.p0 <= 1:
            raise ValueError(f"p0 must be in (0, 1], got {self.p0}")
        if self.level != "family" and not (isinstance(self.level, (int, float))
                                           and 0 < self.level < 1):
            raise ValueError(f"level must be in (0, 1) or 'family', got {self.level!r}")

    def resolved_level(self, family_level: float) -> float:
        """The significance level this rule tests at."""
        return family_level if self.level == "family" else float(self.level)

    def pvalue(self, stats: dict) -> float:
        """Exact one-sided p-value of the observed successes."""
        k, n = _stat(stats, self.key)
        return float(_st.binom.cdf(int(k), int(n), self.p0))

    def holds(self, stats: dict, family_level: float) -> bool:
        return bool(self.pvalue(stats) >= self.resolved_level(family_level))

    def tests(self) -> list[Rule]:
        return [self] if self.level == "family" else []

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, key=self.key, p0=self.p0, level=self.level)

    def describe(self) -> str:
        lev = "the family-wise level" if self.level == "family" else f"level {self.level:g}"
        return f"{self.key}: exact binomial test of P(ok) >= {self.p0:g} not rejected at {lev}"


@dataclass(frozen=True)
class PValueBelow(Rule):
    """``stats[key] < level`` (the claim needs a significant effect).

    Attributes
    ----------
    key : str
        Name of the p-value in the judge's ``stats`` dict.
    level : float
        Significance level the p-value must fall below.
    """

    key: str
    level: float
    stat = "pvalue_below"

    def holds(self, stats: dict, family_level: float) -> bool:
        return bool(float(_stat(stats, self.key)) < self.level)

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, key=self.key, level=self.level)

    def describe(self) -> str:
        return f"{self.key} < {self.level:g}"


@dataclass(frozen=True)
class PValueAtLeast(Rule):
    """``stats[key] >= level``: a test of the claim itself is not rejected.

    Attributes
    ----------
    key : str
        Name of the p-value in the judge's ``stats`` dict.
    level : float or {"family"}
        Significance level, or ``"family"`` (the default) for the family-wise
        per-test level of :class:`FamilyRule`.
    """

    key: str
    level: float | str = "family"
    stat = "pvalue_at_least"

    def resolved_level(self, family_level: float) -> float:
        """The significance level this rule tests at."""
        return family_level if self.level == "family" else float(self.level)

    def holds(self, stats: dict, family_level: float) -> bool:
        return bool(float(_stat(stats, self.key)) >= self.resolved_level(family_level))

    def tests(self) -> list[Rule]:
        return [self] if self.level == "family" else []

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, key=self.key, level=self.level)

    def describe(self) -> str:
        lev = "the family-wise level" if self.level == "family" else f"{self.level:g}"
        return f"{self.key} >= {lev} (test not rejected)"


@dataclass(frozen=True)
class AllOf(Rule):
    """Every sub-rule holds.

    Attributes
    ----------
    rules : tuple of Rule
        The sub-rules, all evaluated on the same ``stats``.
    """

    rules: tuple[Rule, ...]
    stat = "all"

    def holds(self, stats: dict, family_level: float) -> bool:
        return all(r.holds(stats, family_level) for r in self.rules)

    def tests(self) -> list[Rule]:
        return [t for r in self.rules for t in r.tests()]

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, rules=[r.to_dict() for r in self.rules])

    def describe(self) -> str:
        return " and ".join(r.describe() for r in self.rules)


@dataclass(frozen=True)
class AnyOf(Rule):
    """At least one sub-rule holds.

    Attributes
    ----------
    rules : tuple of Rule
        The sub-rules, all evaluated on the same ``stats``.
    """

    rules: tuple[Rule, ...]
    stat = "any"

    def holds(self, stats: dict, family_level: float) -> bool:
        return any(r.holds(stats, family_level) for r in self.rules)

    def tests(self) -> list[Rule]:
        return [t for r in self.rules for t in r.tests()]

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, rules=[r.to_dict() for r in self.rules])

    def describe(self) -> str:
        return "(" + " or ".join(r.describe() for r in self.rules) + ")"


@dataclass(frozen=True)
class TextRule(Rule):
    """A rule stated in words and applied inside a paper module's own driver."""

    text: str
    stat = "text"

    def holds(self, stats: dict, family_level: float) -> bool:
        raise NotImplementedError("a text rule is applied by its paper module")

    def to_dict(self) -> dict[str, Any]:
        return dict(stat=self.stat, text=self.text)

    def describe(self) -> str:
        return self.text


_KINDS: dict[str, type] = {c.stat: c for c in (CIWithin, CIMeets, AtMost, AtLeast, Binomial,
                                                PValueBelow, PValueAtLeast)}


def rule_from_dict(d: dict[str, Any]) -> Rule:
    """Build a rule from its stored form (``{"stat": ..., ...}``).

    Inverse of :meth:`Rule.to_dict`: ``rule_from_dict(r.to_dict()) == r``.

    Parameters
    ----------
    d : dict
        The stored form: a ``"stat"`` field naming the kind (module docstring)
        and that kind's fields; ``"all"`` / ``"any"`` carry a list of stored
        sub-rules under ``"rules"``. ``low``, ``high`` and ``bound`` may be the
        strings ``"inf"`` / ``"-inf"``.

    Returns
    -------
    Rule
        The rule object of that kind.

    Raises
    ------
    ValueError
        If ``d`` is not a dict with a known ``"stat"``.
    TypeError
        If ``low``, ``high`` or ``bound`` is not a number.
    """
    if not isinstance(d, dict) or "stat" not in d:
        raise ValueError(f"a rule must be a table with a 'stat' field, got {d!r}")
    kind = d["stat"]
    if kind in ("all", "any"):
        return (AllOf if kind == "all" else AnyOf)(tuple(rule_from_dict(r) for r in d["rules"]))
    if kind == "text":
        return TextRule(d["text"])
    if kind not in _KINDS:
        raise ValueError(f"rule stat must be one of {sorted(_KINDS) + ['all', 'any', 'text']}, "
                         f"got {kind!r}")
    kw = {k: v for k, v in d.items() if k != "stat"}
    for k in ("low", "high", "bound"):
        if k in kw:
            kw[k] = _float(kw[k], k)
    return _KINDS[kind](**kw)


@dataclass(frozen=True)
class FamilyRule:
    """The package's one multiple-testing decision.

    ``method = "bonferroni"``: every significance test of a theorem check whose
    rule says ``level = "family"`` runs at ``alpha / m``, with ``m`` the number
    of such tests in the registry (all papers, all tiers), so a check's verdict
    does not depend on which other checks ran.

    Attributes
    ----------
    method : {"bonferroni"}
        The correction; Bonferroni is the only one.
    alpha : float
        Family-wise error rate, in (0, 1).
    m : int
        Number of family-level tests in the registry, at least 1.
    """

    method: str
    alpha: float
    m: int

    def __post_init__(self) -> None:
        if self.method != "bonferroni":
            raise ValueError(f"method must be 'bonferroni', got {self.method!r}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.m < 1:
            raise ValueError(f"m must be >= 1, got {self.m}")

    @property
    def level(self) -> float:
        """Per-test level ``alpha / m``."""
        return self.alpha / self.m


def detectable_failure_rate(n: int, p0: float, level: float, power: float = 0.8) -> float:
    """Smallest failure rate that the exact binomial test detects with given power.

    The test of ``P(ok) >= p0`` (see :class:`Binomial`) rejects when the
    successes are at most :math:`k_c`, the largest :math:`k` with
    :math:`P(\\mathrm{Bin}(n, p_0) \\le k) <` ``level``. The result is the
    smallest true failure rate :math:`f` with
    :math:`P(\\mathrm{Bin}(n, 1-f) \\le k_c) \\ge` ``power``, found by
    bisection on :math:`[1-p_0, 1]`.

    Parameters
    ----------
    n : int
        Number of independent runs (trials).
    p0 : float
        Claimed success probability, in (0, 1].
    level : float
        Significance level of the test, in (0, 1).
    power : float, optional
        Required probability of rejection; 0.8 by default.

    Returns
    -------
    float
        The failure rate, in :math:`[1-p_0, 1]`; ``1.0`` when no rate is
        detected (e.g. ``n`` too small for any rejection at ``level``).
    """
    ks = [k for k in range(n + 1) if _st.binom.cdf(k, n, p0) < level]
    if not ks:
        return 1.0
    kc = max(ks)
    lo, hi = 1.0 - p0, 1.0
    if _st.binom.cdf(kc, n, 1 - hi) < power:
        return 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _st.binom.cdf(kc, n, 1 - mid) >= power:
            hi = mid
        else:
            lo = mid
    return float(hi)
