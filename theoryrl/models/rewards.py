r"""Reward ranges: what learners assume, and the affine map onto it.

The exact solvers take any finite rewards (and ``-inf`` for an infeasible
action). The regret and sample-complexity guarantees of the learning agents
assume bounded rewards, almost always :math:`R \in [0, 1]`; each agent checks
its range when it is built (:func:`check_reward_range`). A model with other
rewards is learned after the affine map of :func:`rescale_rewards`, which
keeps the dynamics and the optimal policies.
"""

from __future__ import annotations

import numpy as np

from .tabular import MDPSpec, TabularMDP

__all__ = ["check_reward_range", "rescale_rewards"]


def check_reward_range(spec: MDPSpec, low: float = 0.0, high: float = 1.0,
                       who: str = "this agent") -> None:
    """Raise if the rewards of ``spec`` leave ``[low, high]`` or an action is infeasible.

    Parameters
    ----------
    spec : MDPSpec
        What the learner is given (``mdp.spec``).
    low, high : float
        The reward range the learner's guarantee assumes.
    who : str
        The learner's name, for the message.

    Raises
    ------
    ValueError
        Naming the first offending entry and pointing to :func:`rescale_rewards`.
    """
    R = np.asarray(spec.R)
    if np.isneginf(R).any():
        i = [int(j) for j in np.argwhere(np.isneginf(R))[0]]
        raise ValueError(f"{who} needs every action feasible, but spec.R{i} = -inf marks an "
                         "infeasible action; learn on a model without it")
    bad = (R < low) | (R > high)
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise ValueError(
            f"{who} assumes rewards in [{low:g}, {high:g}] (its guarantee does), but "
            f"spec.R{list(i)} = {R[i]:.6g}; map the model onto that range with "
            "theoryrl.models.rescale_rewards(mdp) (regret scales by the range's width)")


def rescale_rewards(mdp: TabularMDP, low: float | None = None,
                    high: float | None = None) -> TabularMDP:
    r"""The same MDP with rewards mapped affinely onto [0, 1].

    :math:`R' = (R - \ell) / (u - \ell)` with :math:`\ell` = ``low`` and
    :math:`u` = ``high`` (by default the smallest and largest reward). The
    dynamics, the criterion and ``init`` are unchanged, so the optimal
    policies are the same and every value maps back affinely:
    :math:`V = (u - \ell) V' + \ell\,(H - h)` at stage :math:`h` of an episodic
    model, :math:`V = (u - \ell) V' + \ell / (1 - \gamma)` for a discounted one,
    :math:`g = (u - \ell) g' + \ell` for a gain. Regret on the original model
    is :math:`(u - \ell)` times regret on the rescaled one.

    Parameters
    ----------
    mdp : TabularMDP
        A model whose actions are all feasible.
    low, high : float, optional
        The range to map onto [0, 1]; must contain every reward and satisfy
        ``low < high``. Default: the rewards' minimum and maximum.

    Returns
    -------
    TabularMDP
        A new model with the same ``P``, criterion and ``init`` and rewards
        :math:`(R - \ell) / (u - \ell)` in [0, 1] (all 0 when every reward is
        the same and no range is given).

    Raises
    ------
    ValueError
        For an infeasible action (a learner cannot be kept off it), rewards
        outside ``[low, high]``, or an empty range.

    Examples
    --------
    >>> import numpy as np
    >>> from theoryrl.models import TabularMDP
    >>> mdp = TabularMDP(np.full((2, 2, 2), 0.5), [[4.0, -1.0], [0.0, 1.5]], gamma=0.9)
    >>> rescale_rewards(mdp).R
    array([[1. , 0. ],
           [0.2, 0.5]])
    """
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    if not mdp.feasible.all():
        i = [int(j) for j in np.argwhere(~mdp.feasible)[0]]
        raise ValueError(f"mdp has an infeasible action at {i}; a learner cannot be kept "
                         "off it, so rescale a model whose actions are all feasible")
    R = mdp.R
    lo = float(R.min()) if low is None else float(low)
    hi = float(R.max()) if high is None else float(high)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"low and high must be finite, got low={lo}, high={hi}")
    if (low is not None or high is not None) and not lo < hi:
        raise ValueError(f"low must be < high, got low={lo:.6g}, high={hi:.6g}")
    if R.min() < lo or R.max() > hi:
        raise ValueError(f"rewards span [{R.min():.6g}, {R.max():.6g}], outside "
                         f"[low, high] = [{lo:.6g}, {hi:.6g}]")
    if not lo < hi:
        # a single reward value: every policy is optimal, and any map onto [0, 1] will do
        hi = lo + 1.0
    return TabularMDP(mdp.P, (R - lo) / (hi - lo), horizon=mdp.horizon, gamma=mdp.gamma,
                      init=mdp.init)
