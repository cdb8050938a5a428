r"""Seeded driver for multi-task POMDP agents (history-dependent policy tables).

An agent (see :mod:`theoryrl.agents.umt_psr`) hands the driver, each
iteration, the tasks to play and one flat *policy tensor* per play,
:math:`\pi(\tau) = \prod_t \pi_t(a_t \mid \tau_{t-1}, o_t)` (the product form
of a history-dependent policy table; see
:func:`theoryrl.models.pomdp.policy_tensor`). The driver draws each
trajectory from the exact law :math:`P_{\theta^*_n} \cdot \pi` with the run's
own ``Generator`` (inverse CDF on the flat trajectory index), records the
exact value :math:`\sum_\tau P_{\theta^*_n}(\tau)\pi(\tau)R_n(\tau)` of every
policy played, and hands the indices back. Randomness: one
``SeedSequence(base_seed, spawn_key=(i,))`` per seed ``i``, as in
:func:`theoryrl.experiment.seed_sequences` [D].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import as_float_array, check_int
from ..models.pomdp import maxsum

__all__ = ["PomdpRun", "pomdp_seed_sequences", "run_pomdp", "run_pomdp_seeds"]


@dataclass
class PomdpRun:
    """One seeded run of a multi-task POMDP agent.

    Attributes
    ----------
    samples_per_task : ndarray (N,)
        Trajectories collected per task.
    iterations : int
        Iterations (rounds of ``policies``/``update``).
    stopped : bool
        Whether the agent's stopping rule fired (not censored by its cap).
    covered : bool or None
        Whether the true model stayed in the confidence set at every
        iteration (``None`` when no ``truth`` was given).
    output_values, optimal_values, gaps : ndarray (N,)
        Exact values of the output policies, the optimal values, their gaps.
    played_values : list of ndarray
        Exact value of every policy played, per iteration.
    info : dict
        The agent's last ``info()``.
    """

    samples_per_task: np.ndarray
    iterations: int
    stopped: bool
    covered: bool | None
    output_values: np.ndarray
    optimal_values: np.ndarray
    gaps: np.ndarray
    played_values: list = field(default_factory=list)
    info: dict = field(default_factory=dict)
    output_models: np.ndarray | None = None


def pomdp_seed_sequences(seeds: int | Sequence[int],
                         base_seed: int = 0) -> list[np.random.SeedSequence]:
    """One ``SeedSequence(base_seed, spawn_key=(i,))`` per seed index ``i``."""
    ids = range(seeds) if isinstance(seeds, int) else seeds
    return [np.random.SeedSequence(base_seed, spawn_key=(int(i),)) for i in ids]


def run_pomdp(agent: Any, task_probs, rewards, rng: np.random.Generator,
              truth: Callable[[Any], bool] | None = None, max_iterations: int = 1_000_000,
              record_values: bool = True) -> PomdpRun:
    r"""Run ``agent`` until it stops, sampling from the true task laws.

    Parameters
    ----------
    agent
        A multi-task agent (``reset``, ``done``, ``policies``, ``update``,
        ``samples_per_task``/``samples``, ``output_policies``).
    task_probs : array_like, shape (N, F)
        Flat true trajectory tensors :math:`P_{\theta^*_n}`.
    rewards : array_like, shape (N, F)
        Task rewards (for the exact values).
    rng : numpy.random.Generator
        The run's sampling stream.
    truth : callable, optional
        ``truth(agent) -> bool``: whether the true model is in the agent's
        confidence set; evaluated before the first and after every update.
    max_iterations : int
        Hard cap of the driver (the agents have their own ``K_max``).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    P = as_float_array(task_probs, "task_probs")
    R = as_float_array(rewards, "rewards")
    if P.ndim != 2 or R.shape != P.shape:
        raise ValueError(f"task_probs and rewards must both have shape (N, F), got "
                         f"{P.shape} and {R.shape}")
    max_iterations = check_int(max_iterations, "max_iterations", low=0)
    agent.reset(rng)
    covered = None if truth is None else bool(truth(agent))
    played: list[np.ndarray] = []
    PR = P * R
    it = 0
    while not agent.done and it < max_iterations:
        tasks, pis = agent.policies()
        w = P[tasks] * pis
        cdf = np.cumsum(w, axis=1)
        u = rng.random(len(tasks)) * cdf[:, -1]
        idx = (cdf < u[:, None]).sum(axis=1)
        idx = np.minimum(idx, P.shape[1] - 1)
        if record_values:
            played.append(np.einsum("jf,jf->j", PR[tasks], pis))
        agent.update(tasks, idx)
        it += 1
        if truth is not None and covered:
            covered = bool(truth(agent))
    out = agent.output_policies()
    n_out = out.shape[0]
    vals = np.einsum("nf,nf->n", PR[:n_out], out)
    opt = np.asarray(maxsum(PR[:n_out], *_oah(agent)).value, dtype=float).reshape(n_out)
    samples = getattr(agent, "samples_per_task", None)
    if samples is None:
        samples = np.array([agent.samples])
    return PomdpRun(
        samples_per_task=np.asarray(samples).copy(), iterations=it,
        stopped=bool(agent.done and not getattr(agent, "censored", False)),
        covered=covered, output_values=vals, optimal_values=opt, gaps=opt - vals,
        played_values=played, info=agent.info() if hasattr(agent, "info") else {},
        output_models=(agent.output_models() if hasattr(agent, "output_models") else None))


def _oah(agent: Any) -> tuple[int, int, int]:
    c = getattr(agent, "cls", agent)
    return c.O, c.A, c.H


def run_pomdp_seeds(make_run: Callable[[np.random.SeedSequence], PomdpRun],
                    seeds: int | Sequence[int], base_seed: int = 0) -> list[PomdpRun]:
    """Call ``make_run(seed_sequence)`` for every seed (one ``SeedSequence`` each)."""
    return [make_run(ss) for ss in pomdp_seed_sequences(seeds, base_seed)]
