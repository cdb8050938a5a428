"""Each reward-free proof check fails on a broken variant of the algorithm (a subclass in
``proofs_checks.reward_free``), so none of them is vacuous."""

import dataclasses

import numpy as np
import pytest

from proofs_checks import _harness as H
from proofs_checks import reward_free as rf

C = {c.name: c for c in rf.CHECKS}


def _run(name, tier="quick", **overrides):
    return H.run_check("reward_free", C[name], tier, overrides=overrides)


def test_every_theorem_check_has_a_broken_variant_test():
    tested = {"lemmas", "coverage_practical", "coverage_theory",
              "coverage_practical_ucrl_rfe", "home", "certificate", "k_rate", "d_dependence",
              "horizon_free", "horizon_free_certificate", "baselines", "pac", "lower_bound"}
    assert set(C) == tested


def test_lemmas_hold_and_fail_with_a_corrupted_gram_update():
    assert _run("lemmas", seeds=1).verdict == "pass"
    r = _run("lemmas", seeds=1, update=rf._sm_update_sign_flipped)
    assert r.verdict == "fail" and r.details["max_ratio_by_lemma"]["potential_2.8.15"] > 1


def test_recursion_lemma_fails_with_its_constant_over_10():
    r = _run("lemmas", seeds=1, recursion_constant=0.1)
    assert r.verdict == "fail" and r.details["max_ratio_by_lemma"]["recursion_2.8.33"] > 1


def test_coverage_fails_with_radius_over_20():
    r = _run("coverage_practical", K=100, seeds=4, agent=rf.ShrunkRadius)
    assert r.verdict == "fail"
    assert _run("coverage_practical", K=100, seeds=4).verdict == "pass"


def test_theory_coverage_invariant_fails_without_the_gram_inverse():
    r = _run("coverage_theory", K=100, seeds=4, agent=rf.MissingInverse)
    assert r.kind == "invariant" and r.verdict == "fail"


def test_ucrl_rfe_coverage_fails_with_shrunk_radius():
    r = _run("coverage_practical_ucrl_rfe", K=100, seeds=4, agent=rf.ShrunkUCRLRFE)
    assert r.verdict == "fail"


def test_home_fails_without_error_bar():
    r = _run("home", K=100, seeds=1, agent=rf.NoErrorBar)
    assert r.verdict == "fail" and r.details["violations_error_bar"] > 0


def test_certificate_fails_with_radii_1000_times_too_small():
    r = _run("certificate", insts=[("random", 5, 3, 4, 8)], K=[300], n_rewards=100, seeds=1,
             agent=rf.UnitSlipCertificate)
    assert r.verdict == "fail"


def test_k_rate_fails_when_frozen():
    r = _run("k_rate", seeds=2, agent=rf.Frozen)
    assert r.verdict == "fail"


def test_d_dependence_fails_with_a_radius_growing_like_d_to_1p5():
    # d in {3, 4, 5} keeps every V_hat below the saturation bite, so the verdict rests
    # on the slope (about 2.5), not on saturation
    r = _run("d_dependence", d=[3, 4, 5], seeds=2, agent=rf.SteepRadius)
    assert r.verdict == "fail" and r.ci[1] > 1.2 and r.bite >= 0


def test_horizon_check_fails_unweighted():
    r = _run("horizon_free", H=[8, 16, 32], K=600, seeds=2, agent=rf.Unweighted)
    assert r.verdict == "fail"


def test_horizon_certificate_check_fails_unweighted():
    r = _run("horizon_free_certificate", H=[4, 8, 16], K=1000, seeds=2, agent=rf.Unweighted)
    assert r.verdict == "fail"


def test_pac_fails_with_sign_flipped_planner():
    r = _run("pac", "full", K_max=4000, n_rewards=50, seeds=3, agent=rf.SignFlippedPlanner)
    assert r.verdict == "fail"
    assert min(r.details["max_subopt"]) > 0.3  # subopt = 2(d-1)Delta(H-1)/H = 0.6 > eps


