"""The proof-check harness: checks are data, rules are registered, verdicts are computed here.

How a paper module declares its checks
--------------------------------------
A module ``proofs_checks/<paper>.py`` defines ``PAPER = "<paper>"`` and
``CHECKS``, a list of :class:`Check`::

    CHECKS = [
        Check(
            name="regret_rate",
            claim="Regret(K) = O~(sqrt K) on RiverSwim-6",
            instance="RiverSwim-6, H=20",
            tiers={"quick": dict(K=[...], seeds=8), "full": dict(K=[...], seeds=16)},
            measure=measure_rate,      # (setting, base_seed, n_jobs) -> data; runs only
            judge=judge_rate,          # (data, setting) -> Measured; statistics only
            rule=CIWithin("slope_ci", high=0.6),
            base_seed=20_170_301,      # None: the measurement draws no random numbers
        ),
    ]

``judge`` returns a :class:`Measured`: the headline statistic with its
interval, the named statistics (``stats``) the rule and the bite read, and
free-form details. It never decides pass or fail: the rule does. Every check
has an entry ``[<paper>.<name>]`` in ``registry.toml`` with its kind
(``"theorem"`` or ``"invariant"``), the theorem it tests, the rule as first
registered, append-only amendments, and (theorem checks) a bite statistic with
its minimum (an amendment may replace the bite; the verdict under the registered
bite is then reported in ``details["registered_bite"]``). ``Check.rule`` must
equal the registry's current rule (the last amendment, or the registered rule):
:func:`run_check` raises otherwise, and a test compares every check with its entry.

A broken variant is a subclass of the algorithm placed in the setting under
the key the measure reads (``agent`` by convention), passed to
:func:`run_check` as an override; the variant tests assert the check fails.

The harness owns seeds (``base_seed``, ``--seeds``), tiers, ``n_jobs``,
timing, verdicts (registered and applied rule, bite, family-wise level,
replication on :data:`REPLICATION_BASE_SEED`), and the JSON records.
Modules that still ship their own ``checks(quick, seeds)`` function run
through it, and their results are completed from the registry.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import math
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from theoryrl.claims import CheckResult, Interval
from theoryrl.claims.rules import (
    Binomial,
    FamilyRule,
    Rule,
    detectable_failure_rate,
    rule_from_dict,
)

__all__ = [
    "REPLICATION_BASE_SEED",
    "TIERS",
    "Check",
    "Entry",
    "Measured",
    "family",
    "registry",
    "run_check",
    "run_paper",
    "summary",
]

#: Base seed of ``--replicate`` reruns. Chosen once, when the harness was
#: written, and never used to run a check before any rule was fixed.
REPLICATION_BASE_SEED = 8_675_309_042

TIERS = ("quick", "full")
REGISTRY_PATH = Path(__file__).with_name("registry.toml")


@dataclass(frozen=True)
class Measured:
    """What a judge computes from the data (no verdict)."""

    measured: float
    ci: tuple[float, float]
    stats: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """One proof check as data (see the module docstring)."""

    name: str
    claim: str
    instance: str
    tiers: Mapping[str, dict]
    measure: Callable[..., Any]
    judge: Callable[[Any, dict], Measured]
    rule: Rule
    base_seed: int | None = 0
    seeds_key: str | None = "seeds"

    def setting(self, tier: str, seeds: int | None = None) -> dict:
        """The setting of ``tier``, with ``seeds`` replacing the replicate count."""
        s = dict(self.tiers[tier])
        if seeds is not None and self.seeds_key is not None:
            s[self.seeds_key] = int(seeds)
        return s


@dataclass(frozen=True)
class Amendment:
    """A rule change, appended to a registry entry."""

    rule: Rule
    date: str
    reason: str
    bite: dict | None = None  # a bite that replaces the one in force (key, min, what)


@dataclass(frozen=True)
class Entry:
    """A check's registry entry."""

    paper: str
    check: str
    kind: str
    theorem: str
    registered: str
    rule: Rule
    amendments: tuple[Amendment, ...] = ()
    bite_key: str | None = None
    bite_min: float | None = None
    bite_what: str = ""
    tiers: tuple[str, ...] = TIERS
    note: str = ""
    registered_bite: tuple[str | None, float | None] = (None, None)

    @property
    def bite_amended(self) -> bool:
        """Whether an amendment replaced the registered bite (key or minimum)."""
        return (self.bite_key, self.bite_min) != self.registered_bite

    @property
    def current_rule(self) -> Rule:
        """The rule in force: the last amendment's, or the registered one."""
        return self.amendments[-1].rule if self.amendments else self.rule

    @property
    def amended(self) -> bool:
        """Whether the rule in force differs from the registered one."""
        return self.current_rule != self.rule


