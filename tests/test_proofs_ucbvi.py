"""The UCBVI proof checks pass on UCBVI-L1 and fail on the greedy learner."""

import pytest

from proofs_checks import available, get_checks


@pytest.fixture(scope="module")
def quick():
    return {r.check: r for r in get_checks("ucbvi")(quick=True)}


@pytest.fixture(scope="module")
def broken():
    return {r.check: r for r in get_checks("ucbvi")(quick=True, broken=True)}


def test_registry_lists_ucbvi():
    assert "ucbvi" in available()
    with pytest.raises(ValueError, match="paper must be one of"):
        get_checks("nope")


@pytest.mark.parametrize("name", ["optimism", "regret_bound", "regret_rate"])
def test_check_passes(quick, name):
    r = quick[name]
    assert r.passed, str(r)
    assert r.ci[0] <= r.measured <= r.ci[1]
    assert r.to_json()["paper"] == "ucbvi"


@pytest.mark.parametrize("name", ["optimism", "regret_bound", "regret_rate"])
def test_check_fails_on_greedy_variant(broken, name):
    assert broken[name].passed is False, str(broken[name])


def test_greedy_slope_is_linear(broken):
    assert broken["regret_rate"].measured > 0.95
