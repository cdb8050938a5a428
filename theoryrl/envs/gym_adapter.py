"""A Gymnasium view of a :class:`~theoryrl.models.TabularMDP` (optional dependency).

``gymnasium`` is imported when :func:`to_gymnasium` is first called, never by
``import theoryrl``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..models.tabular import TabularMDP

__all__ = ["to_gymnasium"]


@functools.cache
def _env_class() -> type:
    try:
        import gymnasium as gym
        from gymnasium import spaces
    except ImportError as e:  # pragma: no cover - exercised only without gymnasium
        raise ImportError("to_gymnasium needs gymnasium: pip install 'theoryrl[gym]'") from e

    class TabularEnv(gym.Env):
        r"""Gymnasium environment sampling an exact tabular MDP.

        Observations and actions are :class:`gymnasium.spaces.Discrete`.
        ``reset(seed=...)`` seeds ``self.np_random`` (Gymnasium's convention)
        and draws :math:`s_0 \sim` ``init``; ``step(a)`` draws
        :math:`s' \sim P_h(\cdot \mid s, a)` from the same generator and pays
        the mean reward :math:`R_h(s, a)`. Episodic MDPs truncate after
        ``horizon`` steps (``truncated=True``, never ``terminated``: a finite
        horizon is a time limit, not a terminal state); discounted and
        average-reward MDPs never end (wrap them in ``TimeLimit``).
        ``info`` carries the stage ``h`` of the next decision.
        """

        metadata: dict[str, Any] = {"render_modes": []}

        def __init__(self, mdp: TabularMDP) -> None:
            if not isinstance(mdp, TabularMDP):
                raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
            self.mdp = mdp
            self.observation_space = spaces.Discrete(mdp.n_states)
            self.action_space = spaces.Discrete(mdp.n_actions)
            self.horizon = mdp.horizon
            P = mdp.P if mdp.P.ndim == 4 else mdp.P[None]
            self._Pcum = np.cumsum(P, axis=-1)
            self._R = mdp.R if mdp.R.ndim == 3 else mdp.R[None]
            self._init_cum = np.cumsum(mdp.init)
            self._s: int | None = None
            self._h = 0

        @staticmethod
        def _draw(cdf: np.ndarray, u: float) -> int:
            return int(min(np.searchsorted(cdf, u, side="right"), cdf.size - 1))

        def reset(self, *, seed: int | None = None,
                  options: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
            super().reset(seed=seed)
            self._s = self._draw(self._init_cum, self.np_random.random())
            self._h = 0
            return self._s, {"h": 0}

        def step(self, action: Any) -> tuple[int, float, bool, bool, dict[str, Any]]:
            if self._s is None:
                raise RuntimeError("call reset() before step()")
            if not self.action_space.contains(action):
                raise ValueError(f"action must be an int in [0, {self.action_space.n}), "
                                 f"got {action!r}")
            a, s, h = int(action), self._s, self._h
            r = float(self._R[h % self._R.shape[0], s, a])
            self._s = self._draw(self._Pcum[h % self._Pcum.shape[0], s, a],
                                 self.np_random.random())
            self._h = h + 1
            truncated = self.horizon is not None and self._h >= self.horizon
            obs = self._s
            if truncated:
                self._s = None  # the episode is over: reset() before the next step
            return obs, r, False, truncated, {"h": self._h}

    TabularEnv.__module__ = __name__
    TabularEnv.__qualname__ = "TabularEnv"
    return TabularEnv


def __getattr__(name: str) -> Any:
    # lets pickle find the lazily built class as theoryrl.envs.gym_adapter.TabularEnv
    if name == "TabularEnv":
        return _env_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_gymnasium(mdp: TabularMDP) -> Any:
    """The :class:`gymnasium.Env` that samples ``mdp`` (see ``TabularEnv``).

    Parameters
    ----------
    mdp : TabularMDP
        Episodic, discounted or average-reward model.

    Returns
    -------
    gymnasium.Env
        An environment with discrete observations and actions.

    Examples
    --------
    >>> from theoryrl.envs import riverswim
    >>> env = to_gymnasium(riverswim(4, horizon=3))
    >>> obs, info = env.reset(seed=0)
    >>> obs, info["h"]
    (0, 0)
    """
    return _env_class()(mdp)
