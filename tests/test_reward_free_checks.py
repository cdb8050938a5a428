"""Each proof check of ``proofs_checks.reward_free`` fails on its broken variant
(spec Sec. 7.6 / Sec. 8), so none of them is vacuous."""

import numpy as np

from proofs_checks import reward_free as rf


def test_coverage_fails_with_radius_over_20():
    st = dict(rf.QUICK["coverage"], K=100)
    ratios = np.array([rf.measure_coverage(st, s, "practical", agent=rf.ShrunkRadius)
                       for s in range(4)])
    assert rf.check_coverage(ratios, st, "coverage_practical", 0.0).passed is False
    ok = np.array([rf.measure_coverage(st, s, "practical") for s in range(4)])
    assert rf.check_coverage(ok, st, "coverage_practical", 0.0).passed is True


def test_home_fails_without_error_bar():
    st = dict(rf.QUICK["home"], K=100)
    counts = np.array([rf.measure_home(st, 0, agent=rf.NoErrorBar)])
    res = rf.check_home(counts, 0.0)
    assert res.passed is False
    assert res.details["violations_error_bar"] > 0


def test_certificate_fails_with_radii_over_1000():
    st = dict(rf.QUICK["certificate"], insts=[("random", 5, 3, 4, 8)], K=[300], n_rewards=100)
    rows = rf.measure_certificate(st, 0, radius_scale=1e-3)
    assert rf.check_certificate(rows, 0.0).passed is False


def test_k_rate_fails_when_frozen():
    st = rf.QUICK["k_rate"]
    Y = np.array([rf.measure_k_rate(st, s, agent=rf.Frozen) for s in range(2)])
    assert rf.check_k_rate(Y, st, 0.0).passed is False


def test_horizon_check_fails_unweighted():
    st = dict(rf.QUICK["horizon_free"], H=[8, 16, 32], K=600)
    Y = np.array([rf.measure_horizon(st, s, agent=rf.Unweighted)[0] for s in range(2)])
    assert rf.check_h(Y, st, 0.0).passed is False


def test_horizon_certificate_check_fails_unweighted():
    st = dict(rf.QUICK["horizon_free_certificate"], H=[4, 8, 16], K=1000)
    Y = np.array([rf.measure_horizon(st, s, agent=rf.Unweighted)[1] for s in range(2)])
    assert rf.check_h2(Y, st, 0.0).passed is False


def test_pac_fails_with_sign_flipped_planner():
    st = dict(rf.SWEEP["pac"], K_max=4000, n_rewards=50)
    rows = np.array([rf.measure_pac(st, s, flip_mu=True) for s in range(3)])
    assert (rows[:, 2] > st["eps"]).all()  # subopt = 2(d-1)Delta(H-1)/H = 0.6 > eps
    assert rf.check_pac(rows, st, 0.0).passed is False


def test_slope_guard_marks_saturation_inconclusive():
    st = rf.QUICK["horizon_free"]
    Y = np.ones((2, len(st["H"])))  # saturated: slope 0 for every variant (pitfall P9)
    res = rf.check_h(Y, st, 0.0)
    assert res.passed is False and "inconclusive" in res.details["verdict"]


def test_ucrl_rfe_coverage_fails_with_shrunk_radius():
    st = dict(rf.QUICK["coverage"], K=100)
    bad = np.array([rf.measure_coverage_ucrl_rfe(st, s, c_beta=1 / 50) for s in range(4)])
    assert rf.check_coverage(bad, st, "coverage_practical_ucrl_rfe", 0.0).passed is False
    ok = np.array([rf.measure_coverage_ucrl_rfe(st, s) for s in range(4)])
    assert rf.check_coverage(ok, st, "coverage_practical_ucrl_rfe", 0.0).passed is True


def test_lower_bound_check_fails_for_oracle_planner():
    # a planner that knows theta* beats the d/sqrt(K) order (subopt 0): the check fails
    st = dict(rf.SWEEP["lower_bound"], d=[3], K=[250, 1000])
    Y = np.array([rf.measure_lower_bound(st, s, oracle=True) for s in range(3)])
    assert np.all(Y[:, :-1] == 0.0)
    assert rf.check_lower_bound(Y, st, 0.0, n_boot=200).passed is False


def test_baselines_guard_marks_saturation_inconclusive():
    st = rf.SWEEP["baselines"]
    H = np.array(st["H"], dtype=float)
    row = np.stack([0.1 * H ** 0, H ** 2 * 0.9, H ** 2, 0 * H + 1, 3 * np.e * H ** 0.5 + H], -1)
    res = rf.check_baselines(np.array([row, row]), st, 0.0)  # UCRL-RFE at 0.9 of its cap
    assert res.passed is False and "inconclusive" in res.details["verdict"]


def test_scaling_check_fails_when_its_radius_did_not_cover():
    st = rf.QUICK["k_rate"]
    k = np.asarray(st["k"], dtype=float)
    good = np.stack([0.5 * k ** -0.5 * (1 + 0.01 * s) for s in range(3)])  # slope -1/2
    covered = np.column_stack([good, np.full(3, 0.8)])
    assert rf.check_k_rate(covered, st, 0.0).passed is True
    missed = np.column_stack([good, np.full(3, 1.3)])  # theta* left the ellipsoid once
    res = rf.check_k_rate(missed, st, 0.0)
    assert res.passed is False and "did not cover" in res.details["verdict"]


def test_lemmas_hold_and_fail_with_a_corrupted_gram_update():
    st = rf.QUICK["lemmas"]
    ok = np.array([rf.measure_lemmas(st, 0)])
    assert rf.check_lemmas(ok, 0.0).passed is True
    bad = np.array([rf.measure_lemmas(st, 0, update=rf._sm_update_sign_flipped)])
    res = rf.check_lemmas(bad, 0.0)
    assert res.passed is False
    assert res.details["max_ratio"]["potential_2.8.15"] > 1


def test_recursion_lemma_fails_with_its_constant_over_10():
    st = rf.QUICK["lemmas"]
    bad = np.array([rf.measure_lemmas(st, 0, recursion_constant=0.1)])
    res = rf.check_lemmas(bad, 0.0)
    assert res.passed is False and res.details["max_ratio"]["recursion_2.8.33"] > 1


def test_d_dependence_fails_with_a_radius_growing_like_d_to_1p5():
    # d in {3, 4, 5} keeps every V_hat below the saturation guard, so the verdict
    # rests on the slope (about 2.5) and not on the guard
    st = dict(rf.QUICK["d_dependence"], d=[3, 4, 5])
    Y = np.array([rf.measure_d(st, s, agent=rf.SteepRadius) for s in range(2)])
    res = rf.check_d(Y, st, 0.0)
    assert res.passed is False
    assert "verdict" not in res.details and res.ci.high > 1.2
