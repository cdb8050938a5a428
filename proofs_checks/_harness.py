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
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import math
import os
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
    "default_workers",
    "recorded_costs",
    "run_check",
    "run_paper",
    "run_papers",
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


def declared_checks(paper: str) -> list[Check]:
    """The module's ``CHECKS``."""
    return _module(paper).CHECKS


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
              store: str | Path | None = None, workers: int | None = 1) -> list[CheckResult]:
    """Run every check of ``paper`` at one tier (and its replication).

    Checks whose tier setting and measure coincide share one measurement; its
    time is split between them. With ``store`` (a folder), each finished unit
    (paper, check, tier, base seed) is saved under ``units/<hash>.json``, the
    hash of its inputs (:func:`unit_key`), and reused by a later call with the
    same inputs. ``workers`` measurements run at a time (:func:`run_papers`;
    default one, in this process).
    """
    if seeds is not None and (isinstance(seeds, bool) or int(seeds) != seeds or seeds < 1):
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    return run_papers([paper], quick=quick, seeds=seeds, n_jobs=n_jobs, replicate=replicate,
                      workers=workers, progress=progress, store=store)[paper]


@dataclass(frozen=True)
class _Unit:
    """One measurement and the checks judged on it."""

    paper: str
    index: int
    tier: str
    seeds: int | None
    base_seed: int | None  # the replication base seed; None: each check's own
    names: tuple[str, ...]
    shares: int  # checks of the tier on this measurement, stored ones included
    cost: float


@dataclass
class _Plan:
    """One paper: per pass (replication second), per check, a stored result, ``None``
    (a deterministic check's replication), or ``(unit index, check name)``."""

    paper: str
    passes: list[list] = field(default_factory=list)
    units: list[_Unit] = field(default_factory=list)
    files: dict[tuple[int, str], Path] = field(default_factory=dict)


def _plan(paper: str, tier: str, seeds: int | None, replicate: bool,
          store: str | Path | None, costs: Mapping[str, float]) -> _Plan:
    checks = [c for c in declared_checks(paper) if tier in c.tiers]
    plan = _Plan(paper)
    for bs_override in ([None, REPLICATION_BASE_SEED] if replicate else [None]):
        keys = [_key(c.measure, c.setting(tier, seeds),
                     c.base_seed if bs_override is None or c.base_seed is None
                     else bs_override) for c in checks]
        groups: dict[str, list[str]] = {}
        slots: list = []
        for c, k in zip(checks, keys):
            if bs_override is not None and c.base_seed is None:
                slots.append(None)  # deterministic: a rerun repeats the same numbers
                continue
            file = None
            if store is not None:
                bs = c.base_seed if bs_override is None else bs_override
                file = Path(store) / "units" / \
                    f"{unit_key(paper, c, tier, c.setting(tier, seeds), bs)}.json"
                if file.exists():
                    slots.append(_result_from_json(json.loads(file.read_text())))
                    continue
            groups.setdefault(k, []).append(c.name)
            slots.append((k, c.name, file))
        index = {}
        for k, names in groups.items():
            index[k] = len(plan.units)
            plan.units.append(_Unit(paper, len(plan.units), tier, seeds, bs_override,
                                    tuple(names), keys.count(k),
                                    sum(costs.get(f"{paper}.{n}", math.inf) for n in names)))
        for j, s in enumerate(slots):
            if isinstance(s, tuple):
                k, name, file = s
                slots[j] = (index[k], name)
                if file is not None:
                    plan.files[(index[k], name)] = file
        plan.passes.append(slots)
    return plan


def _measure_unit(u: _Unit, n_jobs: int) -> tuple[str, int, list[CheckResult]]:
    """Measure ``u`` once and judge each of its checks (what a worker runs)."""
    by_name = {c.name: c for c in declared_checks(u.paper)}
    first = by_name[u.names[0]]
    setting = first.setting(u.tier, u.seeds)
    bs = first.base_seed if u.base_seed is None or first.base_seed is None else u.base_seed
    t0 = time.perf_counter()
    data = first.measure(setting, bs, n_jobs)
    cache = {_key(first.measure, setting, bs): (data, time.perf_counter() - t0, u.shares)}
    return u.paper, u.index, [run_check(u.paper, by_name[n], u.tier, seeds=u.seeds,
                                        base_seed=u.base_seed, n_jobs=n_jobs, _cache=cache)
                              for n in u.names]


def _assemble(plan: _Plan, done: Mapping[tuple[str, int], list[CheckResult]]
              ) -> list[CheckResult]:
    out: list = []
    for p, slots in enumerate(plan.passes):
        res = []
        for s in slots:
            if isinstance(s, tuple):
                s = done[(plan.paper, s[0])][plan.units[s[0]].names.index(s[1])]
            res.append(s)
        out = res if p == 0 else [_with_replication(r, rep)
                                  for r, rep in zip(out, res, strict=True)]
    return out


def default_workers() -> int:
    """The cores this process may use (CPU affinity and container limits respected)."""
    from joblib import cpu_count

    return max(1, int(cpu_count()))


def recorded_costs(tier: str) -> dict[str, float]:
    """Seconds each check's share of its measurement took in a recorded run, by
    ``"paper.check"`` (the full tier, not recorded, is ordered like the quick one).
    Only the order of parallel units depends on them."""
    from ._costs import COSTS

    return dict(COSTS.get(tier) or COSTS["quick"])


