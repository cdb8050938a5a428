"""Each proof check of proofs_checks.martingale_td fails on a broken variant.

Settings are shrunk for speed; the broken variant (a subclass of
``PolicyEvaluation`` from ``proofs_checks.variants``, placed under ``agent``) is
the only thing that differs from a setting that passes (tested alongside where
cheap), except for Euler-discounted TD(1), which needs a discounted instance.
"""

from __future__ import annotations

import pytest

import proofs_checks.martingale_td as pc
from proofs_checks import _harness as H
from proofs_checks import get_checks
from proofs_checks import variants as V

CHECKS = {c.name: c for c in pc.CHECKS}

SMALL = {
    "brownian_counterexample": dict(K_pop=[2, 10], K_mc=[10], n=4000, R=6),
    "order_dt_exact": dict(K=[4, 8, 16, 32, 64]),
    "order_dt_mc": dict(n=8000, groups=10, n_boot=40, sub=[16, 8, 4]),
    "sample_rate": dict(N=[500, 2000, 8000], R=8),
    "td1_equals_ml": dict(K=40, n_mc=20),
    "ml_best_ordering": dict(K=40, n_mc=20),
    "ml_projection_rate": dict(K=[25, 50, 100]),
    "martingale_diagnostic": dict(K=50, n_train=6000, n_test=6000),
    "sa_convergence": dict(iterations=300),
    "variance_flat": dict(n=500, R=8),
    "infinite_horizon": {},
}

BROKEN = [
    ("brownian_counterexample", {"agent": V.MSTDEAsLSTD}),
    ("order_dt_exact", {"agent": V.MSTDEAsLSTD}),
    ("order_dt_mc", {"agent": V.MSTDEAsLSTD}),
    ("sample_rate", {"agent": V.MSTDEAsLSTD}),      # converges, but to MSTDE's limit
    ("td1_equals_ml", {"agent": V.UntracedTD1}),
    ("td1_equals_ml", {"agent": V.EulerDiscountTD1,    # needs discounting to matter
                       "model": dict(pc._C5_MODEL, beta=0.3)}),
    ("ml_best_ordering", {"agent": V.TDLambdaAsML}),
    ("ml_projection_rate", {"agent": V.TD0AsML}),
    ("martingale_diagnostic", {"agent": V.MSTDEAsLSTD}),
    ("sa_convergence", {"agent": V.PerStepRewardTD}),
    ("variance_flat", {"agent": V.PerStepRewardTD}),
    ("infinite_horizon", {"agent": V.FixedStepDiscountTD0}),
]


def _run(name, **over):
    return H.run_check("martingale_td", CHECKS[name], "quick", overrides=SMALL[name] | over)


def test_every_check_has_a_broken_variant():
    assert {n for n, _ in BROKEN} == set(CHECKS)


@pytest.mark.parametrize(("name", "broken"), BROKEN,
                         ids=[f"{n}-{b['agent'].__name__}" for n, b in BROKEN])
def test_check_fails_on_broken_variant(name, broken):
    res = _run(name, **broken)
    assert res.verdict == "fail", res


@pytest.mark.parametrize("name", ["td1_equals_ml", "ml_best_ordering", "order_dt_exact",
                                  "infinite_horizon", "brownian_counterexample",
                                  "ml_projection_rate"])
def test_same_small_setting_passes_unbroken(name):
    assert _run(name).verdict == "pass"


def test_td1_identity_holds_on_the_discounted_instance_unbroken():
    assert _run("td1_equals_ml", model=dict(pc._C5_MODEL, beta=0.3)).verdict == "pass"


def test_variants_break_the_algorithm_only():
    for _, broken in BROKEN:
        assert issubclass(broken["agent"], pc.PolicyEvaluation)
        assert broken["agent"] is not pc.PolicyEvaluation
    for c in pc.CHECKS:
        assert c.setting("quick")["agent"] is pc.PolicyEvaluation


def test_invariants_are_marked():
    kinds = {n: H.entry("martingale_td", n).kind for n in CHECKS}
    assert {n for n, k in kinds.items() if k == "invariant"} == {"td1_equals_ml",
                                                                  "ml_best_ordering"}


def test_restored_rules_are_not_amended():
    for name in ("order_dt_exact", "order_dt_mc"):
        e = H.entry("martingale_td", name)
        assert len(e.amendments) == 2 and not e.amended


def test_registry_and_contract():
    f = get_checks("martingale_td")
    with pytest.raises(ValueError, match="seeds must be an integer >= 1"):
        f(seeds=0)
