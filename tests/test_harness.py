"""The proof-check harness: rules, registry, verdicts, CLI contract."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

import proofs_checks
from proofs_checks import _harness as H
from theoryrl.claims import (
    AllOf,
    AnyOf,
    AtLeast,
    AtMost,
    Binomial,
    CheckResult,
    CIMeets,
    CIWithin,
    Interval,
    PValueBelow,
    detectable_failure_rate,
    rule_from_dict,
)
from theoryrl.cli import app

RULES = [
    CIWithin("slope_ci", 0.4, 0.6), CIWithin("slope_ci", high=0.6), CIMeets("ci", 0.8, 1.2),
    AtMost("x", 1e-9), AtLeast("x", 10), Binomial("ok", 0.95, "family"),
    Binomial("ok", 0.9, 0.01), PValueBelow("p", 0.01),
    AllOf((AtMost("a", 0), CIWithin("c", -1, 0))),
    AnyOf((CIMeets("c", -0.5, -0.5), AtLeast("s", -0.6))),
]


@pytest.mark.parametrize("rule", RULES, ids=str)
def test_rules_round_trip(rule):
    assert rule_from_dict(rule.to_dict()) == rule
    assert rule_from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


def test_rule_semantics():
    s = {"slope_ci": Interval(0.45, 0.55), "x": 0.5, "ok": (15, 16), "p": 0.001,
         "ci": (1.25, 1.3)}
    assert CIWithin("slope_ci", 0.4, 0.6).holds(s, 0.05)
    assert not CIWithin("slope_ci", 0.5, 0.6).holds(s, 0.05)
    assert not CIMeets("ci", 0.8, 1.2).holds(s, 0.05)
    assert AtMost("x", 0.5).holds(s, 0.05) and not AtLeast("x", 0.6).holds(s, 0.05)
    assert PValueBelow("p", 0.01).holds(s, 0.05)
    # 15/16 against p0 = 0.95: P(X <= 15) = 0.56, kept at any level
    assert Binomial("ok", 0.95).holds(s, 0.05)
    assert not Binomial("ok", 0.95).holds({"ok": (10, 16)}, 0.05)
    # the family level is used only when the rule says so
    bad = {"ok": (13, 16)}   # P(X <= 13 | 0.95) = 0.043
    assert not Binomial("ok", 0.95, 0.05).holds(bad, 0.001)
    assert Binomial("ok", 0.95, "family").holds(bad, 0.001)
    with pytest.raises(KeyError, match="did not compute statistic 'nope'"):
        AtMost("nope", 1).holds(s, 0.05)


def test_rule_validation():
    with pytest.raises(ValueError, match="p0 must be"):
        Binomial("ok", 1.5)
    with pytest.raises(ValueError, match="level must be"):
        Binomial("ok", 0.9, 2.0)
    with pytest.raises(ValueError, match="rule stat must be one of"):
        rule_from_dict({"stat": "nope"})


def test_detectable_failure_rate():
    q = detectable_failure_rate(16, 0.95, 0.05)
    # at that failure rate the test rejects with probability >= 0.8, just below it < 0.8
    from scipy import stats
    kc = max(k for k in range(17) if stats.binom.cdf(k, 16, 0.95) < 0.05)
    assert stats.binom.cdf(kc, 16, 1 - q) >= 0.8 - 1e-9
    assert stats.binom.cdf(kc, 16, 1 - q + 1e-3) < 0.8
    assert detectable_failure_rate(2, 0.95, 0.001) == 1.0   # too few runs to reject anything


def test_registry_entries_are_well_formed():
    reg = H.registry()
    fam = H.family()
    assert fam.method == "bonferroni" and fam.alpha == 0.05 and fam.m >= 1
    for (paper, _name), e in reg.items():
        assert paper in proofs_checks.available(), paper
        assert e.kind in ("theorem", "invariant")
        assert e.registered[:4] == "2026"
        for a in e.amendments:
            assert a.reason and a.date >= e.registered
        if e.kind == "theorem" and e.bite_key is not None:
            assert e.bite_min is not None and e.bite_what


@pytest.mark.parametrize("paper", proofs_checks.available())
def test_every_declared_check_uses_its_registered_rule(paper):
    checks = H.declared_checks(paper)
    reg = H.registry()
    names = {c.name for c in checks}
    assert len(names) == len(checks), "check names must be unique"
    for c in checks:
        e = reg.get((paper, c.name))
        assert e is not None, f"{paper}.{c.name} has no registry entry"
        assert c.rule == e.current_rule, f"{paper}.{c.name}: {c.rule} != {e.current_rule}"
        assert set(c.tiers) <= set(H.TIERS)
    for (p, n) in reg:
        if p == paper:
            assert n in names, f"registry entry {p}.{n} has no check"


def test_rule_mismatch_is_refused(monkeypatch):
    from proofs_checks import ucbvi as U

    c = U.CHECKS[2]
    wrong = H.Check(c.name, c.claim, c.instance, c.tiers, c.measure, c.judge,
                    CIWithin("slope_ci", high=0.7), c.base_seed)
    with pytest.raises(ValueError, match="differs from the registry's current rule"):
        H._judge("ucbvi", wrong, None, {}, 0.0, 0)


def _res(kind, verdict, amended=False):
    return CheckResult("p", "c", "claim", 1.0, Interval(0, 2), verdict == "pass",
                       kind=kind, verdict=verdict, amended=amended)


def test_summary_line():
    rs = [_res("theorem", "pass"), _res("theorem", "pass", True),
          _res("theorem", "inconclusive"), _res("invariant", "pass")]
    assert H.summary(rs) == ("3 theorem checks: 2 pass (1 on amended rules), 1 inconclusive; "
                             "1 invariants hold")


def test_result_contract():
    r = _res("theorem", "inconclusive")
    assert r.passed is False
    with pytest.raises(ValueError, match="contradicts verdict"):
        CheckResult("p", "c", "x", 1.0, Interval(0, 1), True, verdict="fail")
    rec = CheckResult("p", "c", "x", math.nan, Interval(0, 1), False, bite=np.float64(2.0),
                      bite_min=1.0).to_json()
    for k in ("paper", "check", "claim", "measured", "ci", "passed", "seconds", "details",
              "kind", "theorem", "rule", "registered_rule", "amended", "registered_passed",
              "verdict", "bite", "bite_min"):
        assert k in rec
    assert rec["measured"] is None and "replication" not in rec
    json.dumps(rec)


def test_amended_check_needs_its_replication():
    r = _res("theorem", "pass", amended=True)
    rep = _res("theorem", "fail")
    out = H._with_replication(r, rep)
    assert out.verdict == "fail" and out.replication["base_seed"] == H.REPLICATION_BASE_SEED
    same = H._with_replication(_res("theorem", "pass"), rep)
    assert same.verdict == "pass" and same.replication["passed"] is False


@pytest.mark.parametrize("args", [["check", "ucbvi", "--seeds", "0"],
                                  ["check", "nope"], ["check", "ucbvi", "--n-jobs", "0"],
                                  ["check", "ucbvi", "--workers", "0"]])
def test_cli_user_errors(args):
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    assert "Traceback" not in res.output


def test_report_is_written(tmp_path):
    from proofs_checks._report import write_report

    rs = [CheckResult("ucbvi", "regret_rate", "rate claim", 0.29, Interval(0.28, 0.3), True,
                      1.5, {"stats": {}}, kind="theorem", theorem="Thm 1", rule="new",
                      registered_rule="old", amended=True, registered_passed=False,
                      bite=1.9, bite_min=1.2,
                      replication={"base_seed": H.REPLICATION_BASE_SEED, "passed": True,
                                   "verdict": "pass"}),
          CheckResult("ucbvi", "optimism", "optimism claim", 1.0, Interval(0.8, 1.0), False,
                      2.0, {"power": {"seeds_ok": dict(failures=0, runs=16, delta=0.05,
                                                       level=0.008,
                                                       detectable_failure_rate_80=0.3,
                                                       detectable_over_delta=6.0)}},
                      kind="theorem", verdict="inconclusive", bite=0.2, bite_min=0.5)]
    path = write_report(rs, tmp_path / "rep", tier="quick", replicate=True)
    text = path.read_text()
    assert "## ucbvi" in text and "(amended)" in text and "amendment 2026-11-25" in text
    assert "detects a failure rate of 0.3" in text and "**inconclusive**" in text
    assert (tmp_path / "rep" / "fig_ucbvi.png").stat().st_size > 1000


def test_cli_json_with_replication(tmp_path):
    res = CliRunner().invoke(app, ["check", "ucbvi", "--quick", "--json", "--seeds", "3",
                                   "--replicate", "--report", str(tmp_path)])
    assert res.exit_code in (0, 1), res.output
    text = res.stdout
    rows = json.loads(text[text.index("["):text.rindex("]") + 1])
    assert [r["check"] for r in rows] == ["optimism", "regret_bound", "regret_rate"]
    for r in rows:
        assert r["replication"]["base_seed"] == H.REPLICATION_BASE_SEED
        assert r["passed"] == (r["verdict"] == "pass")
        assert r["details"]["stats"] is not None
    assert (tmp_path / "report.md").exists()


def test_store_resumes_finished_units(tmp_path, monkeypatch):
    from dataclasses import replace as dc_replace

    from proofs_checks import ucbvi as U

    first = H.run_paper("ucbvi", quick=True, seeds=2, store=tmp_path)
    units = sorted((tmp_path / "units").glob("*.json"))
    assert len(units) == 3

    def boom(*a, **k):
        raise AssertionError("a stored unit was measured again")

    monkeypatch.setattr(U, "CHECKS", [dc_replace(c, measure=boom) for c in U.CHECKS])
    again = H.run_paper("ucbvi", quick=True, seeds=2, store=tmp_path)
    assert [(r.check, r.verdict, r.measured) for r in again] == \
        [(r.check, r.verdict, r.measured) for r in first]
    # other inputs are other units
    with pytest.raises(AssertionError, match="measured again"):
        H.run_paper("ucbvi", quick=True, seeds=3, store=tmp_path)


def _records(results):
    """JSON records without their timings (``seconds``, also inside the replication)."""
    return [json.dumps({k: v for k, v in r.to_json().items() if k != "seconds"},
                       sort_keys=True, default=repr) for r in results]


def test_parallel_units_give_the_serial_records(tmp_path):
    kw = dict(quick=True, seeds=2, replicate=True)
    serial = H.run_papers(["ucbvi"], workers=1, **kw)
    done = []
    parallel = H.run_papers(["ucbvi"], workers=2, store=tmp_path,
                            on_paper=lambda p, rs: done.append(p), **kw)
    assert done == ["ucbvi"]
    assert _records(parallel["ucbvi"]) == _records(serial["ucbvi"])
    # a record per check and pass
    assert len(list((tmp_path / "units").glob("*.json"))) == 6
    # the stored units are reused, in parallel too
    again = H.run_papers(["ucbvi"], workers=2, store=tmp_path, **kw)
    assert _records(again["ucbvi"]) == _records(serial["ucbvi"])


def test_units_are_planned_costliest_first_and_shared():
    from dataclasses import replace as dc_replace

    from proofs_checks import stepmix as S

    plan = H._plan("stepmix", "quick", 2, True, None, H.recorded_costs("quick"))
    names = [n for u in plan.units if u.base_seed is None for n in u.names]
    assert sorted(names) == sorted(c.name for c in S.CHECKS if "quick" in c.tiers)
    shared = [u for u in plan.units if len(u.names) > 1]
    assert shared and all(u.shares == len(u.names) for u in shared)
    assert all(math.isfinite(u.cost) and u.cost > 0 for u in plan.units)
    costs = [u.cost for u in H._schedule(plan.units)]
    assert costs == sorted(costs, reverse=True) and costs[0] > costs[-1]
    new = dc_replace(plan.units[-1], cost=math.inf)  # a check without a recorded cost
    assert H._schedule([*plan.units, new])[0] is new


@pytest.mark.parametrize("kw", [dict(workers=0), dict(n_jobs=0), dict(workers=True),
                                dict(papers=["ucbvi", "ucbvi"])])
def test_run_papers_refuses_bad_counts(kw):
    papers = kw.pop("papers", ["ucbvi"])
    with pytest.raises(ValueError, match=next(iter(kw), "papers")):
        H.run_papers(papers, quick=True, **kw)


def test_workers_round_blas_products_as_this_process_does():
    # reward-free's certificate sums BLAS products whose last digits depend on the
    # number of BLAS threads; workers get this process's count, not cores / workers
    plan = H._plan("reward_free", "quick", None, False, None, H.recorded_costs("quick"))
    units = sorted(plan.units, key=lambda u: ("certificate" not in u.names, u.cost))[:2]
    serial = {u.index: H._measure_unit(u, 1)[2] for u in units}
    parallel = {i: res for _, i, res in H._execute(units, 2, 1, None)}
    assert {i: _records(r) for i, r in parallel.items()} == \
        {i: _records(r) for i, r in serial.items()}
