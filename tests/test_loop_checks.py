"""Broken variants: each LOOP proof check must fail on them (spec Sec. 7)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs_checks import loop as C
from proofs_checks.variants import FrozenLOOP, RawSwitchLOOP
from theoryrl.agents.average import AverageAgent, StepPlan, StopRule
from theoryrl.agents.loop import LOOP
from theoryrl.planning.amdp import average_facts

AG = dict(C.AGENT)


def _runs(env="two_state", T=2 ** 12, seeds=8, keep=0, cls=LOOP, **over):
    return C.measure_runs(env, T, seeds, 0.1, dict(AG, **over), keep=keep, agent_cls=cls)


@pytest.fixture(scope="module")
def good():
    return _runs(keep=4)


def test_good_runs_pass(good):
    for res in (C.check_concentration([good]), C.check_optimism([good]),
                C.check_decomposition([good]), C.check_potential([good])):
        assert res.passed is True, res


def test_c1_fails_with_shrunk_radius():
    res = C.check_concentration([_runs(beta_scale=0.05)])
    assert res.passed is False


def test_c2_fails_without_bonus():
    res = C.check_optimism([_runs(T=2 ** 11, beta_scale=0.0, switching="count")])
    assert res.passed is False


class EpsGreedyLOOP(LOOP):
    """Executor plays a per-epoch perturbation of pi_k (each state w.p. 0.1)."""

    def reset(self, rng):
        super().reset(rng)
        self._rng = rng

    def policy(self):
        plan = super().policy()
        pi = plan.pi.copy()
        flip = self._rng.random(pi.size) < 0.1
        pi[flip] = self._rng.integers(0, self.spec.n_actions, flip.sum())
        plan.pi = pi
        return plan


def test_c3_fails_for_eps_greedy_executor():
    d = _runs(env="riverswim6", T=2 ** 12, seeds=4, keep=4, cls=EpsGreedyLOOP)
    res = C.check_decomposition([d])
    assert res.passed is False
    assert res.details["identity_error_per_step"] < 1e-9  # the identity is algebra


class FixedPolicy(LOOP):
    """Always plays action 1 (suboptimal on the two-state gadget)."""

    def policy(self):
        plan = super().policy()
        plan.pi = np.ones_like(plan.pi)
        return plan


def test_c4_fails_for_fixed_suboptimal_policy():
    res = C.check_rate(_runs(T=2 ** 13, seeds=6, cls=FixedPolicy))
    assert res.passed is False and res.measured > 0.9


def test_c4_garnet5_instance_matches_spec():
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


H5 = dict(C.QUICK["hard"], seeds=12)


def _c5(make_agent=None):
    return C.check_hard_family(C.measure_hard_family(H5, make_agent), H5["slope_min"],
                               H5["slope_max"])


def test_c5_passes_for_loop():
    res = _c5()
    assert res.passed is True, res
    # every learner is below the trivial ceiling T max Delta
    assert max(res.details["regret_over_ceiling"]) < 1


def test_c5_lower_side_fails_for_oracle_given_theta():
    res = _c5(lambda mdp, ds, Dl, delta: Oracle(mdp))
    assert res.passed is False
    assert res.details["lower_ok"] is False and res.details["upper_ok"] is True


def test_c5_upper_side_fails_for_learner_that_stops_playing_well():
    # optimal for the first 3 * 2^10 steps, worst action afterwards:
    # Reg(T) ~ (T - 3072) max Delta(T) / 2 ~ (T - 3072) / sqrt(T), slope ~ 0.9 on 2^12..2^16
    res = _c5(lambda mdp, ds, Dl, delta: Oracle(mdp, switch_at=3 * 2 ** 10))
    assert res.passed is False
    assert res.details["upper_ok"] is False and res.measured > 0.8


def test_c5_cannot_tell_loop_from_random_play():
    """Documents the weakness stated in the claim: a learner that never learns passes
    too (Reg = T x gap ~ sqrt T on this family); only the pair of sides has content."""
    res = _c5(lambda mdp, ds, Dl, delta: FixedRandomAction(mdp.spec))
    assert res.passed is True, res


def test_c6_fails_for_raw_residual_switching():
    res = C.check_switching(_runs(T=2 ** 13, seeds=4, c_sw=4.0, cls=RawSwitchLOOP))
    assert res.passed is False


def test_c7_fails_for_frozen_confidence_set():
    good7 = C.check_gap_shrinks(_runs(T=2 ** 14, seeds=8, switching="count"), tau_min=2 ** 9)
    bad7 = C.check_gap_shrinks(_runs(T=2 ** 14, seeds=8, switching="count", cls=FrozenLOOP),
                               tau_min=2 ** 9)
    assert good7.passed is True, good7
    assert bad7.passed is False


def test_c8_fails_without_min_clip():
    res = C.check_potential([_runs(T=2 ** 10, seeds=2, lam=0.01)], clip=False)
    assert res.passed is False


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
    setting = dict(C.QUICK["relaxation"], seeds=3, T=2 ** 11)
    good9 = C.check_relaxation(C.measure_relaxation(setting))
    bad9 = C.check_relaxation(C.measure_relaxation(
        setting, dict(AG, beta_scale=0.0, switching="count")))
    assert good9.passed is True, good9
    assert bad9.passed is False