def _parse_rule(d: dict) -> Rule:
    return rule_from_dict(d)


def _parse_entry(paper: str, name: str, d: dict) -> Entry:
    for k in ("kind", "theorem", "registered", "rule"):
        if k not in d:
            raise ValueError(f"registry entry {paper}.{name} lacks {k!r}")
    if d["kind"] not in ("theorem", "invariant"):
        raise ValueError(f"registry entry {paper}.{name}: kind must be 'theorem' or "
                         f"'invariant', got {d['kind']!r}")
    bite = d.get("bite", {})
    if d["kind"] == "theorem" and not bite:
        raise ValueError(f"registry entry {paper}.{name}: a theorem check needs a bite")
    ams = tuple(Amendment(_parse_rule(a["rule"]), str(a["date"]), a["reason"], a.get("bite"))
                for a in d.get("amendments", []))
    reg_bite = (bite.get("key"), None if "min" not in bite else float(bite["min"]))
    for a in ams:  # the last amendment with a bite sets the bite in force
        bite = a.bite if a.bite is not None else bite
    return Entry(paper, name, d["kind"], d["theorem"], str(d["registered"]),
                 _parse_rule(d["rule"]), ams, bite.get("key"),
                 None if "min" not in bite else float(bite["min"]), bite.get("what", ""),
                 tuple(d.get("tiers", TIERS)), d.get("note", ""), reg_bite)


@cache
def _load(path: str) -> tuple[dict, dict[tuple[str, str], Entry]]:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    head = raw.pop("family")
    entries = {}
    for paper, checks in raw.items():
        for name, d in checks.items():
            entries[(paper, name)] = _parse_entry(paper, name, d)
    return head, entries


def registry(path: str | Path = REGISTRY_PATH) -> dict[tuple[str, str], Entry]:
    """Every registry entry, keyed by ``(paper, check)``."""
    return dict(_load(str(path))[1])


def family(path: str | Path = REGISTRY_PATH) -> FamilyRule:
    """The family-wise rule; ``m`` counts the family-level tests of theorem checks."""
    head, entries = _load(str(path))
    m = sum(len(e.current_rule.tests()) for e in entries.values() if e.kind == "theorem")
    return FamilyRule(head["method"], float(head["alpha"]), max(m, 1))


def family_text(path: str | Path = REGISTRY_PATH) -> str:
    """The registry header's statement of the family-wise rule."""
    return _load(str(path))[0].get("statement", "")


def entry(paper: str, check: str) -> Entry | None:
    """The registry entry of ``paper.check`` (``None`` if absent)."""
    return _load(str(REGISTRY_PATH))[1].get((paper, check))


# --------------------------------------------------------------------------- running
def _key(measure: Callable, setting: dict, base_seed: int | None) -> str:
    return json.dumps([measure.__module__, measure.__qualname__, setting, base_seed],
                      sort_keys=True, default=repr)


def _verdict(e: Entry, applied: bool, stats: dict) -> tuple[str, float | None]:
    bite = None
    if e.kind == "theorem" and e.bite_key is not None:
        bite = float(stats[e.bite_key]) if e.bite_key in stats else math.nan
    if not applied:
        return "fail", bite
    if bite is not None and not bite >= e.bite_min:
        return "inconclusive", bite
    return "pass", bite


def _power(rule: Rule, stats: dict, level: float) -> dict:
    out = {}
    tests = [rule] if isinstance(rule, Binomial) else list(getattr(rule, "rules", ()))
    for r in tests:
        if isinstance(r, Binomial) and r.key in stats:
            k, n = stats[r.key]
            lev = r.resolved_level(level)
            q = detectable_failure_rate(int(n), r.p0, lev)
            out[r.key] = dict(failures=int(n - k), runs=int(n), delta=1 - r.p0, level=lev,
                              detectable_failure_rate_80=q,
                              detectable_over_delta=q / (1 - r.p0) if r.p0 < 1 else None)
    return out


