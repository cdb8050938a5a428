"""Average-reward policy evaluation never returns a wrong gain.

The gain comes from the exact class structure of the chain and a
subtraction-free elimination (Grassmann-Taksar-Heyman), so tiny leaks out of a
state are honoured, and an unrepresentable chain raises a named error.
"""

from __future__ import annotations

import numpy as np
import pytest

from theoryrl.models import TabularMDP
from theoryrl.planning.average import policy_gain_bias


@pytest.mark.parametrize("leak", [1e-12, 1e-11, 1e-15, 1e-200, 5e-324])
def test_tiny_leak_into_a_rewarding_absorbing_state(leak):
    # state 0 leaks into state 1 (absorbing, reward 1): the chain is unichain and
    # every state has gain 1, however small the leak
    mdp = TabularMDP([[[1 - leak, leak]], [[0, 1]]], [[0], [1]])
    assert mdp.evaluate(np.array([0, 0])).tolist() == [1.0, 1.0]


def test_tiny_leak_with_a_stochastic_policy():
    P = np.zeros((2, 2, 2))
    P[0, 0] = [1, 0]                  # action 0 stays
    P[0, 1] = [1 - 1e-10, 1e-10]      # action 1 leaks
    P[1, :] = [0, 1]
    R = np.array([[0.0, 0.0], [1.0, 1.0]])
    mdp = TabularMDP(P, R)
    pi = np.array([[1 - 1e-6, 1e-6], [0.5, 0.5]])
    assert mdp.evaluate(pi).tolist() == [1.0, 1.0]
    # without any leak, state 0 is closed and its gain is 0
    assert mdp.evaluate(np.array([0, 0])).tolist() == [0.0, 1.0]


def test_tiny_split_between_two_closed_classes():
    eps = 1e-13
    P = np.array([[[0.5, 0.5 - eps, eps]], [[0, 1, 0]], [[0, 0, 1]]])
    R = np.array([[0.3], [0.0], [1.0]])
    g = TabularMDP(P, R).evaluate(np.zeros(3, dtype=int))
    # from state 0: absorbed in state 2 with probability eps / (1 - 0.5) = 2 eps
    np.testing.assert_allclose(g, [2 * eps, 0.0, 1.0], rtol=1e-12, atol=0)


def test_agrees_with_the_planner_on_well_conditioned_chains():
    rng = np.random.default_rng(7)
    for _ in range(100):
        S, A = int(rng.integers(1, 7)), int(rng.integers(1, 3))
        P = rng.random((S, A, S)) * (rng.random((S, A, S)) < 0.5)
        P[np.arange(S), :, rng.integers(0, S, S)] += 0.2
        P /= P.sum(axis=-1, keepdims=True)
        R = rng.random((S, A))
        pi = rng.integers(0, A, S)
        idx = np.arange(S)
        want = policy_gain_bias(P[idx, pi], R[idx, pi])[0]
        np.testing.assert_allclose(TabularMDP(P, R).evaluate(pi), want, atol=1e-9)


def test_periodic_chain():
    P = np.array([[[0.0, 1.0]], [[1.0, 0.0]]])
    g = TabularMDP(P, np.array([[1.0], [0.0]])).evaluate(np.array([0, 0]))
    assert g.tolist() == [0.5, 0.5]


def test_unrepresentable_chain_is_a_named_error():
    P = np.zeros((2, 2, 2))
    P[0, 0] = [1, 0]
    P[0, 1] = [1 - 1e-200, 1e-200]
    P[1, :] = [0, 1]
    mdp = TabularMDP(P, np.array([[0.0, 0.0], [1.0, 1.0]]))
    pi = np.array([[1.0 - 1e-200, 1e-200], [0.5, 0.5]])  # 1e-200 * 1e-200 underflows
    with pytest.raises(ValueError, match="^policy: the gain .* double precision"):
        mdp.evaluate(pi)
