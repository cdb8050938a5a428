"""``run()``: the seeded multi-seed experiment driver."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np

from .._validation import check_int
from .episodes import run_episodes
from .result import Result

__all__ = ["run", "seed_sequences"]


def seed_sequences(seeds: int | Sequence[int], base_seed: int = 0) -> list[np.random.SeedSequence]:
    """One independent ``SeedSequence`` per run: ``SeedSequence(base_seed, spawn_key=(i,))``.

    A run's numbers depend only on ``(base_seed, i)``, never on the number of
    workers or the order in which runs finish.
    """
    ids = range(check_int(seeds, "seeds", 1)) if isinstance(seeds, (int, np.integer)) \
        else [check_int(s, "seeds[i]", 0) for s in seeds]
    return [np.random.SeedSequence(base_seed, spawn_key=(int(i),)) for i in ids]


def run(agent: Any, mdp: Any, episodes: int | None = None, seeds: int | Sequence[int] = 1,
        *, steps: int | None = None, n_jobs: int = 1, backend: str | None = None,
        base_seed: int = 0, progress: bool | None = None, **kwargs: Any) -> Result:
    """Run ``agent`` on ``mdp`` for every seed and measure everything exactly.

    Parameters
    ----------
    agent : Agent
        Describes the experiment; every seed runs a fresh deep copy, reset
        with its own generator.
    mdp : TabularMDP
        The true model (episodic for ``episodes=``, average reward for ``steps=``).
    episodes : int
        Episodes per seed (episodic agents).
    seeds : int or sequence of int
        Number of runs (ids 0..N-1) or explicit run ids.
    steps : int, optional
        Steps per seed, for average-reward agents (see
        :mod:`theoryrl.experiment.average`).
    n_jobs : int
        joblib workers; results are bit-identical for any value.
    backend : str, optional
        joblib backend (``"loky"`` default, ``"threading"``, ``"dask"`` inside a
        ``dask.distributed.Client``, ``"ray"``...).
    base_seed : int
        Root of every run's ``SeedSequence``.
    progress : bool, optional
        Rich progress bar; default on when stderr is a terminal.

    Returns
    -------
    Result
    """
    if (episodes is None) == (steps is None):
        raise ValueError("give exactly one of episodes (episodic) and steps (average reward)")
    seqs = seed_sequences(seeds, base_seed)
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number or negative (joblib style), got 0")
    if steps is not None:
        from .average import run_steps  # average-reward driver (LOOP / UCRL2 family)

        return run_steps(agent, mdp, check_int(steps, "steps", 1), seqs, n_jobs=n_jobs,
                         backend=backend, progress=progress, **kwargs)
    if kwargs:
        raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
    K = check_int(episodes, "episodes", 1)
    if mdp.criterion != "episodic":
        raise ValueError(f"episodes= needs an episodic mdp (horizon=H), got {mdp.criterion}")
    t0 = time.perf_counter()
    runs = map_seeds(run_episodes, [(agent, mdp, K, s) for s in seqs], n_jobs=n_jobs,
                     backend=backend, progress=progress, desc=getattr(agent, "name", "run"))
    v_star = mdp.optimal_value()
    mix = np.stack([r.pop("mixture_values") for r in runs])
    comp = np.stack([r.pop("values") for r in runs])
    extras = {k: np.stack([r[k] for r in runs]) for k in runs[0]}
    if not np.array_equal(mix, comp):
        extras["component_values"] = comp
    meta = {"agent": getattr(agent, "name", type(agent).__name__),
            "params": agent.params() if hasattr(agent, "params") else {},
            "env": repr(mdp), "episodes": K, "seeds": len(seqs), "base_seed": base_seed,
            "seconds": time.perf_counter() - t0, "x_label": "episode"}
    return Result(mix, np.cumsum(v_star - mix, axis=1), v_star, extras, None, meta)


def map_seeds(fn, arglist: list[tuple], *, n_jobs: int = 1, backend: str | None = None,
              progress: bool | None = None, desc: str = "run") -> list:
    """``[fn(*args) for args in arglist]``, through joblib when ``n_jobs != 1``,
    with a rich progress bar when asked (default: stderr is a terminal)."""
    if progress is None:
        progress = sys.stderr.isatty()
    if n_jobs == 1 and backend is None:
        return _collect((fn(*a) for a in arglist), progress, desc, len(arglist))
    from joblib import Parallel, delayed, parallel_config

    # parallel_config registers external back-ends ("dask", "ray") on first use;
    # Parallel(backend="dask") alone does not (joblib >= 1.3)
    with parallel_config(backend=backend) if backend is not None else nullcontext():
        par = Parallel(n_jobs=n_jobs, return_as="generator")
        return _collect(par(delayed(fn)(*a) for a in arglist), progress, desc, len(arglist))


def _collect(it, progress: bool, desc: str, total: int) -> list:
    if not progress:
        return list(it)
    from rich.progress import Progress

    out = []
    with Progress(transient=True) as bar:
        task = bar.add_task(desc, total=total)
        for r in it:
            out.append(r)
            bar.advance(task)
    return out
