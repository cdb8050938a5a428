"""``run()``: the seeded multi-seed experiment driver."""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_int
from ..agents.check import check_agent_fits
from ..agents.umt_psr import MultiTaskAgent
from ..models.linear_mixture import LinearMixtureMDP
from ..models.shared_specific import TaskLaws
from ..models.tabular import MDPSpec
from .average import run_steps
from .batched import compiled_run_of, run_compiled
from .episodes import run_episodes
from .pomdp_driver import run_pomdp
from .result import Result
from .seeding import map_seeds, resolve_base_seed, seed_sequences

__all__ = ["check_agent_fits", "map_seeds", "run", "seed_sequences"]

def run(agent: Any, mdp: Any, episodes: int | None = None, seeds: int | Sequence[int] = 1,
        *, steps: int | None = None, n_jobs: int = 1, backend: str | None = None,
        base_seed: int | None = 0, progress: bool | None = None, **kwargs: Any) -> Result:
    """Run ``agent`` on ``mdp`` for every seed and measure everything exactly.

    Parameters
    ----------
    agent : Agent, AverageAgent or MultiTaskAgent
        Describes the experiment; every seed runs a fresh deep copy, reset
        with its own generator.
    mdp : TabularMDP, LinearMixtureMDP or TaskLaws
        The true model (episodic for ``episodes=``, average reward for ``steps=``,
        the task laws for a multi-task agent, which runs until it stops).
    episodes : int
        Episodes per seed (episodic agents).
    seeds : int or sequence of int
        Number of runs (ids 0..N-1) or distinct explicit run ids.
    steps : int, optional
        Steps per seed, for average-reward agents (see
        :mod:`theoryrl.experiment.average`).
    n_jobs : int
        Parallel workers; results are bit-identical for any value. Threads of one
        compiled loop for an agent with a compiled run (UCBVI) and no ``backend``
        (:mod:`theoryrl.experiment.batched`); joblib workers otherwise.
    backend : str, optional
        joblib backend (``"loky"`` default, ``"threading"``, ``"dask"`` inside a
        ``dask.distributed.Client``, ``"ray"``...); giving one always runs the
        seeds through joblib, episode by episode in Python.
    base_seed : int or None
        Root of every run's ``SeedSequence``; ``None`` draws fresh entropy, recorded
        in ``meta["base_seed"]`` so the run can be reproduced.
    progress : bool, optional
        Rich progress bar; default on when stderr is a terminal.
    **kwargs
        Passed on: ``checkpoints``, ``monitor`` for average-reward runs
        (:func:`theoryrl.experiment.average.run_steps`); ``max_iterations``,
        ``truth`` for multi-task runs (:func:`theoryrl.experiment.pomdp_driver.run_pomdp`).

    Returns
    -------
    Result
        For a multi-task agent, ``x`` are the task ids, ``values[:, n]`` the exact
        value of the output policy of task ``n``, ``regret[:, n]`` its gap to the
        optimum (not cumulative), ``extras`` ``optimal_values``, ``samples_per_task``,
        ``iterations``, ``stopped`` (per task), ``optimal_value`` the mean optimum.

    Raises
    ------
    ValueError
        The agent was built for another model (:func:`check_agent_fits`), or bad
        arguments (each named).
    """
    if isinstance(agent, MultiTaskAgent):
        if episodes is not None or steps is not None:
            raise ValueError("a multi-task agent runs until it stops: give neither episodes "
                             "nor steps")
        return _run_multitask(agent, mdp, seeds, n_jobs=n_jobs, backend=backend,
                              base_seed=base_seed, progress=progress, **kwargs)
    if (episodes is None) == (steps is None):
        raise ValueError("give exactly one of episodes (episodic) and steps (average reward)")
    if not isinstance(getattr(mdp, "spec", None), MDPSpec):
        raise TypeError(f"mdp must be a TabularMDP or LinearMixtureMDP, got "
                        f"{type(mdp).__name__}")
    if steps is None and mdp.criterion != "episodic":
        raise ValueError(f"episodes= needs an episodic mdp (horizon=H), got {mdp.criterion}")
    if steps is not None and mdp.criterion != "average":
        raise ValueError(f"steps= needs an average-reward mdp (no horizon, no gamma), "
                         f"got {mdp.criterion}")
    check_agent_fits(agent, mdp)
    base_seed = resolve_base_seed(base_seed)
    seqs = seed_sequences(seeds, base_seed)
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number or negative (joblib style), got 0")
    if steps is not None:
        res = run_steps(agent, mdp, check_int(steps, "steps", 1), seqs, n_jobs=n_jobs,
                        backend=backend, progress=progress, **kwargs)
        res.meta.update(base_seed=base_seed, seed_ids=_ids(seqs))
        return res
    if kwargs:
        raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
    K = check_int(episodes, "episodes", 1)
    # a linear mixture model is simulated and solved through the tabular model of its kernel
    exact = mdp.to_tabular() if isinstance(mdp, LinearMixtureMDP) else mdp
    t0 = time.perf_counter()
    desc = getattr(agent, "name", "run")
    if backend is None and compiled_run_of(agent) is not None:
        # whole runs in one compiled loop, seeds over n_jobs threads: no process start-up
        runs = run_compiled(agent, exact, K, seqs, n_jobs=n_jobs,
                            progress=sys.stderr.isatty() if progress is None else progress,
                            desc=desc)
    else:
        runs = map_seeds(run_episodes, [(agent, exact, K, s) for s in seqs], n_jobs=n_jobs,
                         backend=backend, progress=progress, desc=desc)
    v_star = exact.optimal_value()
    mix = np.stack([r.pop("mixture_values") for r in runs])
    comp = np.stack([r.pop("values") for r in runs])
    extras = {k: np.stack([r[k] for r in runs]) for k in runs[0]}
    if not np.array_equal(mix, comp):
        extras["component_values"] = comp
    meta = {"agent": getattr(agent, "name", type(agent).__name__),
            "params": agent.params() if hasattr(agent, "params") else {},
            "env": repr(mdp), "episodes": K, "seeds": len(seqs), "base_seed": base_seed,
            "seed_ids": _ids(seqs), "seconds": time.perf_counter() - t0, "x_label": "episode"}
    return Result(mix, np.cumsum(v_star - mix, axis=1), v_star, extras, None, meta)


