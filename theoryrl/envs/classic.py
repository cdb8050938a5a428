"""Classic tabular instances: RiverSwim, deterministic chain, random (Garnet) MDPs."""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_int, check_positive
from ..models.tabular import TabularMDP

__all__ = ["riverswim", "chain", "random_mdp"]

# (stay-at-0, right-at-0), (left, stay, right) in the middle, (left, stay) at the end
_RIVERSWIM = {
    # Strehl & Littman (2008), Fig. 2 [R: recalled, checked against common re-implementations];
    # rewards 5 and 10000 divided by 10000 to lie in [0, 1].
    "strehl_littman": dict(first=(0.7, 0.3), mid=(0.1, 0.6, 0.3), last=(0.3, 0.7),
                           r_left=5 / 10_000, r_right=1.0),
    # Osband, Russo, Van Roy (2013) normalised version (the LOOP experiments' RiverSwim).
    "osband": dict(first=(0.4, 0.6), mid=(0.05, 0.6, 0.35), last=(0.4, 0.6),
                   r_left=0.005, r_right=1.0),
}


def riverswim(n_states: int = 6, horizon: int | None = None, gamma: float | None = None,
              variant: str = "strehl_littman") -> TabularMDP:
    r"""RiverSwim: a chain where swimming right (action 1) against the current
    pays off only at the far end, and drifting left (action 0) pays a little at once.

    Action 0 moves left deterministically (stays at 0) and earns ``r_left`` at
    state 0. Action 1 is stochastic: at state 0 it stays or moves right, in the
    middle it moves left / stays / moves right, at the last state it moves
    left or stays, and it earns ``r_right = 1`` at the last state.

    Parameters
    ----------
    n_states : int
        Chain length, at least 2.
    horizon, gamma : optional
        Criterion, as in :class:`~theoryrl.models.TabularMDP` (neither: average reward).
    variant : {"strehl_littman", "osband"}
        ``"strehl_littman"`` (Strehl & Littman 2008, rewards 5 and 10000 scaled
        by 1/10000; probabilities (0.7, 0.3) at 0, (0.1, 0.6, 0.3) in the middle,
        (0.3, 0.7) at the end) [R: recalled from the paper's figure];
        ``"osband"`` (Osband et al. 2013; (0.4, 0.6), (0.05, 0.6, 0.35), (0.4, 0.6),
        ``r_left = 0.005``), the instance of docs/theory/loop.md.

    Returns
    -------
    TabularMDP
        Two actions, ``n_states`` states, the criterion chosen by ``horizon`` / ``gamma``.

    Examples
    --------
    >>> mdp = riverswim(6, horizon=20)
    >>> mdp.n_states, mdp.n_actions, mdp.horizon
    (6, 2, 20)
    >>> round(float(mdp.optimal_value()), 4) > round(float(mdp.initial_value(
    ...     np.zeros((20, 6), dtype=np.int64))), 4)   # swimming right beats drifting left
    True
    """
    n = check_int(n_states, "n_states", 2)
    check_choice(variant, "variant", _RIVERSWIM)
    c = _RIVERSWIM[variant]
    P = np.zeros((n, 2, n))
    R = np.zeros((n, 2))
    for s in range(n):
        P[s, 0, max(s - 1, 0)] = 1.0
    P[0, 1, 0], P[0, 1, 1] = c["first"]
    for s in range(1, n - 1):
        P[s, 1, s - 1], P[s, 1, s], P[s, 1, s + 1] = c["mid"]
    P[n - 1, 1, n - 2], P[n - 1, 1, n - 1] = c["last"]
    R[0, 0] = c["r_left"]
    R[n - 1, 1] = c["r_right"]
    return TabularMDP(P, R, horizon=horizon, gamma=gamma)