def test_lower_bound_check_fails_for_oracle_planner():
    # a planner that knows theta* beats the d/sqrt(K) order (error 0): the check fails
    r = _run("lower_bound", "full", d=[3], K=[250, 1000], seeds=3, agent=rf.OraclePlanner)
    assert r.verdict == "fail"
    assert r.details["stats"]["min_cell"] == 0.0


def test_lower_bound_reports_the_registered_20_seed_verdict():
    rng = np.random.default_rng(0)
    st = dict(rf.SWEEP["lower_bound"], d=[3], K=[250, 1000, 4000], seeds=40)
    cells = 0.3 * (1 + 0.05 * rng.standard_normal((40, 3)))
    m = rf.judge_lower_bound(np.column_stack([cells, np.full(40, 0.5)]), st, n_boot=200)
    assert "slope_ci_first" in m.stats and "slope_ci" in m.stats
    assert m.details["registered_seeds"] == 20


def test_baselines_check_fails_with_a_radius_growing_like_h():
    # HF-UCRL-RFE++'s selection value then grows with H as fast as the baselines'
    # certificates (slope about 1.5 over H = 4..16): the gap of 0.5 is lost
    r = _run("baselines", "full", H=[4, 8, 16], seeds=1, K_tab=20_000,
             agent=rf.HorizonRadius)
    assert r.verdict == "fail" and r.details["slope_hf"] > 1.0


def test_baselines_judge_reports_saturation_as_its_bite():
    st = rf.SWEEP["baselines"]
    H_ = np.array(st["H"], dtype=float)
    row = np.stack([0.1 * H_ ** 0, H_ ** 2 * 0.9, H_ ** 2, 0 * H_ + 1,
                    3 * np.e * H_ ** 0.5 + H_, 0 * H_ + 0.5, 0 * H_ + 0.5], -1)
    m = rf.judge_baselines(np.array([row, row]), st)  # UCRL-RFE at 0.9 of its cap
    assert m.stats["baseline_headroom"] < 0


@pytest.mark.parametrize("name", ["k_rate", "d_dependence", "horizon_free",
                                  "horizon_free_certificate"])
def test_scaling_rules_are_amendments_pinned_to_the_registered_radius(name):
    e = H.entry("reward_free", name)
    assert e.amended and "c_beta" in str(e.rule) and "max_cov_ratio" in str(e.current_rule)


@pytest.mark.parametrize("name", ["k_rate", "d_dependence", "horizon_free",
                                  "horizon_free_certificate"])
def test_scaling_checks_bite_is_an_amended_interior_margin(name):
    e = H.entry("reward_free", name)
    assert e.bite_amended and e.bite_key == "interior_margin" and e.bite_min == 0.02
    assert e.registered_bite[0] == "saturation_headroom" and e.registered_bite[1] < 1e-5
    assert e.amendments[-1].date == "2026-12-03" and e.amendments[-1].bite is not None


def test_values_near_zero_make_the_horizon_check_inconclusive_under_the_amended_bite():
    # flat V_hat of 0.01: the rule holds and the registered saturation guard passes, but a
    # slope of values at the floor says nothing: the amended bite reports "inconclusive"
    st = rf.QUICK["horizon_free"]
    row = [0.01 * h ** 0.1 for h in st["H"]] + [0.5]
    data = np.array([[row, row], [row, row]])
    chk = dataclasses.replace(C["horizon_free"], measure=lambda setting, bs, n_jobs: data)
    r = H.run_check("reward_free", chk, "quick")
    assert r.verdict == "inconclusive" and r.bite == pytest.approx(0.01 * 4 ** 0.1)
    assert r.details["registered_bite"] == {"key": "saturation_headroom", "min": 0.0,
                                            "value": pytest.approx(0.5 - 0.01 * 32 ** 0.1),
                                            "verdict": "pass"}
