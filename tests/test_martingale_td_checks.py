"""Each proof check of proofs_checks.martingale_td fails on a broken variant.

Settings are shrunk for speed; the broken knob is the only thing that differs
from a setting that passes (tested alongside where cheap).
"""

from __future__ import annotations

import math

import pytest

import proofs_checks.martingale_td as pc
from proofs_checks import get_checks


def _q(name, **kw):
    return dict(pc.QUICK[name], **kw)


SMALL = {
    "brownian_counterexample": _q("brownian_counterexample", K_pop=[2, 10], K_mc=[10],
                                  n=4000, R=6),
    "order_dt_exact": _q("order_dt_exact", K=[4, 8, 16, 32]),
    "order_dt_mc": _q("order_dt_mc", n=8000, groups=10, n_boot=40, sub=[16, 8, 4]),
    "sample_rate": _q("sample_rate", N=[500, 2000, 8000], R=8),
    "td1_equals_ml": _q("td1_equals_ml", K=40, n_mc=20),
    "martingale_diagnostic": _q("martingale_diagnostic", K=50, n_train=6000, n_test=6000),
    "sa_convergence": _q("sa_convergence", iterations=300),
    "variance_flat": _q("variance_flat", n=500, R=8),
    "infinite_horizon": _q("infinite_horizon"),
}

BROKEN = [
    ("brownian_counterexample", {"method": "mstde"}),             # MSTDE in place of LSTD
    ("order_dt_exact", {"method": "mstde"}),                      # MSTDE in place of LSTD
    ("order_dt_mc", {"method": "mstde"}),
    ("sample_rate", {"against": "continuous"}),                   # bias floor mixed in
    ("td1_equals_ml", {"td1_lam": 0.0}),                          # missing trace
    ("td1_equals_ml", {"model": dict(pc._C5_MODEL, beta=0.3),     # wrong discount form
                       "discount": "euler"}),
    ("martingale_diagnostic", {"fit": "mstde"}),                  # MSTDE in place of LSTD
    ("variance_flat", {"reward_per_step": True}),                 # rate not times dt
    ("infinite_horizon", {"fixed_step_discount": math.exp(-0.5 * 0.1)}),  # per-step gamma
]


@pytest.mark.parametrize(("name", "broken"), BROKEN, ids=[f"{n}-{list(b)[0]}" for n, b in BROKEN])
def test_check_fails_on_broken_variant(name, broken):
    res = pc.run_check(name, dict(SMALL[name], **broken))
    assert res.passed is False, res


def test_sa_check_fails_on_per_step_rewards():
    res = pc.run_check("sa_convergence", dict(SMALL["sa_convergence"], reward_per_step=True))
    assert res.passed is False, res


@pytest.mark.parametrize("name", ["td1_equals_ml", "order_dt_exact", "infinite_horizon",
                                  "brownian_counterexample"])
def test_same_small_setting_passes_unbroken(name):
    assert pc.run_check(name, SMALL[name]).passed is True


def test_registry_and_contract():
    f = get_checks("martingale_td")
    assert f is pc.checks
    with pytest.raises(ValueError, match="seeds must be an integer >= 2"):
        pc.checks(seeds=1)
