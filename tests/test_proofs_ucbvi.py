"""The UCBVI proof checks pass on UCBVI-L1 and fail on the greedy learner."""

import pytest

from proofs_checks import _harness as H
from proofs_checks import available, get_checks
from proofs_checks import ucbvi as U
from proofs_checks.variants import GreedyUCBVI

CHECKS = {c.name: c for c in U.CHECKS}


@pytest.fixture(scope="module")
def quick():
    return {r.check: r for r in get_checks("ucbvi")(quick=True)}


@pytest.fixture(scope="module")
def broken():
    return {name: H.run_check("ucbvi", c, "quick", overrides={"agent": GreedyUCBVI})
            for name, c in CHECKS.items()}


def test_registry_lists_ucbvi():
    assert "ucbvi" in available()
    with pytest.raises(ValueError, match="paper must be one of"):
        get_checks("nope")


@pytest.mark.parametrize("name", ["optimism", "regret_bound", "regret_rate"])
def test_check_passes(quick, name):
    r = quick[name]
    assert r.verdict == "pass", str(r)
    assert r.ci[0] <= r.measured <= r.ci[1]
    rec = r.to_json()
    assert rec["paper"] == "ucbvi" and rec["kind"] == "theorem"
    assert rec["bite"] >= rec["bite_min"]


@pytest.mark.parametrize("name", ["optimism", "regret_bound", "regret_rate"])
def test_check_fails_on_greedy_variant(broken, name):
    assert broken[name].verdict == "fail", str(broken[name])


def test_greedy_slope_is_linear(broken):
    assert broken["regret_rate"].measured > 0.95


def test_rate_rule_is_an_amendment_and_both_verdicts_are_reported(quick):
    r = quick["regret_rate"]
    assert r.amended and "0.4" in r.registered_rule and r.rule == "slope_ci upper end <= 0.6"
    # slopes near 0.29 on this instance: the registered two-sided window fails
    assert r.registered_passed is False


def test_optimism_power_is_reported(quick):
    pw = quick["optimism"].details["power"]["seeds_ok"]
    assert pw["runs"] == 16 and 0 < pw["detectable_failure_rate_80"] <= 1
