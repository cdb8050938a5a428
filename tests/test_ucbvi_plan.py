"""The public planner ``theoryrl.agents.ucbvi.optimistic_plan`` plans as the agent does."""

from __future__ import annotations

import numpy as np
import pytest

from theoryrl.agents import UCBVI, Trajectory
from theoryrl.agents.ucbvi import optimistic_plan
from theoryrl.envs import riverswim


@pytest.mark.parametrize("bonus", ["l1", "hoeffding"])
def test_optimistic_plan_equals_the_agents_plan(bonus):
    mdp = riverswim(4, horizon=6)
    P, R, H = mdp.P, mdp.spec.R, mdp.spec.horizon
    S, A = R.shape
    agent = UCBVI(mdp.spec, episodes=40, delta=0.1, bonus=bonus)
    rng = np.random.default_rng(3)
    agent.reset(rng)
    N = np.zeros((S, A, S))
    for _ in range(30):
        pi = agent.policy()
        s, states, actions = 0, [0], []
        for h in range(H):
            a = int(pi[h, s])
            s2 = int(rng.choice(S, p=P[s, a]))
            N[s, a, s2] += 1
            states.append(s2)
            actions.append(a)
            s = s2
        agent.update(Trajectory(np.array(states), np.array(actions),
                                R[np.array(states[:-1]), np.array(actions)], 1))
    plan = optimistic_plan(N, R, H, 40, 0.1, bonus=bonus)
    np.testing.assert_array_equal(plan.policy, agent.policy())
    assert float(mdp.spec.init @ plan.V[0]) == agent.optimistic_value()
    assert plan.V.shape == (H, S) and plan.Q.shape == (H, S, A)
    assert np.all(np.isinf(plan.bonus[:, N.sum(axis=2) == 0]))
    assert (N.sum(axis=2) == 0).any() and (N.sum(axis=2) > 0).any()


def test_optimistic_plan_arguments_name_themselves():
    N, R = np.zeros((2, 1, 2)), np.zeros((2, 1))
    with pytest.raises(ValueError, match="N must have shape"):
        optimistic_plan(np.zeros((2, 1)), R, 3, 10, 0.1)
    with pytest.raises(ValueError, match="R must have shape"):
        optimistic_plan(N, np.zeros((1, 2)), 3, 10, 0.1)
    with pytest.raises(ValueError, match="N must hold non-negative integer counts"):
        optimistic_plan(-N - 1, R, 3, 10, 0.1)
    with pytest.raises(ValueError, match="horizon"):
        optimistic_plan(N, R, 0, 10, 0.1)
    with pytest.raises(ValueError, match="delta"):
        optimistic_plan(N, R, 3, 10, 1.5)
    with pytest.raises(ValueError, match="bonus"):
        optimistic_plan(N, R, 3, 10, 0.1, bonus="bernstein")
