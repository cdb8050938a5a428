"""``run()``: the seeded multi-seed experiment driver."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_int
from ..models.tabular import MDPSpec
from .average import run_steps
from .episodes import run_episodes
from .result import Result
from .seeding import map_seeds, resolve_base_seed, seed_sequences

__all__ = ["check_agent_fits", "map_seeds", "run", "seed_sequences"]

_SPEC_FIELDS = ("n_states", "n_actions", "horizon", "gamma")


def check_agent_fits(agent: Any, mdp: Any) -> None:
    """Raise unless ``agent`` was built for ``mdp``: same sizes ``S``, ``A``, horizon
    ``H``, discount, rewards ``R`` and initial distribution.

    Parameters
    ----------
    agent : Agent or AverageAgent
        Built from a spec (``agent.spec``).
    mdp : TabularMDP or LinearMixtureMDP

    Raises
    ------
    TypeError
        ``mdp`` is not a model with a ``spec``, or ``agent`` has no ``spec``.
    ValueError
        A field of ``agent.spec`` differs from ``mdp.spec`` (the message names it).
    """
    want = getattr(mdp, "spec", None)
    if not isinstance(want, MDPSpec):
        raise TypeError(f"mdp must be a TabularMDP or LinearMixtureMDP, got "
                        f"{type(mdp).__name__}")
    have = getattr(agent, "spec", None)
    if not isinstance(have, MDPSpec):
        raise TypeError(f"agent must be an agent built from mdp.spec, got "
                        f"{type(agent).__name__} without a spec")
    if have is want:
        return
    for f in _SPEC_FIELDS:
        a, b = getattr(have, f), getattr(want, f)
        if a != b:
            raise ValueError(f"agent.spec.{f} ({a}) does not match mdp.spec.{f} ({b}): "
                             f"build the agent from mdp.spec")
    for f in ("R", "init"):
        a, b = np.asarray(getattr(have, f)), np.asarray(getattr(want, f))
        if a.shape != b.shape or not np.array_equal(a, b):
            raise ValueError(f"agent.spec.{f} does not match mdp.spec.{f}: build the agent "
                             f"from mdp.spec")


def run(agent: Any, mdp: Any, episodes: int | None = None, seeds: int | Sequence[int] = 1,
        *, steps: int | None = None, n_jobs: int = 1, backend: str | None = None,
        base_seed: int | None = 0, progress: bool | None = None, **kwargs: Any) -> Result:
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
        Number of runs (ids 0..N-1) or distinct explicit run ids.
    steps : int, optional
        Steps per seed, for average-reward agents (see
        :mod:`theoryrl.experiment.average`).
    n_jobs : int
        joblib workers; results are bit-identical for any value.
    backend : str, optional
        joblib backend (``"loky"`` default, ``"threading"``, ``"dask"`` inside a
        ``dask.distributed.Client``, ``"ray"``...).
    base_seed : int or None
        Root of every run's ``SeedSequence``; ``None`` draws fresh entropy, recorded
        in ``meta["base_seed"]`` so the run can be reproduced.
    progress : bool, optional
        Rich progress bar; default on when stderr is a terminal.

    Returns
    -------
    Result

    Raises
    ------
    ValueError
        The agent was built for another model (:func:`check_agent_fits`), or bad
        arguments (each named).
    """
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
        res.meta["base_seed"] = base_seed
        return res
    if kwargs:
        raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
    K = check_int(episodes, "episodes", 1)
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
