"""The StepMix proof checks can fail: each runs on its broken variant (docs/theory/stepmix.md)."""

from __future__ import annotations

import pytest

import proofs_checks.stepmix as m

Q = m.QUICK


def test_constraint_fails_with_optimistic_evaluation():
    d = m.measure_safety(dict(Q["safety"], envs=["trap"], agents=["broken_opt_eval"], seeds=3))
    r = m.check_constraint(d)
    assert r.passed is False and r.measured >= 3


def test_trap_binding_fails_for_a_safe_agent():
    d = m.measure_safety(dict(Q["trap_binding"], envs=["trap"], alphas=[0.1], agents=["EpsMix"],
                              seeds=3, K=100))
    assert m.check_trap_binding(d).passed is False


def test_certificate_fails_with_plugin_widths():
    d = m.measure_safety(dict(Q["safety"], envs=["Q"], alphas=[0.1], agents=["broken_plugin"],
                              seeds=3))
    r = m.check_certificate(d)
    assert r.passed is False and r.details["failing_episodes"] > 0


def test_exploration_floor_fails_with_wrong_draws():
    d = m.measure_safety(dict(Q["safety"], envs=["Q"], agents=["broken_wrong_draw"], seeds=3))
    assert m.check_exploration_floor(d).passed is False


def test_reduction_fails_when_rho_capped():
    d = m.measure_reduces(dict(Q["reduces_to_ucbvi"], agents=["broken_capped"], seeds=1, K=100))
    assert m.check_reduces_to_ucbvi(d).passed is False


@pytest.fixture(scope="module")
def give_up():
    return m.measure_long_run(dict(Q["long_run"], agents=["UCBVI", "broken_give_up"], seeds=2,
                                   K=2000))


def test_overhead_check_fails_when_learning_stops(give_up):
    assert m.check_overhead_bounded(give_up).passed is False


def test_regret_rate_check_fails_when_learning_stops(give_up):
    r = m.check_regret_rate(give_up)
    assert r.passed is False and r.measured > 0.75


def test_conservative_phase_check_fails_when_learning_stops(give_up):
    assert m.check_conservative_phase_ends(give_up).passed is False


def test_alpha_dependence_fails_when_alpha_ignored():
    d = m.measure_alpha_sweep(dict(Q["alpha_sweep"], agent="broken_ignore_alpha", K=1000,
                                   seeds=3))
    assert m.check_alpha_dependence(d).passed is False


def test_offline_check_fails_without_dataset_condition():
    d = m.measure_offline(dict(Q["offline"], skip_certification=True, N_small=20, seeds=3, K=100))
    assert m.check_offline(d).passed is False


def test_good_agents_pass_small_safety_run():
    d = m.measure_safety(dict(Q["safety"], envs=["trap"], alphas=[0.1], seeds=2, K=200))
    assert m.check_constraint(d).passed and m.check_certificate(d).passed