def _check_counts(**counts: Any) -> None:
    for name, v in counts.items():
        if v is not None and (isinstance(v, bool) or int(v) != v or v < 1):
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")


def run_papers(papers: list[str], quick: bool = False, seeds: int | None = None,
               n_jobs: int = 1, replicate: bool = False, workers: int | None = None,
               progress: Callable[[str], None] | None = None,
               store: str | Path | None = None,
               on_paper: Callable[[str, list[CheckResult]], None] | None = None,
               ) -> dict[str, list[CheckResult]]:
    """Run every check of several papers, measurements in parallel.

    A unit is one measurement (paper, measure, setting, base seed) with the
    checks judged on it. With ``workers > 1`` units run in that many worker
    processes, the costliest first (:func:`recorded_costs`). Every record but
    ``seconds`` equals that of a serial run: a measurement draws its numbers
    from its base seed only, never from the process it runs in.

    Parameters
    ----------
    papers : list of str
        Registry keys of papers with declared ``CHECKS``.
    quick : bool
        The quick tier (else the full one).
    seeds : int, optional
        Replaces every check's replicate count.
    n_jobs : int
        Workers inside one measurement (its seeds): processes when
        ``workers == 1``; threads of the unit's process otherwise (joblib's rule
        for nested parallelism, which keeps the machine from oversubscription).
    replicate : bool
        Also run every check on :data:`REPLICATION_BASE_SEED`.
    workers : int, optional
        Units at a time; default :func:`default_workers`; 1 runs them in this
        process, in the papers' order.
    progress : callable, optional
        Called with a line of text as each unit starts (serial) or ends (parallel).
    store : str or Path, optional
        A folder; finished checks are saved under ``units/`` as they end and
        reused (:func:`run_paper`).
    on_paper : callable, optional
        Called with ``(paper, records)`` as each paper completes, in the order of
        ``papers``.

    Returns
    -------
    dict
        Each paper's records, in the order of its ``CHECKS``.
    """
    _check_counts(seeds=seeds, n_jobs=n_jobs, workers=1 if workers is None else workers)
    if len(set(papers)) != len(papers):
        raise ValueError(f"papers must be distinct, got {papers!r}")
    workers = default_workers() if workers is None else int(workers)
    n_jobs = int(n_jobs)
    tier = "quick" if quick else "full"
    costs = recorded_costs(tier)
    plans = [_plan(p, tier, seeds, replicate, store, costs) for p in papers]
    units = [u for plan in plans for u in plan.units]
    done: dict[tuple[str, int], list[CheckResult]] = {}
    out: dict[str, list[CheckResult]] = {}
    waiting = list(plans)

    def finish(paper: str, index: int, res: list[CheckResult]) -> None:
        done[(paper, index)] = res
        plan = next(p for p in plans if p.paper == paper)
        for name, r in zip(plan.units[index].names, res, strict=True):
            file = plan.files.get((index, name))
            if file is not None:
                from theoryrl.experiment.result import atomic_write_bytes

                atomic_write_bytes(file, json.dumps(r.to_json()).encode())
        complete()

    def complete() -> None:
        while waiting and all((waiting[0].paper, u.index) in done for u in waiting[0].units):
            plan = waiting.pop(0)
            out[plan.paper] = _assemble(plan, done)
            if on_paper is not None:
                on_paper(plan.paper, out[plan.paper])

    complete()
    for paper, index, res in _execute(units, workers, n_jobs, progress):
        finish(paper, index, res)
    return out


def _blas_threads() -> int:
    """The BLAS thread count of this process, which worker processes are given too:
    a BLAS product's rounding depends on how many threads share it, and joblib's
    default (cores / workers) would change the last digits of some records."""
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                "OMP_NUM_THREADS"):
        v = os.environ.get(var, "").strip()
        if v.isdigit() and int(v) > 0:
            return int(v)
    try:
        return len(os.sched_getaffinity(0))  # what OpenBLAS and OpenMP count by default
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _schedule(units: list[_Unit]) -> list[_Unit]:
    """Costliest first, so that no long unit starts last; unknown costs before all,
    ties in the papers' order."""
    return sorted(units, key=lambda u: -u.cost)


def _execute(units: list[_Unit], workers: int, n_jobs: int,
             progress: Callable[[str], None] | None):
    """``_measure_unit`` of each unit: here in order, or in worker processes as they end."""
    if workers == 1 or len(units) <= 1:
        for u in units:
            if progress is not None:
                progress(", ".join(f"{u.paper}.{n}" for n in u.names)
                         + (" (replication)" if u.base_seed is not None else ""))
            yield _measure_unit(u, n_jobs)
        return
    from joblib import Parallel, delayed, parallel_config

    order = _schedule(units)
    with parallel_config(backend="loky", inner_max_num_threads=_blas_threads()):
        par = Parallel(n_jobs=min(workers, len(units)), batch_size=1,
                       return_as="generator_unordered")
        results = par(delayed(_measure_unit)(u, n_jobs) for u in order)
    for k, (paper, index, res) in enumerate(results, 1):
        if progress is not None:
            progress(f"{k}/{len(units)} measurements done; last "
                     + ", ".join(f"{paper}.{r.check}" for r in res))
        yield paper, index, res


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
