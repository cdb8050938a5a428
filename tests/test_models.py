"""TabularMDP: read-only views, spec, exact values, sampling."""

from __future__ import annotations

import numpy as np
import pytest

from theoryrl.envs import chain, riverswim
from theoryrl.models import MDPSpec, TabularMDP


def test_arrays_read_only_and_spec_hides_p():
    mdp = riverswim(4, horizon=5)
    for a in (mdp.P, mdp.R, mdp.init, mdp.spec.R, mdp.spec.init):
        with pytest.raises(ValueError):
            a[(0,) * a.ndim] = 0.5
    spec = mdp.spec
    assert isinstance(spec, MDPSpec)
    assert (spec.n_states, spec.n_actions, spec.horizon, spec.gamma) == (4, 2, 5, None)
    assert not hasattr(spec, "P")
    assert spec.criterion == mdp.criterion == "episodic"


def test_criteria_and_repr():
    P, R = np.full((2, 1, 2), 0.5), np.full((2, 1), 0.5)
    assert TabularMDP(P, R, horizon=3).criterion == "episodic"
    assert TabularMDP(P, R, gamma=0.5).criterion == "discounted"
    assert TabularMDP(P, R).criterion == "average"
    assert repr(TabularMDP(P, R, gamma=0.5)) == "TabularMDP(S=2, A=1, gamma=0.5)"


def test_constant_reward_closed_forms():
    # one state, reward 1/2: episodic H/2, discounted 1/(2(1-gamma)), gain 1/2
    P, R = np.ones((1, 1, 1)), np.full((1, 1), 0.5)
    pi = np.zeros(1, dtype=int)
    assert TabularMDP(P, R, horizon=4).initial_value(pi) == 2.0
    assert TabularMDP(P, R, gamma=0.75).initial_value(pi) == pytest.approx(2.0, rel=1e-14)
    assert TabularMDP(P, R).initial_value(pi) == pytest.approx(0.5, rel=1e-12)
    assert TabularMDP(P, R, horizon=4).optimal_value() == 2.0


def test_chain_optimal_value_closed_form():
    # deterministic chain of n states: reach the end after n-1 moves, then earn 1 per step
    n, H = 4, 10
    assert chain(n, horizon=H).optimal_value() == pytest.approx(H - (n - 1), abs=1e-12)


def test_deterministic_equals_one_hot_stochastic(rng):
    mdp = riverswim(5, horizon=6)
    det = rng.integers(0, 2, size=(6, 5))
    one_hot = np.eye(2)[det]
    np.testing.assert_array_equal(mdp.evaluate(det), mdp.evaluate(one_hot))


def test_solution_cached():
    mdp = riverswim(4, horizon=5)
    assert mdp.solve() is mdp.solve()


def test_step_frequencies_match_p(rng):
    mdp = riverswim(4, horizon=5)
    n = 20_000
    counts = np.bincount([mdp.step(1, 1, rng)[0] for _ in range(n)], minlength=4)
    p = mdp.P[1, 1]
    # 5 standard errors of a binomial proportion
    assert np.all(np.abs(counts / n - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)
    assert mdp.step(3, 1, rng)[1] == mdp.R[3, 1]


def test_step_and_sample_init_validation(rng):
    mdp = riverswim(4, horizon=5)
    with pytest.raises(ValueError, match=r"s must be in \[0, 4\), got 4"):
        mdp.step(4, 0, rng)
    with pytest.raises(ValueError, match=r"a must be in \[0, 2\), got 2"):
        mdp.step(0, 2, rng)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        mdp.step(0, 0, 0)
    init = np.array([0.0, 0.25, 0.75, 0.0])
    m2 = TabularMDP(mdp.P, mdp.R, horizon=5, init=init)
    draws = np.bincount([m2.sample_init(rng) for _ in range(4000)], minlength=4)
    assert draws[0] == draws[3] == 0 and 800 < draws[1] < 1200


def test_stage_dependent_step_uses_stage(rng):
    P = np.zeros((2, 2, 1, 2))
    P[0, :, 0, 0] = 1.0
    P[1, :, 0, 1] = 1.0
    R = np.zeros((2, 2, 1))
    R[1, :, 0] = 1.0
    mdp = TabularMDP(P, R, horizon=2)
    assert mdp.step(0, 0, rng, h=0) == (0, 0.0)
    assert mdp.step(0, 0, rng, h=1) == (1, 1.0)
