"""Compiled step loop of Optimistic Q-learning (conventions of
:mod:`theoryrl.agents._average_kernels`): the Q arrays are updated in place after
every step and the action is greedy in ``Qhat``; it never stops before ``T``."""

import numpy as np
from numba import njit

from ..models._sampling_kernels import draw


@njit(cache=True)
def qlearn_segment(sim, t0, q, H, c):
    """``q = (Q, Qhat, Vhat, n)``; discount ``1 - 1/H``, bonus ``c sqrt(H / n)``."""
    Pcum, R, u, states, actions = sim
    Q, Qhat, Vhat, nq = q
    T = u.shape[0]
    A = Q.shape[1]
    s = states[t0]
    t = t0
    gamma = 1.0 - 1.0 / H
    while t < T:
        best = -np.inf
        a = 0
        for aa in range(A):
            if Qhat[s, aa] > best:
                best = Qhat[s, aa]
                a = aa
        actions[t] = a
        s2 = draw(Pcum[s, a], u[t])
        states[t + 1] = s2
        t += 1
        nq[s, a] += 1
        n = nq[s, a]
        alpha = (H + 1.0) / (H + n)
        bonus = c * np.sqrt(H / n)
        Q[s, a] = (1.0 - alpha) * Q[s, a] + alpha * (R[s, a] + gamma * Vhat[s2] + bonus)
        if Q[s, a] < Qhat[s, a]:
            Qhat[s, a] = Q[s, a]
        vb = -np.inf
        for aa in range(A):
            if Qhat[s, aa] > vb:
                vb = Qhat[s, aa]
        Vhat[s] = vb
        s = s2
    return t, -1
