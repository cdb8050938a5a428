"""Shared timing, machine description and output of the benchmarks in ``bench/``.

Importing this module asks BLAS for one thread unless
the caller's environment already says otherwise, so every benchmark compares
one core against one core; import it before NumPy. ``bench/`` is on
``sys.path`` both when a benchmark runs as a script (``python bench/bench_x.py``)
and under ``theoryrl bench``, so the benchmarks import it as ``_benchkit``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from typing import Any

# numba's own thread count is left alone: the batched benchmark measures threads
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

for _v in THREAD_VARIABLES:
    os.environ.setdefault(_v, "1")


def best_interleaved(fns: list[Callable[[], Any]], repeats: int, *,
                     batch_seconds: float = 0.0) -> list[float]:
    """Best (smallest) seconds per call of each function over ``repeats`` samples.

    The functions are timed in turn within every repeat, so the drift of a shared
    machine's load hits them alike and their ratios stay meaningful when absolute
    times do not; each is called once, untimed, first (JIT compilation or cache
    load, page faults). With ``batch_seconds > 0`` each sample times a batch of
    calls lasting about that long (like ``timeit``'s autorange), so
    sub-millisecond calls are not at the mercy of the timer's resolution.

    Parameters
    ----------
    fns : list of callable
        Functions of no argument.
    repeats : int
        Samples per function (at least 1).
    batch_seconds : float, optional
        Target duration of one sample; 0 (default) times single calls.

    Returns
    -------
    list of float
        Seconds per call, in the order of ``fns``.
    """
    numbers = []
    for fn in fns:
        t0 = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - t0
        numbers.append(max(1, int(batch_seconds / max(elapsed, 1e-7))) if batch_seconds else 1)
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(max(1, repeats)):
        for out, fn, n in zip(samples, fns, numbers):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            out.append((time.perf_counter() - t0) / n)
    return [min(s) for s in samples]


def machine() -> dict[str, Any]:
    """Core count, architecture, Python and NumPy versions and the BLAS thread setting."""
    import numpy as np

    return dict(cores=os.cpu_count(), machine=platform.machine(),
                python=platform.python_version(), numpy=np.__version__,
                blas_threads=os.environ["OPENBLAS_NUM_THREADS"])


def header(**settings: Any) -> str:
    """One line naming the core count, BLAS threads and the benchmark's settings."""
    parts = [f"cores: {os.cpu_count()}", f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}"]
    parts += [f"{k}={v}" for k, v in settings.items()]
    return ", ".join(parts)


def write_json(path: str | None, rows: list[dict], **extra: Any) -> None:
    """Store ``rows`` with :func:`machine`'s description (and ``extra``) at ``path``;
    nothing when ``path`` is None. Written to a temporary file first, then renamed."""
    if not path:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(dict(machine(), **extra, rows=rows), f, indent=1)
    os.replace(tmp, path)


def script(main: Callable[..., Any], doc: str | None) -> None:
    """Command line of a benchmark run as a script: ``--quick`` and ``--json PATH``."""
    p = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--json", help="store the results here as JSON")
    a = p.parse_args()
    main(quick=a.quick, json_path=a.json)