def _ids(seqs: list[np.random.SeedSequence]) -> list[int]:
    # with base_seed, the run ids reproduce every run: SeedSequence(base_seed, spawn_key=(id,))
    return [int(q.spawn_key[0]) for q in seqs]


def _multitask_seed(agent: Any, laws: TaskLaws, seq: np.random.SeedSequence,
                    kwargs: dict) -> dict[str, np.ndarray]:
    r = run_pomdp(copy.deepcopy(agent), laws, None, np.random.default_rng(seq), **kwargs)
    N = r.output_values.shape[0]
    return {"values": r.output_values, "gaps": r.gaps, "optimal_values": r.optimal_values,
            "samples_per_task": np.broadcast_to(r.samples_per_task, (N,)).astype(float),
            "iterations": np.full(N, float(r.iterations)),
            "stopped": np.full(N, float(r.stopped))}


def _run_multitask(agent: MultiTaskAgent, laws: Any, seeds: int | Sequence[int], *,
                   n_jobs: int, backend: str | None, base_seed: int | None,
                   progress: bool | None, **kwargs: Any) -> Result:
    if not isinstance(laws, TaskLaws):
        raise TypeError(f"mdp must be a TaskLaws for a multi-task agent, got "
                        f"{type(laws).__name__}")
    unknown = set(kwargs) - {"max_iterations", "truth"}
    if unknown:
        raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
    for f in ("N", "O", "A", "H"):
        if getattr(agent, f) != getattr(laws, f):
            raise ValueError(f"agent.{f} ({getattr(agent, f)}) does not match mdp.{f} "
                             f"({getattr(laws, f)}): build the agent for these tasks")
    base_seed = resolve_base_seed(base_seed)
    seqs = seed_sequences(seeds, base_seed)
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number or negative (joblib style), got 0")
    t0 = time.perf_counter()
    kw = dict(kwargs, record_values=False)
    runs = map_seeds(_multitask_seed, [(agent, laws, s, kw) for s in seqs], n_jobs=n_jobs,
                     backend=backend, progress=progress, desc=getattr(agent, "name", "run"))
    values = np.stack([r.pop("values") for r in runs])
    gaps = np.stack([r.pop("gaps") for r in runs])
    extras = {k: np.stack([r[k] for r in runs]) for k in runs[0]}
    meta = {"agent": getattr(agent, "name", type(agent).__name__), "params": agent.params(),
            "env": repr(laws), "seeds": len(seqs), "base_seed": base_seed,
            "seed_ids": _ids(seqs), "seconds": time.perf_counter() - t0, "x_label": "task",
            "regret": "gap V*_n - V^{output}_n per task"}
    return Result(values, gaps, float(extras["optimal_values"].mean()), extras,
                  np.arange(values.shape[1], dtype=float), meta)