def _judge(paper: str, check: Check, data: Any, setting: dict, seconds: float,
           base_seed: int | None) -> CheckResult:
    e = entry(paper, check.name)
    if e is None:
        raise ValueError(f"{paper}.{check.name} has no entry in {REGISTRY_PATH.name}")
    if check.rule != e.current_rule:
        raise ValueError(f"{paper}.{check.name}: the rule in the code ({check.rule}) differs "
                         f"from the registry's current rule ({e.current_rule})")
    t0 = time.perf_counter()
    m = check.judge(data, setting)
    lvl = family().level
    applied = check.rule.holds(m.stats, lvl)
    try:
        reg = e.rule.holds(m.stats, lvl) if e.amended else applied
    except KeyError:
        reg = None
    verdict, bite = _verdict(e, applied, m.stats)
    details = dict(m.details)
    details["stats"] = {k: v for k, v in m.stats.items()}
    details["base_seed"] = base_seed
    power = _power(check.rule, m.stats, lvl) if e.kind == "theorem" else {}
    if power:
        details["power"] = power
    if e.kind == "theorem" and e.bite_what:
        details["bite_what"] = e.bite_what
    if e.kind == "theorem" and e.bite_amended:
        # the verdict under the registered bite, reported beside the amended one
        reg_e = replace(e, bite_key=e.registered_bite[0], bite_min=e.registered_bite[1])
        v, b = _verdict(reg_e, applied, m.stats)
        details["registered_bite"] = {"key": reg_e.bite_key, "min": reg_e.bite_min,
                                      "value": b, "verdict": v}
    return CheckResult(
        paper, check.name, check.claim, float(m.measured), Interval(*map(float, m.ci)),
        verdict == "pass", seconds + time.perf_counter() - t0, details,
        kind=e.kind, theorem=e.theorem, rule=str(check.rule), registered_rule=str(e.rule),
        amended=e.amended, registered_passed=reg, verdict=verdict, bite=bite,
        bite_min=e.bite_min if e.kind == "theorem" else None)


def run_check(paper: str, check: Check, tier: str = "quick", *, seeds: int | None = None,
              base_seed: int | None = None, n_jobs: int = 1,
              overrides: Mapping[str, Any] | None = None,
              _cache: dict | None = None) -> CheckResult:
    """Measure and judge one check.

    Parameters
    ----------
    paper : str
        Registry key of the paper.
    check : Check
    tier : {"quick", "full"}
    seeds : int, optional
        Replaces the replicate count of the setting.
    base_seed : int, optional
        Replaces ``check.base_seed`` (replication).
    n_jobs : int
        Workers for the measurement.
    overrides : mapping, optional
        Setting entries to replace (a broken variant's agent class, smaller sizes).

    Returns
    -------
    CheckResult
    """
    if tier not in check.tiers:
        raise ValueError(f"tier must be one of {sorted(check.tiers)}, got {tier!r}")
    setting = check.setting(tier, seeds) | dict(overrides or {})
    bs = check.base_seed if base_seed is None or check.base_seed is None else base_seed
    key = _key(check.measure, setting, bs)
    if _cache is not None and key in _cache:
        data, seconds, share = _cache[key]
    else:
        t0 = time.perf_counter()
        data = check.measure(setting, bs, n_jobs)
        seconds, share = time.perf_counter() - t0, 1
    return _judge(paper, check, data, setting, seconds / share, bs)


def _module(paper: str):
    return importlib.import_module(f"proofs_checks.{paper}")


def declared_checks(paper: str) -> list[Check] | None:
    """The module's ``CHECKS`` (``None`` for a module with its own ``checks`` driver)."""
    return getattr(_module(paper), "CHECKS", None)


def _wrap_legacy(r: CheckResult) -> CheckResult:
    e = entry(r.paper, r.check)
    if e is None:
        return r
    reg = r.passed if not e.amended else r.details.get("registered_rule_passed")
    return replace(r, kind=e.kind, theorem=e.theorem, rule=str(e.current_rule),
                   registered_rule=str(e.rule), amended=e.amended,
                   registered_passed=None if reg is None else bool(reg),
                   bite_min=e.bite_min if e.kind == "theorem" else None)


