"""Gymnasium both ways (optional dependency).

:func:`to_gymnasium` wraps a :class:`~theoryrl.models.TabularMDP` as a
:class:`gymnasium.Env`; :func:`register_gymnasium` registers our named
instances, so ``gymnasium.make("theoryrl/RiverSwim-v0")`` works;
:func:`from_gymnasium` reads the exact model of a toy-text environment
(FrozenLake, Taxi, CliffWalking) from its transition table ``P``.
``gymnasium`` is imported only when one of them is called, never by
``import theoryrl``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..models.tabular import TabularMDP

__all__ = ["from_gymnasium", "register_gymnasium", "to_gymnasium"]


@functools.cache
def _env_class() -> type:
    try:
        import gymnasium as gym
        from gymnasium import spaces
    except ImportError as e:  # pragma: no cover - exercised only without gymnasium
        raise ImportError("to_gymnasium needs gymnasium: pip install 'theoryrl[gym]'") from e
    return _build_env_class(gym, spaces)


def _build_env_class(gym: Any, spaces: Any) -> type:

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
            if r == -np.inf:
                raise ValueError(f"action {a} is infeasible in state {s} (stage {h})")
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


#: Named instances registered with Gymnasium: id -> (factory name, default kwargs).
GYMNASIUM_IDS: dict[str, tuple[str, dict[str, Any]]] = {
    "theoryrl/RiverSwim-v0": ("riverswim", {"n_states": 6, "horizon": 20}),
    "theoryrl/Chain-v0": ("chain", {"n_states": 5, "horizon": 10}),
    "theoryrl/GridWorld-v0": ("gridworld", {"n_rows": 4, "n_cols": 4, "horizon": 20}),
    "theoryrl/RandomMDP-v0": ("random_mdp", {"n_states": 10, "n_actions": 3, "horizon": 10,
                                             "seed": 0}),
}


def make_env(factory: str, **kwargs: Any) -> Any:
    """Gymnasium entry point: ``to_gymnasium(theoryrl.envs.<factory>(**kwargs))``."""
    from .. import envs

    return to_gymnasium(getattr(envs, factory)(**kwargs))


def register_gymnasium() -> list[str]:
    """Register our named instances with Gymnasium.

    After it, ``gymnasium.make("theoryrl/RiverSwim-v0")`` builds
    ``to_gymnasium(riverswim(6, horizon=20))``; keyword arguments of
    ``make`` reach the factory (``gymnasium.make("theoryrl/RiverSwim-v0",
    n_states=10, horizon=50)``). Without calling it first, name the module in
    the id: ``gymnasium.make("theoryrl.envs.gym_registry:theoryrl/RiverSwim-v0")``.
    Calling it again does nothing. Episodic instances end by truncation after
    ``horizon`` steps, so Gymnasium's own ``TimeLimit`` is not added.

    Returns
    -------
    list of str
        The ids of the instances, e.g. ``"theoryrl/RiverSwim-v0"``, whether
        registered by this call or an earlier one.

    Raises
    ------
    ImportError
        If Gymnasium is not installed.

    Examples
    --------
    >>> import gymnasium
    >>> "theoryrl/RiverSwim-v0" in register_gymnasium()
    True
    >>> env = gymnasium.make("theoryrl/RiverSwim-v0", n_states=4, horizon=3)
    >>> env.reset(seed=0)[0]
    0
    """
    try:
        import gymnasium as gym
    except ImportError as e:  # pragma: no cover - exercised only without gymnasium
        raise ImportError("register_gymnasium needs gymnasium: pip install 'theoryrl[gym]'") from e
    for env_id, (factory, defaults) in GYMNASIUM_IDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=f"{__name__}:make_env",
                         kwargs={"factory": factory, **defaults}, disable_env_checker=True)
    return list(GYMNASIUM_IDS)


def from_gymnasium(env: Any, horizon: int | None = None, gamma: float | None = None,
                   init: Any = None) -> TabularMDP:
    r"""The exact :class:`~theoryrl.models.TabularMDP` of a toy-text Gymnasium env.

    Reads ``env.unwrapped.P``, the transition table of FrozenLake, Taxi and
    CliffWalking: ``P[s][a]`` is a list of ``(prob, next_state, reward,
    terminated)``. Probabilities of repeated entries add up; the reward of
    :math:`(s, a)` is the mean :math:`\sum p \cdot r` over its entries (the
    expected reward is all that the value of any policy depends on). A
    transition with ``terminated=True`` leads to one added absorbing state,
    index ``S`` (after the env's ``S`` states), where every action earns 0:
    the episode is over. It is added only when some transition terminates.

    Parameters
    ----------
    env : gymnasium.Env
        An env (possibly wrapped) whose ``unwrapped`` has the table ``P``.
    horizon : int, optional
        Episode length H. With neither ``horizon`` nor ``gamma``, the env's
        time limit ``env.spec.max_episode_steps`` (100 for FrozenLake 4x4).
    gamma : float, optional
        Discount factor, for a discounted model instead.
    init : array_like, optional
        Initial distribution over the env's states (the absorbing state gets
        0); by default the env's own ``initial_state_distrib``, or all mass on
        state 0 when it has none.

    Returns
    -------
    TabularMDP
        The model with ``S + 1`` states (the env's ``S`` and the absorbing
        one) when some transition terminates, else ``S``; ``A`` actions; the
        criterion given by ``horizon`` or ``gamma``.

    Raises
    ------
    TypeError
        If the env has no transition table ``P`` or its spaces are not
        :class:`gymnasium.spaces.Discrete`.
    ValueError
        For a malformed table, or when no criterion can be found.

    Examples
    --------
    >>> import gymnasium
    >>> mdp = from_gymnasium(gymnasium.make("FrozenLake-v1"))
    >>> mdp
    TabularMDP(S=17, A=4, horizon=100)
    >>> round(mdp.optimal_value(), 4)
    0.7442
    """
    base = getattr(env, "unwrapped", env)
    table = getattr(base, "P", None)
    if not isinstance(table, dict):
        raise TypeError(f"env must have a transition table P (a dict, as the toy-text envs "
                        f"do), got {type(base).__name__} without one")
    S = _discrete_n(getattr(base, "observation_space", None), "observation_space")
    A = _discrete_n(getattr(base, "action_space", None), "action_space")
    if horizon is None and gamma is None:
        spec = getattr(env, "spec", None)
        horizon = getattr(spec, "max_episode_steps", None)
        if horizon is None:
            raise ValueError("give horizon= or gamma=: the env has no time limit "
                             "(env.spec.max_episode_steps)")
    P = np.zeros((S + 1, A, S + 1))
    R = np.zeros((S + 1, A))
    for s in range(S):
        if s not in table:
            raise ValueError(f"env.P has no entry for state {s}")
        for a in range(A):
            if a not in table[s]:
                raise ValueError(f"env.P[{s}] has no entry for action {a}")
            for entry in table[s][a]:
                if len(entry) != 4:
                    raise ValueError(f"env.P[{s}][{a}] entries must be (prob, next_state, "
                                     f"reward, terminated), got {entry!r}")
                p, nxt, r, done = entry
                nxt = int(nxt)
                if not 0 <= nxt < S:
                    raise ValueError(f"env.P[{s}][{a}] has next state {nxt} outside [0, {S})")
                P[s, a, S if done else nxt] += float(p)
                R[s, a] += float(p) * float(r)
    P[S, :, S] = 1.0
    if init is None:
        init = getattr(base, "initial_state_distrib", None)
        if init is None:
            init = np.eye(S)[0]
    init = np.asarray(init, dtype=np.float64)
    if init.shape != (S,):
        raise ValueError(f"init must have shape ({S},), got {init.shape}")
    init = np.append(init, 0.0)
    if not P[:S, :, S].any():  # nothing terminates: no absorbing state needed
        P, R, init = P[:S, :, :S], R[:S], init[:S]
    return TabularMDP(P, R, horizon=horizon, gamma=gamma, init=init)


def _discrete_n(space: Any, name: str) -> int:
    n = getattr(space, "n", None)
    if n is None or type(space).__name__ != "Discrete":
        raise TypeError(f"env.{name} must be gymnasium.spaces.Discrete, got "
                        f"{type(space).__name__}")
    if int(getattr(space, "start", 0)) != 0:
        raise ValueError(f"env.{name} must start at 0, got start={space.start}")
    return int(n)
