"""Compiled step loops of the simplest average-reward stop rules.

Every segment kernel takes ``sim = (Pcum, R, u, states, actions)`` (see
:class:`theoryrl.agents.average.StepSim`) and the global index ``t0`` of the
current state ``states[t0]``; step ``t`` plays ``actions[t]`` and draws
``states[t+1]`` with the uniform ``u[t]``. A kernel returns ``(t_end, reason)``:
the number of steps done so far and the code of the rule that fired, or -1 when
``T = len(u)`` (or the segment's own step limit) was reached.
"""

import numpy as np
from numba import njit

from ..models._sampling_kernels import draw

COUNT = 1


@njit(cache=True)
def fixed_segment(sim, pi, t0, max_steps):
    """Play ``pi`` (S,) for ``max_steps`` steps or until ``T``."""
    Pcum, u, states, actions = sim[0], sim[2], sim[3], sim[4]
    T = u.shape[0]
    s = states[t0]
    t = t0
    while t < T:
        a = pi[s]
        actions[t] = a
        s = draw(Pcum[s, a], u[t])
        t += 1
        states[t] = s
        if t - t0 >= max_steps:
            return t, -1
    return t, -1


@njit(cache=True)
def count_segment(sim, pi, t0, nu_limit):
    """UCRL2's doubling rule: stop once the in-epoch visits ``nu(s, a)`` of the pair
    just played reach ``nu_limit[s, a]`` (checked after the transition)."""
    Pcum, u, states, actions = sim[0], sim[2], sim[3], sim[4]
    T = u.shape[0]
    S, A = nu_limit.shape
    nu = np.zeros((S, A), dtype=np.int64)
    s = states[t0]
    t = t0
    while t < T:
        a = pi[s]
        actions[t] = a
        s2 = draw(Pcum[s, a], u[t])
        states[t + 1] = s2
        t += 1
        nu[s, a] += 1
        if nu[s, a] >= nu_limit[s, a]:
            return t, COUNT
        s = s2
    return t, -1
