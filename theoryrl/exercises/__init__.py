r"""Course exercises with an autograder: theoryrl in the classroom.

Each :class:`Exercise` is a short problem statement with the math, a function
stub for the student to fill in, and a grader that compares the student's
function with the package's own exact implementation on inputs drawn from
``hypothesis`` strategies (deterministically: every student sees the same
inputs), one property at a time.

>>> from theoryrl import exercises
>>> [e.name for e in exercises.list_exercises()][:3]
['bellman_backup', 'backward_induction', 'policy_evaluation']

Typical course workflow::

    paths = exercises.export("handout/")          # one jupytext script per exercise
    report = exercises.grade("backward_induction", "alice/backward_induction.py")
    print(report)                                 # per-property PASS/FAIL, inputs, hints
    report.passed

The student's file never runs in the grader's process: it is imported by a
tiny runner in a locked subprocess (no ``theoryrl``, no new processes, time
and memory limits) that reads the inputs from a temporary directory and sends
back only the returned arrays through a pipe, so an exception, an infinite
loop or a segfault becomes a verdict and the expected values stay in the
grader's process.
Reference solutions ship in :mod:`theoryrl.exercises.solutions`
(:func:`solution_path`).

``import theoryrl`` does not import this subpackage; importing it loads numpy
only (``hypothesis`` is imported when a grader first builds its inputs).
"""

from __future__ import annotations

import os
from pathlib import Path

from .._validation import check_choice
from ._framework import Exercise, GradeReport, PropertyResult, run_grade

__all__ = ["Exercise", "GradeReport", "PropertyResult", "export", "get_exercise", "grade",
           "list_exercises", "solution_path"]

_SOLUTIONS = Path(__file__).with_name("solutions")


def _registry() -> dict[str, Exercise]:
    from . import (
        ex_exploration,
        ex_linear_mixture,
        ex_martingale,
        ex_planning,
        ex_policy_opt,
        ex_pomdp,
    )

    out: dict[str, Exercise] = {}
    for mod in (ex_planning, ex_exploration, ex_linear_mixture, ex_pomdp, ex_martingale,
                ex_policy_opt):
        for ex in mod.EXERCISES:
            out[ex.name] = ex
    return out


def list_exercises() -> list[Exercise]:
    """All exercises, in course order (each with ``name``, ``title``, ``statement``)."""
    return list(_registry().values())


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name``.

    Raises
    ------
    ValueError
        If ``name`` is unknown; the message lists the valid names.
    """
    reg = _registry()
    check_choice(name, "name", sorted(reg))
    return reg[name]


def solution_path(name: str) -> Path:
    """Path of the shipped reference solution of exercise ``name`` (for instructors)."""
    return _SOLUTIONS / f"{get_exercise(name).name}.py"


def export(directory: str | os.PathLike, names: list[str] | None = None,
           overwrite: bool = False) -> list[Path]:
    """Write the student files, one ``<name>.py`` per exercise, into ``directory``.

    Each file is a jupytext *percent* script: a ``# %% [markdown]`` cell with
    the statement (math in ``$...$``), a ``# %%`` code cell with the stub,
    and a markdown cell saying how to grade it; ``jupytext --to notebook``
    (or JupyterLab with jupytext) opens it as a notebook, and it runs as a
    plain Python file.

    Parameters
    ----------
    directory : path-like
        Created if missing.
    names : list of str, optional
        Exercises to export (default: all).
    overwrite : bool
        Replace existing files (default: refuse, so a student's work is never lost).

    Returns
    -------
    list of Path
        The written files, in course order.

    Raises
    ------
    ValueError
        If ``directory`` is an existing file, a name is unknown, or a file
        exists and ``overwrite`` is false.
    """
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise ValueError(f"directory {str(d)!r} exists and is not a directory")
    chosen = list_exercises() if names is None else [get_exercise(n) for n in names]
    targets = [(ex, d / f"{ex.name}.py") for ex in chosen]
    if not overwrite:
        existing = [str(p) for _, p in targets if p.exists()]
        if existing:
            raise ValueError(f"directory already holds {existing}; pass overwrite=True "
                             "to replace them")
    d.mkdir(parents=True, exist_ok=True)
    for ex, p in targets:
        p.write_text(ex.script(), encoding="utf-8")
    return [p for _, p in targets]


def grade(name: str, path: str | os.PathLike, timeout: float = 60.0,
          cpu_time: float | None = None, memory_mb: int = 4096) -> GradeReport:
    """Grade the student's file ``path`` for exercise ``name``.

    All calls of all properties run in ONE locked subprocess (see
    ``docs/teaching.md``, "What is isolated"): it cannot import ``theoryrl``
    or read its files, cannot start processes, and has a wall-clock, a
    CPU-time and a memory limit. It receives only the inputs and sends back
    only the returned arrays; the expected values are computed in this
    process. A crash, a limit hit, an import error or an exception in the
    student's code is reported in the result, never raised.

    Parameters
    ----------
    name : str
        Exercise name (see :func:`list_exercises`).
    path : path-like
        The student's ``.py`` file (an exported stub, filled in).
    timeout : float
        Wall-clock seconds allowed for the whole batch of inputs.
    cpu_time : float, optional
        CPU seconds allowed (default ``timeout``); status ``"cpu limit"`` when hit.
    memory_mb : int
        Address-space limit of the student's process in MiB (default 4096);
        an allocation beyond it raises ``MemoryError`` in the student's code.

    Returns
    -------
    GradeReport
        ``passed`` (all properties hold), ``properties`` (one
        :class:`PropertyResult` each) and a readable ``str()``.

    Raises
    ------
    ValueError
        If ``name`` is unknown, ``path`` is not an existing file, or
        ``timeout``, ``cpu_time`` or ``memory_mb`` is not positive.
    """
    ex = get_exercise(name)
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"path {str(p)!r} is not an existing file")
    if isinstance(timeout, bool) or not (isinstance(timeout, int | float) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if cpu_time is not None and not (isinstance(cpu_time, int | float)
                                     and not isinstance(cpu_time, bool) and cpu_time > 0):
        raise ValueError(f"cpu_time must be a positive number of seconds, got {cpu_time!r}")
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or memory_mb < 256:
        raise ValueError(f"memory_mb must be an integer >= 256, got {memory_mb!r}")
    return run_grade(ex, p.resolve(), float(timeout),
                     None if cpu_time is None else float(cpu_time), memory_mb)
