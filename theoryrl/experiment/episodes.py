"""Episode simulation and exact per-episode evaluation for one seed."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from .._validation import ATOL
from ..agents.base import Agent, Mixture, Trajectory
from ..models.tabular import TabularMDP
from ..planning import _kernels as plan_kernels
from ..planning.episodic import as_stages
from . import _kernels

__all__ = ["EpisodeSimulator", "episode_callback", "run_episodes"]

_progress_hook: ContextVar[Callable[[int], None] | None] = ContextVar("_progress_hook",
                                                                      default=None)


@contextmanager
def episode_callback(fn: Callable[[int], None]) -> Iterator[None]:
    """Call ``fn(n)`` after every ``n`` episodes (or steps, for average-reward runs)
    simulated in this context, in this thread; for progress displays.

    Parameters
    ----------
    fn : callable
        Receives the number of episodes or steps just completed.
    """
    token = _progress_hook.set(fn)
    try:
        yield
    finally:
        _progress_hook.reset(token)


class EpisodeSimulator:
    """Samples episodes of an episodic :class:`TabularMDP` and evaluates policies exactly.

    Cumulative kernels are built once; each episode draws ``H + 1`` uniforms
    (``2H + 1`` for stochastic policies) from the caller's generator, so the
    same generator state gives the same trajectory on every machine.

    Parameters
    ----------
    mdp : TabularMDP
        An episodic model (``criterion == "episodic"``) with horizon ``H``,
        ``S`` states and ``A`` actions; stationary or stage-dependent ``P``
        and ``R``.

    Raises
    ------
    ValueError
        If ``mdp`` is not episodic.
    """

    def __init__(self, mdp: TabularMDP) -> None:
        if mdp.criterion != "episodic":
            raise ValueError(f"mdp must be episodic (horizon=H), got {mdp.criterion}")
        self.mdp = mdp
        self.H, self.S, self.A = mdp.horizon, mdp.n_states, mdp.n_actions
        self.P4 = as_stages(mdp.P, 3)
        self.R3 = as_stages(mdp.R, 2)
        self.Pcum = np.cumsum(self.P4, axis=-1)
        self.init_cum = np.cumsum(mdp.init)
        self.init = np.asarray(mdp.init)
        self._V = np.zeros((self.H + 1, self.S))
        # the deterministic policy whose values self._V holds (-1: none yet)
        self._prev = np.full((self.H, self.S), -1, dtype=np.int64)
        self._u = np.empty(self.H + 1)
        self._u2 = np.empty(2 * self.H + 1)

    def check(self, pi) -> np.ndarray:
        """Fast validation of a policy array handed by an agent."""
        if isinstance(pi, np.ndarray) and pi.dtype == np.int64 and pi.shape == (self.H, self.S):
            if not _kernels.actions_in_range(pi, self.A):
                return self.mdp.check_policy(pi)  # raises with the offending index
            return pi
        if (isinstance(pi, np.ndarray) and pi.dtype == np.float64
                and pi.shape == (self.H, self.S, self.A) and pi.flags.c_contiguous
                and _kernels.rows_are_distributions(pi, ATOL)):
            return pi
        return self.mdp.check_policy(pi)  # converts, broadcasts, or raises with the index

    def value(self, pi: np.ndarray) -> float:
        r"""Exact ``init @ V^pi_0`` of a validated policy.

        A deterministic policy is evaluated incrementally: only the stages at
        or before the last one where it differs from the previously evaluated
        policy are recomputed (:math:`V^\pi_h` depends on
        :math:`\pi_h, \dots, \pi_{H-1}` only), with the same arithmetic, so
        the value is bit-identical to a full evaluation.
        """
        V = self._V
        if pi.ndim == 2:
            plan_kernels.evaluate_deterministic_update(self.P4, self.R3, pi, self._prev, V)
        else:
            self._prev.fill(-1)  # V no longer holds a deterministic policy's values (all stages)
            plan_kernels.evaluate_stochastic(self.P4, self.R3, pi, V)
        return float(self.init @ V[0])

    def sample(self, pi: np.ndarray, rng: np.random.Generator, component: int = -1) -> Trajectory:
        """One episode under the validated policy ``pi``."""
        H = self.H
        states = np.empty(H + 1, dtype=np.int64)
        actions = np.empty(H, dtype=np.int64)
        rewards = np.empty(H)
        if pi.ndim == 2:
            _kernels.simulate_deterministic(self.Pcum, self.R3, self.init_cum, pi,
                                            rng.random(out=self._u), states, actions, rewards)
        else:
            _kernels.simulate_stochastic(self.Pcum, self.R3, self.init_cum, pi,
                                         rng.random(out=self._u2), states, actions, rewards)
        return Trajectory(states, actions, rewards, component)


def run_episodes(agent: Agent, mdp: TabularMDP, episodes: int, seed_seq: np.random.SeedSequence,
                 ) -> dict[str, np.ndarray]:
    """Run a fresh copy of ``agent`` for ``episodes`` episodes under one seed.

    Each episode the agent hands a policy (or a :class:`Mixture` of policies),
    one trajectory is sampled from ``mdp`` and passed to ``agent.update``, and
    the policy played is evaluated exactly (:meth:`EpisodeSimulator.value`).

    Parameters
    ----------
    agent : Agent
        The learner; it is deep-copied, so the caller's instance is left
        untouched, and the copy is ``reset`` with its own generator.
    mdp : TabularMDP
        The true episodic model.
    episodes : int
        Number of episodes ``K``.
    seed_seq : numpy.random.SeedSequence
        Seed of this run; spawns two children, the environment's generator
        (trajectories and mixture draws) and the agent's, so the agent's own
        randomness never shifts the environment's numbers.

    Returns
    -------
    dict of str to ndarray
        Per-episode arrays of shape ``(K,)``: ``values`` (exact value
        ``init @ V^pi_0`` of the policy played; for a :class:`Mixture`, of the
        realised component), ``mixture_values`` (exact value of the episode's
        randomised policy, the weighted mean over its components; equals
        ``values`` for a plain policy) and one array per key of
        ``agent.info()`` (``nan`` in episodes where the key was absent).
    """
    env_seq, agent_seq = seed_seq.spawn(2)
    env_rng = np.random.default_rng(env_seq)
    agent = copy.deepcopy(agent)
    agent.reset(np.random.default_rng(agent_seq))
    sim = EpisodeSimulator(mdp)
    values = np.empty(episodes)
    mix_values = np.empty(episodes)
    extras: dict[str, np.ndarray] = {}
    hook = _progress_hook.get()
    for k in range(episodes):
        plan = agent.policy()
        if isinstance(plan, Mixture):
            pols = [sim.check(p) for p in plan.policies]
            vals = [sim.value(p) for p in pols]
            j = int(min(np.searchsorted(np.cumsum(plan.weights), env_rng.random(),
                                        side="right"), len(pols) - 1))
            traj = sim.sample(pols[j], env_rng, j)
            values[k] = vals[j]
            mix_values[k] = float(np.dot(plan.weights, vals))
        else:
            pi = sim.check(plan)
            traj = sim.sample(pi, env_rng)
            values[k] = mix_values[k] = sim.value(pi)
        agent.update(traj)
        for name, x in agent.info().items():
            if name not in extras:
                extras[name] = np.full(episodes, np.nan)
            extras[name][k] = x
        if hook is not None:
            hook(1)
    return {"values": values, "mixture_values": mix_values, **extras}
