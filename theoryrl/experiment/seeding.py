"""Seeds and the seed map: the one place where runs get their randomness.

Run ``i`` of an experiment with root ``base_seed`` uses
``SeedSequence(base_seed, spawn_key=(i,))``, so its numbers depend only on
``(base_seed, i)``, never on the number of workers or the order in which runs
finish.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import nullcontext

import numpy as np

from .._validation import check_int

__all__ = ["map_seeds", "resolve_base_seed", "seed_sequences"]


def resolve_base_seed(base_seed: int | None) -> int:
    """The root seed of an experiment: ``base_seed`` checked, or fresh entropy if ``None``.

    Parameters
    ----------
    base_seed : int or None
        A non-negative integer (not a bool); ``None`` draws 128 bits from the
        operating system, which the caller records so the run can be reproduced.

    Returns
    -------
    int
        The root seed to use and record.
    """
    if base_seed is None:
        return int(np.random.SeedSequence().entropy)
    return check_int(base_seed, "base_seed", 0)


def seed_sequences(seeds: int | Sequence[int], base_seed: int | None = 0
                   ) -> list[np.random.SeedSequence]:
    """One independent ``SeedSequence(base_seed, spawn_key=(i,))`` per run id ``i``.

    Parameters
    ----------
    seeds : int or sequence of int
        Number of runs (ids ``0..N-1``) or distinct explicit run ids ``>= 0``.
    base_seed : int or None
        Root seed (:func:`resolve_base_seed`); with ``None`` the drawn root is
        ``seed_sequences(...)[0].entropy``.

    Returns
    -------
    list of numpy.random.SeedSequence
        One per run id, in the order given.
    """
    root = resolve_base_seed(base_seed)
    if isinstance(seeds, np.ndarray) and seeds.ndim == 0:  # a 0-d array is a scalar
        seeds = seeds.item()
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        ids = list(range(check_int(seeds, "seeds", 1)))
    elif isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence | np.ndarray):
        raise TypeError(f"seeds must be an integer or a sequence of integers, got "
                        f"{type(seeds).__name__}")
    else:
        ids = [check_int(s, f"seeds[{j}]", 0) for j, s in enumerate(seeds)]
        if not ids:
            raise ValueError("seeds must not be empty")
        if len(set(ids)) != len(ids):
            dup = next(i for j, i in enumerate(ids) if i in ids[:j])
            raise ValueError(f"seeds must be distinct run ids, got {dup} twice")
    return [np.random.SeedSequence(root, spawn_key=(i,)) for i in ids]


def map_seeds(fn, arglist: list[tuple], *, n_jobs: int = 1, backend: str | None = None,
              progress: bool | None = None, desc: str = "run") -> list:
    """``[fn(*args) for args in arglist]``, through joblib when ``n_jobs != 1``.

    Parameters
    ----------
    fn : callable
        One run; must be picklable for process back-ends.
    arglist : list of tuple
        The arguments of each run.
    n_jobs : int
        joblib workers; the results do not depend on it.
    backend : str, optional
        joblib back-end (``"loky"`` default, ``"threading"``, ``"dask"``...).
    progress : bool, optional
        Rich progress bar; default on when stderr is a terminal.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        ``fn``'s results, in the order of ``arglist``.
    """
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
