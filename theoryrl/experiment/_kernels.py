"""Compiled episode simulation. Uniforms are drawn by the caller's Generator."""

from numba import njit

from ..models._sampling_kernels import draw as _draw


@njit(cache=True)
def simulate_deterministic(Pcum, R, init_cum, pi, u, states, actions, rewards):
    """Roll out pi (H, S) from s0 ~ init; u (H+1,) uniforms; fills the outputs."""
    H = pi.shape[0]
    HP = Pcum.shape[0]
    HR = R.shape[0]
    s = _draw(init_cum, u[0])
    states[0] = s
    for h in range(H):
        a = pi[h, s]
        actions[h] = a
        rewards[h] = R[h % HR, s, a]
        s = _draw(Pcum[h % HP, s, a], u[h + 1])
        states[h + 1] = s


@njit(cache=True)
def simulate_stochastic(Pcum, R, init_cum, pi, u, states, actions, rewards):
    """Roll out pi (H, S, A); u (2H+1,) uniforms (state draws then action draws)."""
    H = pi.shape[0]
    A = pi.shape[2]
    HP = Pcum.shape[0]
    HR = R.shape[0]
    s = _draw(init_cum, u[0])
    states[0] = s
    for h in range(H):
        acc = 0.0
        a = A - 1
        for b in range(A):
            acc += pi[h, s, b]
            if u[H + 1 + h] < acc:
                a = b
                break
        actions[h] = a
        rewards[h] = R[h % HR, s, a]
        s = _draw(Pcum[h % HP, s, a], u[h + 1])
        states[h + 1] = s


@njit(cache=True)
def rows_are_distributions(pi, atol):
    """Whether every row ``pi[h, s]`` of the float array (H, S, A) has entries >= 0
    and a sum within ``atol`` of 1 (the test of ``check_distribution_rows``; NaN
    fails both comparisons' complements, as there)."""
    H = pi.shape[0]
    S = pi.shape[1]
    A = pi.shape[2]
    for h in range(H):
        for s in range(S):
            tot = 0.0
            for a in range(A):
                x = pi[h, s, a]
                if not x >= 0.0:
                    return False
                tot += x
            if not abs(tot - 1.0) <= atol:
                return False
    return True


@njit(cache=True)
def actions_in_range(pi, A):
    """Whether every entry of the int array pi (H, S) lies in [0, A)."""
    H = pi.shape[0]
    S = pi.shape[1]
    for h in range(H):
        for s in range(S):
            a = pi[h, s]
            if a < 0 or a >= A:
                return False
    return True
