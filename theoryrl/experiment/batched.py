"""Whole runs in compiled code: every episode of every seed in one call, seeds over threads.

An agent whose ``compiled_run()`` returns a :class:`~theoryrl.agents.base.CompiledRun`
(UCBVI and its subclasses that keep its methods) is run by a kernel that plays
all K episodes of a seed with no Python call per episode: plan, simulate with
the seed's uniforms, evaluate the played policy exactly, update the counts. The
seeds run in one compiled loop (``numba.prange``) over ``n_jobs`` threads, each
seed with its own learning state, so the numbers do not depend on ``n_jobs``,
and they are those of :func:`~theoryrl.experiment.episodes.run_episodes`, bit
for bit: the uniforms are the same stream (``K * (H + 1)`` draws from the
seed's environment generator, in episode order), the kernel repeats the
arithmetic of the Python episode loop, and the products with the initial law
are taken by NumPy as there.

:func:`theoryrl.experiment.run` takes this path by itself when no joblib
``backend`` is given (see ``docs/experiments.md``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numba
import numpy as np

from ..agents import _ucbvi_kernels
from ..agents.base import CompiledRun
from ..models.tabular import TabularMDP
from .episodes import EpisodeSimulator, _progress_hook
from .seeding import _collect

__all__ = ["KERNELS", "MIRRORED", "compiled_run_of", "run_compiled", "thread_count"]

#: The agent methods a whole-run kernel reproduces; overriding any of them opts out.
MIRRORED = ("reset", "plan", "policy", "update", "info")


class _Kernel(NamedTuple):
    serial: Any  # (Pcum, P, R, init_cum, U, *args, plan_v0, played_v0), seeds in turn
    parallel: Any  # the same signature, seeds over numba's threads
    info: str  # the info() key of the plan's value init @ V_bar_0


#: Whole-run kernels by :attr:`CompiledRun.kernel` name.
KERNELS = {"ucbvi": _Kernel(_ucbvi_kernels.run_seeds, _ucbvi_kernels.run_seeds_parallel,
                            "optimistic_value")}

# numba's workqueue threading layer must not be entered by two threads at once
_LAUNCH = threading.Lock()
# GNU OpenMP (numba's omp layer) cannot run in a child forked after it started, nor can
# workqueue be trusted there: such a child runs its seeds on one thread (same numbers)
_POOL = {"started": False, "inherited": False}


def _after_fork_in_child() -> None:
    _POOL["inherited"] = _POOL["inherited"] or _POOL["started"]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def compiled_run_of(agent: Any) -> CompiledRun | None:
    """The agent's :class:`CompiledRun` if a kernel reproduces it exactly, else ``None``.

    Parameters
    ----------
    agent : object
        Any agent.

    Returns
    -------
    CompiledRun or None
        ``None`` when the agent has no compiled run, names an unknown kernel, is
        not an instance of the class the kernel mirrors, or resolves one of
        :data:`MIRRORED` to other code than that class (a subclass overriding
        ``update``, an instance attribute shadowing ``policy``...).
    """
    get = getattr(agent, "compiled_run", None)
    spec = get() if callable(get) else None
    if not isinstance(spec, CompiledRun) or spec.kernel not in KERNELS:
        return None
    if not isinstance(agent, spec.mirrors):
        return None
    own = getattr(agent, "__dict__", {})
    for name in MIRRORED:
        if name in own or getattr(type(agent), name, None) is not getattr(spec.mirrors, name,
                                                                          None):
            return None
    return spec


def thread_count(n_jobs: int, n_seeds: int) -> int:
    """Threads for ``n_jobs`` (joblib style: -1 all, -2 all but one) and ``n_seeds`` seeds.

    Parameters
    ----------
    n_jobs : int
        Requested workers, not 0.
    n_seeds : int
        Number of seeds (no more threads than seeds).

    Returns
    -------
    int
        At least 1, at most numba's thread pool (``NUMBA_NUM_THREADS``).
    """
    cap = numba.config.NUMBA_NUM_THREADS
    n = n_jobs if n_jobs > 0 else cap + 1 + n_jobs
    return max(1, min(n, cap, n_seeds))


def _dot_rows(M: np.ndarray, x: np.ndarray) -> np.ndarray:
    # float(x @ row) for each row, as the episode loop takes it (one BLAS dot per row)
    vecdot = getattr(np, "vecdot", None)
    if vecdot is not None:
        return vecdot(M, x)
    return np.array([float(x @ row) for row in M])


def run_compiled(agent: Any, mdp: TabularMDP, episodes: int,
                 seed_seqs: Sequence[np.random.SeedSequence], *, n_jobs: int = 1,
                 progress: bool = False, desc: str = "run") -> list[dict[str, np.ndarray]]:
    """:func:`~theoryrl.experiment.episodes.run_episodes` for every seed, in compiled code.

    Parameters
    ----------
    agent : Agent
        An agent with a compiled run (:func:`compiled_run_of` is not ``None``);
        it is not changed.
    mdp : TabularMDP
        The true episodic model.
    episodes : int
        Episodes per seed K.
    seed_seqs : sequence of numpy.random.SeedSequence
        One per seed, as for :func:`run_episodes`.
    n_jobs : int
        Threads (:func:`thread_count`); the results do not depend on it.
    progress : bool
        Rich progress bar, advanced as groups of seeds finish.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list of dict of str to ndarray
        What :func:`run_episodes` returns for each seed, bit for bit.

    Raises
    ------
    ValueError
        If the agent has no compiled run.
    """
    spec = compiled_run_of(agent)
    if spec is None:
        raise ValueError(f"agent {type(agent).__name__} has no compiled run that reproduces it")
    kernel = KERNELS[spec.kernel]
    sim = EpisodeSimulator(mdp)
    K, H, S = episodes, sim.H, sim.S
    n_seeds = len(seed_seqs)
    threads = thread_count(n_jobs, n_seeds)
    hook = _progress_hook.get()
    # one launch per group of `threads` seeds, one seed per thread: the per-episode
    # outputs (K, S) of a group are all that is held at once, and progress is per group
    step = threads

    def chunks() -> Iterator[dict[str, np.ndarray]]:
        for lo in range(0, n_seeds, step):
            group = seed_seqs[lo:lo + step]
            U = np.empty((len(group), K, H + 1))
            for i, seq in enumerate(group):
                env_seq, _ = seq.spawn(2)  # as run_episodes: (environment, agent) children
                np.random.default_rng(env_seq).random(out=U[i])
            plan_v0 = np.empty((len(group), K, S))
            played_v0 = np.empty((len(group), K, S))
            args = (sim.Pcum, sim.P4, sim.R3, sim.init_cum, U, *spec.args, plan_v0, played_v0)
            if threads == 1 or len(group) == 1 or _POOL["inherited"]:
                kernel.serial(*args)
            else:
                with _LAUNCH:
                    _POOL["started"] = True
                    before = numba.get_num_threads()
                    numba.set_num_threads(min(threads, len(group)))
                    try:
                        kernel.parallel(*args)
                    finally:
                        numba.set_num_threads(before)
            for i in range(len(group)):
                values = _dot_rows(played_v0[i], sim.init)
                out = {"values": values, "mixture_values": values.copy(),
                       kernel.info: _dot_rows(plan_v0[i], agent.spec.init)}
                if hook is not None:
                    hook(K)
                yield out

    return _collect(chunks(), progress, desc, n_seeds)
