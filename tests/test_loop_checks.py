"""Broken variants: each LOOP proof check fails on its variant (subclasses in
proofs_checks.variants, placed in the setting under ``agent``)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_checks import _harness as H
from proofs_checks import loop as C
from proofs_checks.variants import (
    EpsGreedyLOOP,
    FixedPolicyLOOP,
    ForgetfulRidgeLOOP,
    FrozenLOOP,
    RawSwitchLOOP,
)
from theoryrl.agents.average import AverageAgent, StepPlan, StopRule
from theoryrl.planning.amdp import average_facts

CHECKS = {c.name: c for c in C.CHECKS}
AG = dict(C.AGENT)
SMALL_CONF = dict(envs=["two_state", "riverswim6"], T=2 ** 12, seeds=8, keep=4)


def _run(name, **over):
    return H.run_check("loop", CHECKS[name], "quick", overrides=over)


@pytest.fixture(scope="module")
def good():
    return {n: _run(n, **SMALL_CONF) for n in ("C1_concentration", "C2_optimism",
                                               "C3_decomposition", "C8_elliptical_potential")}


def test_good_runs_pass(good):
    for res in good.values():
        assert res.verdict in ("pass", "inconclusive") and res.passed == (res.verdict == "pass")
        assert res.verdict != "fail", res


def test_invariants_are_marked(good):
    assert good["C3_decomposition"].kind == "invariant"
    assert good["C8_elliptical_potential"].kind == "invariant"
    assert good["C1_concentration"].kind == "theorem"


def test_c1_fails_with_shrunk_radius():
    res = _run("C1_concentration", **SMALL_CONF, agent_cfg=dict(AG, beta_scale=0.05))
    assert res.verdict == "fail"


def test_c2_fails_without_bonus():
    res = _run("C2_optimism", **dict(SMALL_CONF, T=2 ** 11),
               agent_cfg=dict(AG, beta_scale=0.0, switching="count"))
    assert res.verdict == "fail"


def test_c3_fails_for_mis_logged_plans():
    res = _run("C3_decomposition", envs=["riverswim6"], T=2 ** 12, seeds=4, keep=4,
               agent=EpsGreedyLOOP)
    assert res.verdict == "fail"
    assert res.details["stats"]["identity_error_per_step"] < 1e-9  # the identity is algebra
    assert res.details["stats"]["T5_max"] > 0


def test_c4_fails_for_fixed_suboptimal_policy():
    res = _run("C4_sqrtT_rate", env="two_state", T=2 ** 13, seeds=6, agent=FixedPolicyLOOP)
    assert res.verdict == "fail" and res.measured > 0.9


def test_c4_is_inconclusive_where_regret_stops_growing():
    res = _run("C4_sqrtT_rate", env="two_state", T=2 ** 17, seeds=8)
    assert res.verdict == "inconclusive" and res.bite < res.bite_min


def test_c4_garnet5_instance_facts():
    make, B = C.ENVS["garnet5"]
    f = average_facts(make())
    assert (round(f.gain, 3), round(f.span, 3), round(f.diameter, 2)) == (0.503, 0.724, 5.07)
    assert f.span <= B


# ---------------------------------------------------------------- C5 (T-scaled family)
class Oracle(AverageAgent):
    """Given theta* (the true model): plays the optimal policy; with ``switch_at`` it
    plays it only for the first ``switch_at`` steps and the worst policy afterwards."""

    name = "oracle"

    def __init__(self, mdp, switch_at=None):
        super().__init__(mdp.spec)
        f = average_facts(mdp, with_diameter=False)
        self._best = f.policy.astype(np.int64)
        self._worst = np.argmax(f.gaps, axis=1).astype(np.int64)
        self.switch_at = switch_at

    def reset(self, rng):
        self._t, self.history = 0, []

    def policy(self):
        if self.switch_at is None:
            return StepPlan(self._best.copy(), StopRule("none"))
        if self._t < self.switch_at:
            return StepPlan(self._best.copy(), StopRule("none",
                                                        max_steps=self.switch_at - self._t))
        return StepPlan(self._worst.copy(), StopRule("none"))

    def update(self, seg):
        self._t += len(seg.actions)


class FixedRandomAction(AverageAgent):
    """Never learns: one uniformly random action per seed, played forever."""

    name = "fixed-random"

    def reset(self, rng):
        self._a, self.history = int(rng.integers(self.spec.n_actions)), []

    def policy(self):
        return StepPlan(np.full(self.spec.n_states, self._a, dtype=np.int64),
                        StopRule("none"))

    def update(self, seg):
        pass


def _oracle(mdp, ds, Dl, delta):
    return Oracle(mdp)


def _switching_oracle(mdp, ds, Dl, delta):
    return Oracle(mdp, switch_at=3 * 2 ** 10)


def _fixed_random(mdp, ds, Dl, delta):
    return FixedRandomAction(mdp.spec)


def _c5(agent=None):
    return _run("C5_hard_family", seeds=12, agent=agent)


def test_c5_is_inconclusive_for_loop():
    """LOOP's slope is inside the window, but its regret is not separated from uniform
    play (the bite): no pass."""
    res = _c5()
    assert res.verdict == "inconclusive", res
    assert 0.35 <= res.ci[0] and res.ci[1] <= 0.65
    assert max(res.details["regret_over_ceiling"]) < 1   # every learner is below T max Delta


def test_c5_lower_side_fails_for_oracle_given_theta():
    res = _c5(_oracle)
    assert res.verdict == "fail"


def test_c5_upper_side_fails_for_learner_that_stops_playing_well():
    # optimal for the first 3 * 2^10 steps, worst action afterwards: slope ~ 0.9
    res = _c5(_switching_oracle)
    assert res.verdict == "fail" and res.details["upper_ok"] is False and res.measured > 0.8


def test_c5_cannot_tell_loop_from_random_play():
    """The slope window alone is met by a learner that never learns; the bite (separation
    from uniform play) is what keeps it from passing."""
    res = _c5(_fixed_random)
    assert res.details["upper_ok"] and res.details["lower_ok"]
    assert res.verdict == "inconclusive"


def test_c6_fails_for_raw_residual_switching():
    res = _run("C6_switching", T=2 ** 13, seeds=4, agent=RawSwitchLOOP)
    assert res.verdict == "fail"


def test_c7_fails_for_frozen_confidence_set():
    cfg = dict(AG, switching="count")
    good7 = _run("C7_gap_shrinks", T=2 ** 14, seeds=8, agent_cfg=cfg, tau_min=2 ** 9)
    bad7 = _run("C7_gap_shrinks", T=2 ** 14, seeds=8, agent_cfg=cfg, tau_min=2 ** 9,
                agent=FrozenLOOP)
    assert good7.verdict == "pass", good7
    assert bad7.verdict == "fail"


def test_c8_fails_for_a_corrupted_ridge_update():
    res = _run("C8_elliptical_potential", envs=["two_state"], T=2 ** 12, seeds=4, keep=0,
               agent_cfg=dict(AG, switching="count"), agent=ForgetfulRidgeLOOP)
    assert res.verdict == "fail" and res.measured > 1


@settings(derandomize=True, deadline=None, max_examples=30)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 4), n=st.integers(1, 60),
       scale=st.floats(0.01, 10.0))
def test_elliptical_potential_lemma_property(seed, d, n, scale):
    """sum_t min(1, ||x_t||^2_{V_{t-1}^{-1}}) <= 2 d ln(1 + n L^2/(d lam)) (Lemma 11 of
    Abbasi-Yadkori et al. 2011) on random bounded sequences; the unclipped sum is not
    bounded in general (the C8 broken variant, found with L^2/lam = 100)."""
    rng = np.random.default_rng(seed)
    lam = 1.0
    X = rng.normal(size=(n, d))
    X *= scale / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    V = lam * np.eye(d)
    pot = 0.0
    for x in X:
        pot += min(1.0, x @ np.linalg.solve(V, x))
        V += np.outer(x, x)
    assert pot <= 2 * d * np.log1p(n * scale ** 2 / (d * lam)) + 1e-9


def test_unclipped_potential_counterexample():
    x = np.array([10.0])  # L^2 / lam = 100: first term alone is 100 > 2 ln(1 + 100)
    assert float(x @ x) > 2 * np.log1p(100.0)


def test_c9_fails_for_estimate_only_planner():
    small = dict(seeds=3, T=2 ** 11)
    good9 = _run("C9_relaxation_optimism", **small)
    bad9 = _run("C9_relaxation_optimism", **small,
                agent_cfg=dict(AG, beta_scale=0.0, switching="count"))
    assert good9.verdict != "fail", good9
    assert bad9.verdict == "fail"
