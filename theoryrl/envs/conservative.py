r"""Instances for conservative exploration (docs/theory/stepmix.md), each with its baseline.

Contract: ``<env>(...)`` returns a :class:`~theoryrl.models.TabularMDP` (sensible
defaults everywhere), and ``<env>_baseline(mdp, ...)`` returns the safe baseline
policy, an int array (H, S); its exact value is ``mdp.initial_value(pi_b)``
(:func:`baseline_value`). The CLI (``theoryrl run StepMix --env conservative_trap``)
finds the baseline by this naming rule.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_positive
from ..models.tabular import TabularMDP
from .classic import random_mdp, riverswim

__all__ = ["conservative_trap", "conservative_trap_baseline", "conservative_random_mdp",
           "conservative_random_mdp_baseline", "riverswim_safe", "riverswim_safe_baseline",
           "baseline_value", "collect_dataset"]


def conservative_trap(horizon: int = 5, p: float = 0.8, baseline_reward: float = 0.5
                      ) -> TabularMDP:
    r"""The conservative trap E3 [D]: states good (0), bad (1), great (2).

    From *good*: action 0 stays with reward ``baseline_reward`` (the baseline);
    action 1 goes to *great* w.p. ``p``, else *bad*, reward 0; action 2 goes to
    *bad*, reward 0. *great* absorbs with reward 1, *bad* with reward 0 (all
    actions). For ``H = 5``: :math:`V^* = 0.8 \cdot 4 = 3.2` (gamble at step 1),
    :math:`V_b = 2.5`. An unconstrained optimistic learner tries actions 1 and 2
    early and falls below :math:`(1-\alpha)V_b`.

    Parameters
    ----------
    horizon : int, default 5
        Episode length, at least 2.
    p : float, default 0.8
        Success probability of the gamble (action 1 from *good*), in (0, 1].
    baseline_reward : float, default 0.5
        Per-step reward of staying in *good*, in (0, 1].

    Returns
    -------
    TabularMDP
        Three states, three actions, episodic.

    Examples
    --------
    >>> mdp = conservative_trap()
    >>> float(mdp.optimal_value()), float(baseline_value(mdp, conservative_trap_baseline(mdp)))
    (3.2, 2.5)
    """
    H = check_int(horizon, "horizon", 2)
    p = check_positive(p, "p")
    if p > 1:
        raise ValueError(f"p must be in (0, 1], got {p}")
    r = check_positive(baseline_reward, "baseline_reward")
    if r > 1:
        raise ValueError(f"baseline_reward must be in (0, 1], got {r}")
    P = np.zeros((3, 3, 3))
    P[0, 0, 0] = 1.0
    P[0, 1, 2], P[0, 1, 1] = p, 1.0 - p
    P[0, 2, 1] = 1.0
    P[1, :, 1] = 1.0
    P[2, :, 2] = 1.0
    R = np.zeros((3, 3))
    R[0, 0] = r
    R[2, :] = 1.0
    return TabularMDP(P, R, horizon=H)


def conservative_trap_baseline(mdp: TabularMDP) -> np.ndarray:
    """Always action 0 (stay in *good*): value ``H * baseline_reward``.

    Parameters
    ----------
    mdp : TabularMDP
        An instance built by :func:`conservative_trap`.

    Returns
    -------
    numpy.ndarray of int64, shape (H, S)
        The deterministic baseline policy.
    """
    return np.zeros((mdp.horizon, mdp.n_states), dtype=np.int64)


def conservative_random_mdp(n_states: int = 3, n_actions: int = 2, horizon: int = 3,
                            branching: int = 2, seed: int = 3) -> TabularMDP:
    """E1 [D]: :func:`~theoryrl.envs.random_mdp` with a
    time-homogeneous Dirichlet(1) kernel on ``branching`` random next states and
    U[0, 1] rewards. The defaults are the quick instance Q of the proof checks.

    Parameters
    ----------
    n_states : int, default 3
        Number of states.
    n_actions : int, default 2
        Number of actions.
    horizon : int, default 3
        Episode length.
    branching : int, default 2
        Support size of each kernel row.
    seed : int, default 3
        Seed of the draw.

    Returns
    -------
    TabularMDP
        Episodic, time-homogeneous kernel.
    """
    return random_mdp(n_states, n_actions, horizon=horizon, branching=branching, seed=seed)


def conservative_random_mdp_baseline(mdp: TabularMDP, quality: float = 0.0,
                                     seed: int = 0) -> np.ndarray:
    r"""A fixed deterministic baseline of chosen quality: at each
    (h, s), :math:`\pi^*_h(s)` with probability ``quality``, else a uniformly
    random action (drawn once, from ``seed``). ``quality=1`` gives
    :math:`\pi^*` (:math:`\Delta_b = 0`, check C9).

    Parameters
    ----------
    mdp : TabularMDP
        Episodic instance.
    quality : float, default 0.0
        Probability, per (h, s), of keeping the optimal action; in [0, 1].
    seed : int, default 0
        Seed of the random actions.

    Returns
    -------
    numpy.ndarray of int64, shape (H, S)
        The deterministic baseline policy.
    """
    q = check_positive(quality, "quality", allow_zero=True)
    if q > 1:
        raise ValueError(f"quality must be in [0, 1], got {q}")
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    opt = np.asarray(mdp.solve().policy, dtype=np.int64)
    H, S = mdp.horizon, mdp.n_states
    keep = rng.random((H, S)) < q
    rand = rng.integers(0, mdp.n_actions, size=(H, S))
    return np.where(keep, opt, rand).astype(np.int64)


def riverswim_safe(n_states: int = 6, horizon: int = 20,
                   variant: str = "strehl_littman") -> TabularMDP:
    """E2 [D]: RiverSwim with the safe baseline "always swim left".

    Parameters
    ----------
    n_states : int, default 6
        Chain length.
    horizon : int, default 20
        Episode length.
    variant : {"strehl_littman", "osband"}
        RiverSwim's parameters, as in :func:`~theoryrl.envs.riverswim`.

    Returns
    -------
    TabularMDP
        Episodic RiverSwim.
    """
    return riverswim(n_states, horizon=horizon, variant=variant)


def riverswim_safe_baseline(mdp: TabularMDP) -> np.ndarray:
    """Always action 0 (swim left, collect the small reward at state 0).

    Parameters
    ----------
    mdp : TabularMDP
        An instance built by :func:`riverswim_safe`.

    Returns
    -------
    numpy.ndarray of int64, shape (H, S)
        The deterministic baseline policy.
    """
    return np.zeros((mdp.horizon, mdp.n_states), dtype=np.int64)


def baseline_value(mdp: TabularMDP, baseline: np.ndarray) -> float:
    """Exact :math:`V_b = \\mu^T V^{\\pi_b}_1` from the true model.

    Parameters
    ----------
    mdp : TabularMDP
        The true model.
    baseline : numpy.ndarray
        Policy, int (H, S) or stochastic (H, S, A).

    Returns
    -------
    float
        Its exact initial value.
    """
    return mdp.initial_value(baseline)


def collect_dataset(mdp: TabularMDP, policy: np.ndarray, n_episodes: int,
                    rng: np.random.Generator):
    """``n_episodes`` episodes of ``policy`` (behaviour data for the offline variant),
    as a tuple ``(states (N, H+1), actions (N, H), rewards (N, H))`` accepted by
    :func:`theoryrl.agents.stepmix.from_offline`; vectorised over episodes.

    Parameters
    ----------
    mdp : TabularMDP
        Episodic true model.
    policy : numpy.ndarray
        Behaviour policy, int (H, S) or stochastic (H, S, A).
    n_episodes : int
        Number of episodes N, at least 1.
    rng : numpy.random.Generator
        Source of every draw.

    Returns
    -------
    tuple of numpy.ndarray
        ``(states, actions, rewards)`` of shapes (N, H+1), (N, H), (N, H).

    Examples
    --------
    >>> mdp = conservative_trap()
    >>> s, a, r = collect_dataset(mdp, conservative_trap_baseline(mdp), 4,
    ...                           np.random.default_rng(0))
    >>> s.shape, float(r.sum(axis=1).mean())
    ((4, 6), 2.5)
    """
    N = check_int(n_episodes, "n_episodes", 1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    pi = mdp.check_policy(policy)
    H, S, A = mdp.horizon, mdp.n_states, mdp.n_actions
    P = mdp.P if mdp.P.ndim == 4 else np.broadcast_to(mdp.P, (H, S, A, S))
    R = mdp.R if mdp.R.ndim == 3 else np.broadcast_to(mdp.R, (H, S, A))
    states = np.empty((N, H + 1), dtype=np.int64)
    actions = np.empty((N, H), dtype=np.int64)
    rewards = np.empty((N, H))
    cdf0 = np.cumsum(mdp.init)
    states[:, 0] = np.minimum(np.searchsorted(cdf0, rng.random(N), side="right"), S - 1)
    for h in range(H):
        s = states[:, h]
        if pi.ndim == 2:
            a = pi[h, s]
        else:
            a = np.minimum((np.cumsum(pi[h, s], axis=1) <= rng.random(N)[:, None]).sum(1), A - 1)
        actions[:, h] = a
        rewards[:, h] = R[h, s, a]
        cdf = np.cumsum(P[h, s, a], axis=1)
        states[:, h + 1] = np.minimum((cdf <= rng.random(N)[:, None]).sum(1), S - 1)
    return states, actions, rewards