def unit_key(paper: str, check: Check, tier: str, setting: dict,
             base_seed: int | None) -> str:
    """Hash of everything a check's verdict depends on: paper, check, tier, setting,
    base seed, registry entry, and the source of the paper module and the harness."""
    e = entry(paper, check.name)
    src = inspect.getsource(_module(paper)) + inspect.getsource(inspect.getmodule(unit_key))
    blob = json.dumps([paper, check.name, tier, setting, base_seed, repr(e), src],
                      sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _result_from_json(d: dict) -> CheckResult:
    d = dict(d)
    nan = float("nan")
    d["ci"] = Interval(*(nan if v is None else float(v) for v in d["ci"]))
    d["measured"] = nan if d["measured"] is None else float(d["measured"])
    return CheckResult(**d)


def run_paper(paper: str, quick: bool = False, seeds: int | None = None, n_jobs: int = 1,
              replicate: bool = False, progress: Callable[[str], None] | None = None,
              store: str | Path | None = None) -> list[CheckResult]:
    """Run every check of ``paper`` at one tier (and its replication).

    Checks whose tier setting and measure coincide share one measurement; its
    time is split between them. With ``store`` (a folder), each finished unit
    (paper, check, tier, base seed) is saved under ``units/<hash>.json``, the
    hash of its inputs (:func:`unit_key`), and reused by a later call with the
    same inputs.
    """
    if seeds is not None and (isinstance(seeds, bool) or int(seeds) != seeds or seeds < 1):
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    tier = "quick" if quick else "full"
    checks = declared_checks(paper)
    if checks is None:
        out = [_wrap_legacy(r) for r in _module(paper).checks(quick=quick, seeds=seeds)]
        if replicate:
            out = [replace(r, replication={"base_seed": None, "passed": None,
                                           "verdict": "not run (module has its own driver)"})
                   for r in out]
        return out
    out = []
    for bs_override in ([None, REPLICATION_BASE_SEED] if replicate else [None]):
        cache: dict = {}
        shares: dict[str, int] = {}
        todo = [c for c in checks if tier in c.tiers]
        for c in todo:
            bs = c.base_seed if bs_override is None or c.base_seed is None else bs_override
            k = _key(c.measure, c.setting(tier, seeds), bs)
            shares[k] = shares.get(k, 0) + 1
        res = []
        for c in todo:
            if progress is not None:
                progress(f"{paper}.{c.name}" + (" (replication)" if bs_override else ""))
            if bs_override is not None and c.base_seed is None:
                res.append(None)  # deterministic: a rerun repeats the same numbers
                continue
            bs = c.base_seed if bs_override is None else bs_override
            setting = c.setting(tier, seeds)
            unit = None
            if store is not None:
                unit = Path(store) / "units" / f"{unit_key(paper, c, tier, setting, bs)}.json"
                if unit.exists():
                    res.append(_result_from_json(json.loads(unit.read_text())))
                    continue
            k = _key(c.measure, setting, bs)
            if k not in cache:
                t0 = time.perf_counter()
                data = c.measure(setting, bs, n_jobs)
                cache[k] = (data, time.perf_counter() - t0, shares[k])
            r = run_check(paper, c, tier, seeds=seeds, base_seed=bs_override,
                          n_jobs=n_jobs, _cache=cache)
            if unit is not None:
                from theoryrl.experiment.result import atomic_write_bytes

                atomic_write_bytes(unit, json.dumps(r.to_json()).encode())
            res.append(r)
        if bs_override is None:
            out = res
        else:
            out = [_with_replication(r, rep) for r, rep in zip(out, res, strict=True)]
    return out


def _with_replication(r: CheckResult, rep: CheckResult | None) -> CheckResult:
    if rep is None:
        info = {"base_seed": None, "passed": r.passed, "verdict": r.verdict,
                "note": "deterministic measurement; replication repeats it"}
    else:
        info = {"base_seed": REPLICATION_BASE_SEED, "passed": rep.passed,
                "verdict": rep.verdict, "measured": rep.measured, "ci": list(rep.ci),
                "bite": rep.bite}
    verdict = r.verdict
    if r.amended and verdict == "pass" and not info["passed"]:
        # an amended rule counts only if it also holds on fresh seeds
        verdict = "inconclusive" if info["verdict"] == "inconclusive" else "fail"
    return replace(r, replication=info, verdict=verdict, passed=verdict == "pass",
                   seconds=r.seconds + (rep.seconds if rep is not None else 0.0))


def summary(results: list[CheckResult]) -> str:
    """One line: theorem checks by verdict (amended rules counted), invariants held."""
    th = [r for r in results if r.kind == "theorem"]
    inv = [r for r in results if r.kind == "invariant"]
    n_pass = sum(r.verdict == "pass" for r in th)
    n_am = sum(r.verdict == "pass" and r.amended for r in th)
    n_inc = sum(r.verdict == "inconclusive" for r in th)
    n_fail = sum(r.verdict == "fail" for r in th)
    n_hold = sum(r.passed for r in inv)
    line = (f"{len(th)} theorem checks: {n_pass} pass ({n_am} on amended rules), "
            f"{n_inc} inconclusive")
    if n_fail:
        line += f", {n_fail} fail"
    line += f"; {n_hold} invariants hold"
    if n_hold < len(inv):
        line += f" ({len(inv) - n_hold} broken)"
    return line
