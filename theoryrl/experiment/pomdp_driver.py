r"""Seeded driver for multi-task POMDP agents (history-dependent policy tables).

An agent (see :mod:`theoryrl.agents.umt_psr`) hands the driver, each
iteration, the tasks to play and one flat *policy tensor* per play,
:math:`\pi(\tau) = \prod_t \pi_t(a_t \mid \tau_{t-1}, o_t)` (the product form
of a history-dependent policy table; see
:func:`theoryrl.models.pomdp.policy_tensor`). The driver draws each
trajectory from the exact law :math:`P_{\theta^*_n} \cdot \pi` with the run's
own ``Generator`` (inverse CDF on the flat trajectory index,
:meth:`theoryrl.models.TaskLaws.sample`), records the exact value
:math:`\sum_\tau P_{\theta^*_n}(\tau)\pi(\tau)R_n(\tau)` of every policy
played, and hands the indices back. Multi-seed runs go through
:func:`theoryrl.experiment.run` (seeds from
:func:`theoryrl.experiment.seed_sequences`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_int, check_rng
from ..agents.base import TaskBatch
from ..models.pomdp import maxsum
from ..models.shared_specific import TaskLaws
from .seeding import seed_sequences

__all__ = ["PomdpRun", "run_pomdp", "run_pomdp_seeds"]


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


def run_pomdp(agent: Any, task_probs, rewards, rng: np.random.Generator,
              truth: Callable[[Any], bool] | None = None, max_iterations: int = 1_000_000,
              record_values: bool = True) -> PomdpRun:
    r"""Run ``agent`` until it stops, sampling from the true task laws.

    Parameters
    ----------
    agent : MultiTaskAgent
        Reset with ``rng`` here (the caller's copy is used and changed).
    task_probs : TaskLaws or array_like, shape (N, F)
        The true laws, or the flat true trajectory tensors :math:`P_{\theta^*_n}`.
    rewards : array_like, shape (N, F), optional
        Task rewards (for the exact values), when ``task_probs`` is an array.
    rng : numpy.random.Generator
        The run's sampling stream.
    truth : callable, optional
        ``truth(agent) -> bool``: whether the true model is in the agent's
        confidence set; evaluated before the first and after every update.
    max_iterations : int
        Hard cap of the driver (the agents have their own ``K_max``).
    """
    rng = check_rng(rng)
    laws = task_probs if isinstance(task_probs, TaskLaws) else \
        TaskLaws(task_probs, rewards, agent.O, agent.A, agent.H)
    max_iterations = check_int(max_iterations, "max_iterations", low=0)
    agent.reset(rng)
    covered = None if truth is None else bool(truth(agent))
    played: list[np.ndarray] = []
    PR = laws.P * laws.R
    it = 0
    # an agent may run this whole loop compiled (same uniforms, same numbers), when the
    # laws sample as TaskLaws does
    fast = getattr(agent, "_compiled_run", None)
    if fast is not None and type(laws).sample is TaskLaws.sample and not agent.done:
        out = fast(laws, rng, max_iterations, truth, covered, record_values)
        if out is not None:
            it, covered, played = out
    while not agent.done and it < max_iterations:
        tasks, pis = agent.policy()
        idx = laws.sample(tasks, pis, rng)
        if record_values:
            played.append(np.einsum("jf,jf->j", PR[tasks], pis))
        agent.update(TaskBatch(tasks, idx))
        it += 1
        if truth is not None and covered:
            covered = bool(truth(agent))
    out = agent.output_policies()
    n_out = out.shape[0]
    vals = np.einsum("nf,nf->n", PR[:n_out], out)
    opt = np.asarray(maxsum(PR[:n_out], laws.O, laws.A, laws.H).value,
                     dtype=float).reshape(n_out)
    samples = getattr(agent, "samples_per_task", None)
    if samples is None:
        samples = np.array([agent.samples])
    return PomdpRun(
        samples_per_task=np.asarray(samples).copy(), iterations=it,
        stopped=bool(agent.done and not getattr(agent, "censored", False)),
        covered=covered, output_values=vals, optimal_values=opt, gaps=opt - vals,
        played_values=played, info=agent.info() if hasattr(agent, "info") else {},
        output_models=(agent.output_models() if hasattr(agent, "output_models") else None))


def run_pomdp_seeds(make_run: Callable[[np.random.SeedSequence], PomdpRun],
                    seeds: int | Sequence[int], base_seed: int = 0) -> list[PomdpRun]:
    """Call ``make_run(seed_sequence)`` for every seed (one ``SeedSequence`` each)."""
    return [make_run(ss) for ss in seed_sequences(seeds, base_seed)]
