r"""The hard instance of the minimax lower bounds for episodic tabular MDPs.

Domingues, Ménard, Kaufmann, Valko, "Episodic reinforcement learning in
finite MDPs: minimax lower bounds revisited", ALT 2021 (arXiv:2010.03531),
Sec. 3 [R: structure as in the paper; the tree layout for an S that is not
a full tree size, and the 0-indexed stage windows, are ours, D].
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_open_unit
from ..models.tabular import TabularMDP

__all__ = ["HardMDP", "hard_instance"]


class HardMDP(TabularMDP):
    """A :class:`~theoryrl.models.TabularMDP` that also knows its planted answer.

    Attributes
    ----------
    optimal_leaf : int
        State index of the leaf :math:`l^*`.
    optimal_action : int
        The action :math:`a^*`.
    optimal_stage : int or None
        The stage :math:`h^*` (0-indexed) of the bias (stage-dependent version).
    gap : float
        :math:`V^*_0 - \\max_{\\pi \\text{ avoiding } (l^*, a^*)} V^\\pi_0`,
        i.e. ``eps`` times the number of rewarding stages.
    eps : float
    depth : int
        Number of moves from the root to a leaf.
    leaves : ndarray of int
        State indices of the leaves.
    waiting, root, good, bad : int
        State indices of the waiting, root, rewarding and absorbing bad states.

    Parameters
    ----------
    P, R, horizon, init
        As in :class:`~theoryrl.models.TabularMDP`.
    info : dict
        The planted answer: ``leaf``, ``action``, ``stage``, ``gap``, ``eps``, ``depth``,
        ``leaves``, ``waiting``, ``root``, ``good``, ``bad``.
    """

    def __init__(self, P, R, horizon, init, *, info: dict) -> None:
        super().__init__(P, R, horizon=horizon, init=init)
        self.optimal_leaf = int(info["leaf"])
        self.optimal_action = int(info["action"])
        self.optimal_stage = info["stage"]
        self.gap = float(info["gap"])
        self.eps = float(info["eps"])
        self.depth = int(info["depth"])
        self.leaves = np.asarray(info["leaves"], dtype=np.int64)
        self.leaves.flags.writeable = False
        self.waiting, self.root = 0, 1
        self.good, self.bad = self.n_states - 2, self.n_states - 1

    @property
    def optimal_pair(self) -> tuple[int, int]:
        """``(optimal_leaf, optimal_action)``."""
        return self.optimal_leaf, self.optimal_action

    def __repr__(self) -> str:
        return (f"HardMDP(S={self.n_states}, A={self.n_actions}, horizon={self.horizon}, "
                f"eps={self.eps}, depth={self.depth}, leaves={self.leaves.size})")


def _tree_levels(n_nodes: int, A: int) -> list[np.ndarray]:
    """Levels of a breadth-first A-ary tree of n_nodes nodes (state ids from 1)."""
    levels, first, width = [], 1, 1
    while n_nodes > 0:
        k = min(width, n_nodes)
        levels.append(np.arange(first, first + k))
        first, n_nodes, width = first + k, n_nodes - k, width * A
    return levels


def hard_instance(n_states: int, n_actions: int, horizon: int, eps: float = 0.1, *,
                  stage_dependent: bool = False, wait: int | None = None,
                  seed: int | np.random.Generator = 0) -> HardMDP:
    r"""The lower-bound MDP of Domingues et al. (2021): find one biased leaf action.

    States: a waiting state :math:`s_w` (index 0, the initial state), a tree of
    ``n_states - 3`` nodes rooted at :math:`s_{root}` (index 1), a rewarding
    state :math:`s_g` (index ``S - 2``) and a bad state :math:`s_b` (index
    ``S - 1``), both absorbing. In :math:`s_w` action 0 waits and any other
    action moves to the root. The tree is filled breadth first, level
    :math:`k` holding up to :math:`A^k` nodes; node :math:`j` of level
    :math:`k` sends action :math:`a` to node :math:`(jA + a) \bmod n_{k+1}` of
    the next level, so every leaf (a node of the last level) is exactly
    ``depth`` moves from the root. From a leaf :math:`l`, every action leads to

    .. math::

        P(s_g \mid l, a) = \tfrac12 + \varepsilon\,
        \mathbb 1\{(l, a) = (l^*, a^*)\}, \qquad
        P(s_b \mid l, a) = 1 - P(s_g \mid l, a),

    and every action in :math:`s_g` earns reward 1. ``seed`` draws
    :math:`(l^*, a^*)` uniformly.

    Stationary version (default): the optimal policy leaves :math:`s_w` at
    once, reaches a leaf at stage ``depth + 1`` and collects
    :math:`H - d - 2` rewards with probability :math:`\tfrac12 + \varepsilon`,
    so :math:`V^*_0 = (\tfrac12 + \varepsilon)(H - d - 2)` and
    ``gap`` :math:`= \varepsilon (H - d - 2)`.

    Stage-dependent version (``stage_dependent=True``, the paper's construction
    for the :math:`\Omega(\sqrt{H^3 S A T})` bound): the agent may wait in
    :math:`s_w` during stages :math:`h < \bar H` (``wait``, default
    :math:`\lfloor H/3 \rfloor`) and is sent to the root afterwards; the bias
    holds only at one stage :math:`h^*`, drawn uniformly from the stages
    :math:`\{d + 1, \dots, \bar H + d + 1\}` at which a leaf can be reached,
    and :math:`s_g` pays only from stage :math:`\bar H + d + 2` on, so every
    timing is worth the same :math:`H - \bar H - d - 2` rewards and
    ``gap`` :math:`= \varepsilon (H - \bar H - d - 2)`.

    Parameters
    ----------
    n_states : int
        S >= 4 (waiting, good, bad and at least the root).
    n_actions : int
        A >= 2.
    horizon : int
        H; must leave at least one rewarding stage.
    eps : float
        Bias in (0, 1/2).
    stage_dependent : bool
        Plant the bias at one stage :math:`h^*` as well (the paper's construction).
    wait : int, optional
        :math:`\bar H`, the last stage (exclusive) at which waiting is allowed.
    seed : int or numpy.random.Generator
        Draws :math:`(l^*, a^*)` (and :math:`h^*`).

    Returns
    -------
    HardMDP
        The episodic MDP, with ``optimal_pair``, ``optimal_stage``, ``gap``.

    Examples
    --------
    >>> m = hard_instance(8, 2, horizon=10, eps=0.1)
    >>> round(m.optimal_value() - 0.5 * (10 - m.depth - 2), 12) == round(m.gap, 12)
    True
    """
    S = check_int(n_states, "n_states", 4)
    A = check_int(n_actions, "n_actions", 2)
    H = check_int(horizon, "horizon", 1)
    eps = check_open_unit(eps, "eps")
    if eps >= 0.5:
        raise ValueError(f"eps must be in (0, 1/2), got {eps}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    levels = _tree_levels(S - 3, A)
    d = len(levels) - 1
    leaves = levels[-1]
    g, b = S - 2, S - 1
    if stage_dependent:
        wbar = H // 3 if wait is None else check_int(wait, "wait", 0)
    else:
        wbar = 0
    n_reward = H - wbar - d - 2
    if n_reward < 1:
        raise ValueError(f"horizon={H} is too short: the tree has depth {d}"
                         + (f" and wait={wbar}" if stage_dependent else "")
                         + f", so horizon must be at least {wbar + d + 3}")
    leaf = int(leaves[rng.integers(leaves.size)])
    action = int(rng.integers(A))
    stage = int(rng.integers(d + 1, wbar + d + 2)) if stage_dependent else None

    P = np.zeros((S, A, S))
    P[0, 0, 0] = 1.0
    P[0, 1:, 1] = 1.0
    for k in range(d):
        nxt = levels[k + 1]
        for j, node in enumerate(levels[k]):
            for a in range(A):
                P[node, a, nxt[(j * A + a) % nxt.size]] = 1.0
    P[leaves, :, g] = 0.5
    P[leaves, :, b] = 0.5
    P[g, :, g] = 1.0
    P[b, :, b] = 1.0
    R = np.zeros((S, A))
    R[g] = 1.0
    if stage_dependent:
        P = np.repeat(P[None], H, axis=0)
        P[wbar:, 0, 0, 0] = 0.0
        P[wbar:, 0, 0, 1] = 1.0
        P[stage, leaf, action, g] += eps
        P[stage, leaf, action, b] -= eps
        R = np.repeat(R[None], H, axis=0)
        R[: wbar + d + 2] = 0.0
    else:
        P[leaf, action, g] += eps
        P[leaf, action, b] -= eps
    init = np.zeros(S)
    init[0] = 1.0
    info = dict(leaf=leaf, action=action, stage=stage, gap=eps * n_reward, eps=eps,
                depth=d, leaves=leaves)
    return HardMDP(P, R, H, init, info=info)
