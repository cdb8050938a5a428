"""The StepMix proof checks fail on their broken variants (subclasses of the algorithms)."""

from __future__ import annotations

import numpy as np
import pytest

import proofs_checks.stepmix as m
from proofs_checks import _harness as H

C = {c.name: c for c in m.CHECKS}


def _run(name, **overrides):
    return H.run_check("stepmix", C[name], "quick", overrides=overrides)


def test_every_check_is_declared_with_a_broken_variant_test():
    tested = {"constraint_every_episode", "per_episode_certificate", "exploration_floor",
              "alpha_one_is_ucbvi", "overhead_bounded", "regret_rate_sqrtK",
              "conservative_phase_ends", "alpha_dependence", "offline_refusal",
              "offline_baseline"}
    assert set(C) == tested


def test_constraint_fails_with_optimistic_evaluation():
    r = _run("constraint_every_episode", envs=["trap"], agents=[m.OptEvalEpsMix], seeds=3)
    assert r.verdict == "fail" and r.measured >= 3


def test_certificate_fails_with_plugin_widths():
    r = _run("per_episode_certificate", envs=["Q"], alphas=[0.1], agents=[m.PlugInEpsMix],
             seeds=3)
    assert r.verdict == "fail" and r.details["failing_episodes"] > 0


def test_exploration_floor_fails_with_wrong_draws():
    r = _run("exploration_floor", envs=["Q"], agents=[m.WrongDrawEpsMix], seeds=3)
    assert r.verdict == "fail"


def test_reduction_fails_when_rho_capped():
    r = _run("alpha_one_is_ucbvi", agents=[m.CappedEpsMix], seeds=1, K=100)
    assert r.verdict == "fail"


@pytest.fixture(scope="module")
def give_up():
    ov = dict(agents=["UCBVI", m.GiveUpEpsMix], seeds=2, K=2000)
    return {n: _run(n, **ov) for n in ("overhead_bounded", "regret_rate_sqrtK",
                                       "conservative_phase_ends")}


@pytest.mark.parametrize("name", ["overhead_bounded", "regret_rate_sqrtK",
                                  "conservative_phase_ends"])
def test_long_run_checks_fail_when_learning_stops(give_up, name):
    assert give_up[name].verdict == "fail", str(give_up[name])


def test_regret_slope_of_the_give_up_variant_is_linear(give_up):
    assert give_up["regret_rate_sqrtK"].measured > 0.75


def test_alpha_dependence_fails_when_alpha_ignored():
    r = _run("alpha_dependence", agent=m.IgnoreAlphaEpsMix, K=1000, seeds=3)
    assert r.verdict == "fail"


def test_refusal_fails_with_a_plugin_certificate():
    r = _run("offline_refusal", certify=m.plugin_certificate, seeds=3, K=50, N_large=1000)
    assert r.verdict == "fail" and r.details["small_refused"] == 0


def test_offline_safety_fails_for_the_plugin_learner_because_it_violates():
    # the unsafe plug-in learner on a 20-episode dataset, no certification: the
    # verdict fails on its violations (no forced flag), and its violation rate is high
    r = _run("offline_baseline", learner=m.PlugInOffline, N_large=20, seeds=10)
    assert r.verdict == "fail"
    ok, n = r.details["stats"]["runs_ok"]
    assert n == 10 and (n - ok) / n >= 0.3
    assert r.bite >= 0.3


def test_plugin_learner_violates_in_most_runs_on_the_chosen_instance():
    d = m.measure_offline(dict(m.C11_QUICK, seeds=10), 0, 1)
    rate = np.mean([r["violated"] for r in d["plugin"]])
    assert rate >= 0.3
    assert not any(r["violated"] for r in d["large"] if r.get("ran"))


def test_good_agents_pass_small_safety_run():
    ov = dict(envs=["trap"], alphas=[0.1], seeds=2, K=200)
    assert _run("constraint_every_episode", **ov).verdict == "pass"
    assert _run("per_episode_certificate", **ov).verdict == "pass"
