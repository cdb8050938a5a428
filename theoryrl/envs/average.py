r"""Average-reward instances used for LOOP (docs/theory/loop.md), each with exact facts.

Every constructor returns a validated model (neither horizon nor gamma);
:func:`facts` returns its exact optimal gain :math:`J^*`, bias :math:`h^*`, span,
diameter and advantage gaps (computed in code, never hard-coded).
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_positive
from ..models.linear_mixture import LinearMixtureMDP
from ..models.tabular import TabularMDP
from ..planning.amdp import AverageFacts, average_facts
from .classic import random_mdp, riverswim

__all__ = ["riverswim_average", "two_state_gadget", "random_communicating",
           "wzg_hard_linear_mixture", "random_linear_mixture_amdp", "facts"]


def facts(mdp, with_diameter: bool = True) -> AverageFacts:
    """Exact :math:`J^*`, :math:`h^*`, span, diameter and gaps (:func:`average_facts`).

    Parameters
    ----------
    mdp : TabularMDP or LinearMixtureMDP
        An average-reward model (neither horizon nor gamma).
    with_diameter : bool, default True
        Also compute the diameter (one stochastic-shortest-path solve per state).

    Returns
    -------
    AverageFacts
        Gain, bias, span, diameter and advantage gaps.

    Examples
    --------
    >>> f = facts(two_state_gadget(0.2, 0.1))
    >>> round(f.gain, 6), round(f.span, 6), round(f.diameter, 6)
    (0.6, 2.0, 5.0)
    """
    return average_facts(mdp, with_diameter=with_diameter)


def riverswim_average(n_states: int = 6) -> TabularMDP:
    r"""RiverSwim, the normalised variant of Osband, Russo, Van Roy (2013) as in the
    public UCRL code of Fruit et al. [V], average-reward criterion.
    Exact values (recomputed in the tests): RiverSwim-6 :math:`J^* = 0.428622`,
    :math:`\operatorname{sp} = 6.3103`, :math:`D = 14.722`.

    Parameters
    ----------
    n_states : int, default 6
        Chain length, at least 2.

    Returns
    -------
    TabularMDP
        Two actions, average-reward criterion.
    """
    return riverswim(n_states, variant="osband")


def two_state_gadget(delta_s: float = 0.2, eps: float = 0.1, n_actions: int = 2,
                     best_action: int = 0) -> TabularMDP:
    r"""The two-state lower-bound block of Jaksch et al. (2010).

    :math:`r(s_0, \cdot) = 0`, :math:`r(s_1, \cdot) = 1`;
    :math:`P(s_1 \mid s_0, a) = \delta_s + \varepsilon 1\{a = a^*\}`,
    :math:`P(s_0 \mid s_1, \cdot) = \delta_s`. Closed forms [D]:
    :math:`J^* = (\delta_s+\varepsilon)/(2\delta_s+\varepsilon)`,
    :math:`\operatorname{sp} = 1/(2\delta_s+\varepsilon)`, :math:`D = 1/\delta_s`.

    Parameters
    ----------
    delta_s : float, default 0.2
        Base switching probability :math:`\delta_s > 0`.
    eps : float, default 0.1
        Extra probability :math:`\varepsilon \ge 0` of the best action; ``delta_s + eps <= 1``.
    n_actions : int, default 2
        Number of actions.
    best_action : int, default 0
        Index :math:`a^*` of the best action in state :math:`s_0`.

    Returns
    -------
    TabularMDP
        Two states, average-reward criterion.
    """
    ds = check_positive(delta_s, "delta_s")
    e = check_positive(eps, "eps", allow_zero=True)
    A = check_int(n_actions, "n_actions", 1)
    a_star = check_int(best_action, "best_action", 0)
    if a_star >= A:
        raise ValueError(f"best_action must be in [0, {A}), got {a_star}")
    if ds + e > 1:
        raise ValueError(f"delta_s + eps must be <= 1, got {ds + e}")
    P = np.zeros((2, A, 2))
    P[0, :, 1] = ds
    P[0, a_star, 1] = ds + e
    P[0, :, 0] = 1 - P[0, :, 1]
    P[1, :, 0] = ds
    P[1, :, 1] = 1 - ds
    R = np.zeros((2, A))
    R[1] = 1.0
    return TabularMDP(P, R)


def random_communicating(n_states: int, n_actions: int, branching: int = 3,
                         seed: int | np.random.Generator = 0) -> TabularMDP:
    """A random communicating ("Garnet") MDP: ``branching`` next states per pair with
    Dirichlet(1) probabilities, redrawn until the support graph is strongly connected;
    rewards U[0, 1].

    Parameters
    ----------
    n_states : int
        Number of states.
    n_actions : int
        Number of actions.
    branching : int, default 3
        Support size of each kernel row.
    seed : int or numpy.random.Generator, default 0
        Source of the draws.

    Returns
    -------
    TabularMDP
        Communicating, average-reward criterion.
    """
    return random_mdp(n_states, n_actions, branching=branching, communicating=True, seed=seed)


def wzg_hard_linear_mixture(d: int = 4, delta_s: float = 0.2, Delta: float | None = None,
                            T: int | None = None, seed: int | np.random.Generator = 0
                            ) -> LinearMixtureMDP:
    r"""The hard linear-mixture instance of Wu, Zhou, Gu (AISTATS 2022).

    Two states :math:`x_0, x_1`, actions :math:`a \in \{-1, 1\}^{d-1}` (``A = 2^{d-1}``,
    action index bits), :math:`\theta \in \{\pm\Delta/(d-1)\}^{d-1}` drawn uniformly
    from ``seed``; :math:`P(x_1|x_0,a) = \delta_s + \langle a, \theta\rangle`,
    :math:`P(x_0|x_1,\cdot) = \delta_s`; :math:`r(x_1) = 1`, :math:`r(x_0) = 0`. Features
    :math:`\phi(x_0|x_0,a) = (-\alpha a, \beta(1-\delta_s))`, :math:`\phi(x_1|x_0,a) =
    (\alpha a, \beta\delta_s)`, :math:`\phi(x_0|x_1,a) = (0, \beta\delta_s)`,
    :math:`\phi(x_1|x_1,a) = (0, \beta(1-\delta_s))`, :math:`\tilde\theta = (\theta/\alpha,
    1/\beta)`, :math:`\alpha = \sqrt{\Delta/((d-1)(1+\Delta))}`,
    :math:`\beta = \sqrt{1/(1+\Delta)}`.
    Needs :math:`3\Delta \le \delta_s`. If ``Delta`` is None it is set from ``T`` as
    :math:`\Delta = \min(\delta_s/3, (d-1)\sqrt{\delta_s/T})` (the minimax scaling).

    Parameters
    ----------
    d : int, default 4
        Feature dimension, at least 2 (``2^{d-1}`` actions).
    delta_s : float, default 0.2
        Base switching probability.
    Delta : float, optional
        Gap parameter; set from ``T`` when omitted.
    T : int, optional
        Horizon used for the minimax scaling of ``Delta``.
    seed : int or numpy.random.Generator, default 0
        Source of the sign pattern of :math:`\theta`.

    Returns
    -------
    LinearMixtureMDP
        Two states, ``2^{d-1}`` actions, average-reward criterion.
    """
    d = check_int(d, "d", 2)
    ds = check_positive(delta_s, "delta_s")
    if Delta is None:
        if T is None:
            raise ValueError("give Delta or T")
        Delta = min(ds / 3, (d - 1) * math.sqrt(ds / check_int(T, "T", 1)))
    Dl = check_positive(Delta, "Delta")
    if 3 * Dl > ds + 1e-15:
        raise ValueError(f"Delta must satisfy 3 Delta <= delta_s, got Delta={Dl}, delta_s={ds}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    theta = rng.choice([-1.0, 1.0], size=d - 1) * Dl / (d - 1)
    A = 2 ** (d - 1)
    acts = np.array([[1.0 if (i >> j) & 1 else -1.0 for j in range(d - 1)] for i in range(A)])
    alpha = math.sqrt(Dl / ((d - 1) * (1 + Dl)))
    beta = math.sqrt(1 / (1 + Dl))
    phi = np.zeros((2, A, 2, d))
    phi[0, :, 0, :-1] = -alpha * acts
    phi[0, :, 0, -1] = beta * (1 - ds)
    phi[0, :, 1, :-1] = alpha * acts
    phi[0, :, 1, -1] = beta * ds
    phi[1, :, 0, -1] = beta * ds
    phi[1, :, 1, -1] = beta * (1 - ds)
    theta_t = np.concatenate([theta / alpha, [1 / beta]])
    R = np.zeros((2, A))
    R[1] = 1.0
    return LinearMixtureMDP(phi, theta_t, R)


def random_linear_mixture_amdp(n_states: int, n_actions: int, d: int,
                               branching: int | None = None,
                               seed: int | np.random.Generator = 0) -> LinearMixtureMDP:
    r"""A random mixture of ``d`` communicating base kernels:
    :math:`\phi(s'|s,a) = (P_1(s'|s,a), \dots, P_d(s'|s,a))`, :math:`\theta` uniform on the
    simplex (Dirichlet(1)), so every row of :math:`\phi\theta` is a distribution;
    rewards U[0, 1]. Base kernels are random communicating MDPs.

    Parameters
    ----------
    n_states : int
        Number of states.
    n_actions : int
        Number of actions.
    d : int
        Number of base kernels (feature dimension).
    branching : int, optional
        Support size of each base kernel's rows (default ``min(S, 3)``).
    seed : int or numpy.random.Generator, default 0
        Source of the draws.

    Returns
    -------
    LinearMixtureMDP
        Average-reward criterion.
    """
    S = check_int(n_states, "n_states", 1)
    A = check_int(n_actions, "n_actions", 1)
    d = check_int(d, "d", 1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    b = min(S, 3) if branching is None else branching
    kernels = [random_mdp(S, A, branching=b, communicating=True, seed=rng).P for _ in range(d)]
    phi = np.stack(kernels, axis=-1)
    theta = rng.dirichlet(np.ones(d))
    R = rng.random((S, A))
    return LinearMixtureMDP(phi, theta, R)
