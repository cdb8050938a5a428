"""An average-reward agent with its own stop rule and compiled kernel runs through
run() and passes check_agent without any change to theoryrl.experiment."""

from __future__ import annotations

import numpy as np
from numba import njit

import theoryrl as trl
from theoryrl.agents import AverageAgent, check_agent
from theoryrl.envs.average import riverswim_average
from theoryrl.models._sampling_kernels import draw


@njit
def _reward_drop_segment(sim, pi, t0, floor):
    """Play pi until a transition's reward falls below ``floor`` (rule code 7)."""
    Pcum, R, u, states, actions = sim
    T = u.shape[0]
    s = states[t0]
    t = t0
    while t < T:
        a = pi[s]
        actions[t] = a
        s2 = draw(Pcum[s, a], u[t])
        states[t + 1] = s2
        t += 1
        if R[s, a] < floor:
            return t, 7
        s = s2
    return t, -1


class GreedyOnRewards(AverageAgent):
    """Greedy in the empirical mean reward; a new epoch whenever a poor reward is seen."""

    name = "greedy-rewards"

    def __init__(self, spec, floor=0.01):
        super().__init__(spec)
        self.floor = float(floor)

    def reset(self, rng):
        S, A = self.spec.n_states, self.spec.n_actions
        self._sum, self._n = np.zeros((S, A)), np.zeros((S, A))
        self._tie = rng.random((S, A)) * 1e-9  # random tie-breaking, from the given rng
        self.history = []

    def policy(self):
        mean = np.where(self._n > 0, self._sum / np.maximum(self._n, 1), 1.0)
        return np.argmax(mean + self._tie, axis=1).astype(np.int64)

    def play(self, sim, pi, t0):
        t, reason = _reward_drop_segment(tuple(sim), pi, t0, self.floor)
        return int(t), int(reason)

    def update(self, seg):
        np.add.at(self._sum, (seg.states[:-1], seg.actions), seg.rewards)
        np.add.at(self._n, (seg.states[:-1], seg.actions), 1.0)


def test_new_average_agent_needs_no_driver_change():
    env = riverswim_average(4)
    ag = GreedyOnRewards(env.spec)
    check_agent(ag, env)
    a = trl.run(ag, env, steps=2 ** 10, seeds=2)
    b = trl.run(ag, env, steps=2 ** 10, seeds=2)
    np.testing.assert_array_equal(a.regret, b.regret)
    assert np.all(a.extras["switches"][:, -1] > 1)  # its own rule ended epochs