def chain(n_states: int = 5, horizon: int | None = None, gamma: float | None = None,
          reward: float = 1.0) -> TabularMDP:
    """Deterministic chain: action 1 moves right, action 0 resets to state 0.

    ``reward`` is earned by action 1 in the last state (which it keeps).

    Parameters
    ----------
    n_states : int, default 5
        Chain length, at least 1.
    horizon : int, optional
        Episode length (episodic criterion).
    gamma : float, optional
        Discount factor (discounted criterion); neither: average reward.
    reward : float, default 1.0
        Reward of action 1 in the last state, in [0, 1].

    Returns
    -------
    TabularMDP
        Two actions, deterministic kernel.

    Examples
    --------
    >>> mdp = chain(3, horizon=4)
    >>> float(mdp.optimal_value())   # two steps to reach the end, then two rewards
    2.0
    """
    n = check_int(n_states, "n_states", 1)
    r = check_positive(reward, "reward", allow_zero=True)
    if r > 1:
        raise ValueError(f"reward must be in [0, 1], got {r}")
    P = np.zeros((n, 2, n))
    P[:, 0, 0] = 1.0
    for s in range(n):
        P[s, 1, min(s + 1, n - 1)] = 1.0
    R = np.zeros((n, 2))
    R[n - 1, 1] = r
    return TabularMDP(P, R, horizon=horizon, gamma=gamma)


def random_mdp(n_states: int, n_actions: int, horizon: int | None = None,
               gamma: float | None = None, *, branching: int | None = None,
               concentration: float = 1.0, stage_dependent: bool = False,
               reward: str = "uniform", communicating: bool = False,
               seed: int | np.random.Generator = 0) -> TabularMDP:
    r"""A random ("Garnet") MDP (Archibald et al. 1995).

    For every (s, a) (and stage h if ``stage_dependent``), ``branching`` distinct
    next states are drawn uniformly and their probabilities from
    :math:`\mathrm{Dirichlet}(\text{concentration} \cdot 1)`; rewards are
    :math:`U[0,1]` (``reward="uniform"``) or Bernoulli(0.5) means in {0, 1}
    (``"sparse"``).

    Parameters
    ----------
    n_states : int
        Number of states :math:`S \ge 1`.
    n_actions : int
        Number of actions :math:`A \ge 1`.
    horizon : int, optional
        Episode length (episodic criterion).
    gamma : float, optional
        Discount factor (discounted criterion); neither: average reward.
    branching : int, optional
        Sparsity knob: support size of each row, in [1, S]; dense (S) by default.
    concentration : float, default 1.0
        Dirichlet parameter of each row's probabilities.
    stage_dependent : bool, default False
        Draw one kernel and reward table per stage (needs ``horizon``).
    reward : {"uniform", "sparse"}
        Mean-reward distribution.
    communicating : bool, default False
        Redraw (up to 1000 times) until the union support graph is strongly
        connected, so the MDP is communicating (needs ``stage_dependent=False``).
    seed : int or numpy.random.Generator, default 0
        Source of the draws.

    Returns
    -------
    TabularMDP
        Kernel of shape (S, A, S), or (H, S, A, S) if ``stage_dependent``.

    Raises
    ------
    ValueError
        On an invalid size or option, or when no communicating draw is found.

    Examples
    --------
    >>> mdp = random_mdp(4, 2, horizon=3, branching=2, seed=1)
    >>> mdp.P.shape, int((mdp.P > 0).sum(axis=-1).max())
    ((4, 2, 4), 2)
    """
    S = check_int(n_states, "n_states", 1)
    A = check_int(n_actions, "n_actions", 1)
    b = S if branching is None else check_int(branching, "branching", 1)
    if b > S:
        raise ValueError(f"branching must be in [1, n_states={S}], got {b}")
    alpha = check_positive(concentration, "concentration")
    check_choice(reward, "reward", ("uniform", "sparse"))
    if stage_dependent and horizon is None:
        raise ValueError("stage_dependent=True needs a horizon")
    if communicating and stage_dependent:
        raise ValueError("communicating=True needs stage_dependent=False")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    lead = (horizon,) if stage_dependent else ()
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    for _ in range(1000):
        P = np.zeros(lead + (S, A, S))
        flat = P.reshape(-1, S)
        for row in flat:
            idx = rng.choice(S, size=b, replace=False)
            row[idx] = rng.dirichlet(np.full(b, alpha))
        if not communicating:
            break
        n, _ = connected_components(csr_matrix(P.sum(axis=1) > 0), directed=True,
                                    connection="strong")
        if n == 1:
            break
    else:
        raise ValueError(f"no communicating MDP in 1000 draws with branching={b}; raise it")
    if reward == "uniform":
        R = rng.random(lead + (S, A))
    else:
        R = (rng.random(lead + (S, A)) < 0.5).astype(float)
    return TabularMDP(P, R, horizon=horizon, gamma=gamma)
