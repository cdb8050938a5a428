"""Run a student's file on a batch of inputs (executed as a script, in a subprocess).

Usage: ``python -I _runner.py STUDENT_FILE WORKDIR``.

This script is the only code the grader runs next to the student's file. It
imports nothing of ``theoryrl`` (numpy, json and the standard library only), so
nothing of the grader, and in particular no expected value, is within reach of
the student's code. Protocol, all files in ``WORKDIR``:

* ``cases.json``: ``{"cases": [{"func": name, "args": [arg, ...]}, ...]}``, each
  ``arg`` either ``{"array": key}`` (a key of ``inputs.npz``) or
  ``{"value": scalar}``;
* ``inputs.npz``: the input arrays (numeric, loaded with ``allow_pickle=False``);
* ``results.jsonl`` (written): one JSON event a line, flushed as it happens, so
  a case that hangs or crashes the interpreter is known by its ``start`` event
  without an ``end``: ``import_error``, ``start``, ``done`` (with ``n``, the
  number of returned arrays), ``error`` (``type``, ``message``, ``where``),
  ``finished``;
* ``out_<i>.npz`` (written): the arrays returned by case ``i``, as ``arr_0``,
  ``arr_1``, ... (no pickles; an object array is reported as an error).
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import sys
import traceback
from pathlib import Path

import numpy as np


def _describe(exc: BaseException, student: str) -> dict:
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == Path(student).resolve():
            where = f"line {frame.lineno}: {(frame.line or '').strip()}"
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "where": where}


def _load(student: str):
    spec = importlib.util.spec_from_file_location("student_solution", student)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {student} as a Python module")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["student_solution"] = mod
    spec.loader.exec_module(mod)
    return mod


class BadReturn(Exception):
    """The student's function returned something that is not numeric."""


def _as_arrays(out) -> list[np.ndarray]:
    if out is None:
        raise BadReturn("None (is a return statement missing?)")
    items = list(out) if isinstance(out, tuple | list) else [out]
    arrays = []
    for j, item in enumerate(items):
        try:
            a = np.asarray(item)
        except Exception as exc:  # ragged lists and the like
            raise BadReturn(f"value #{j} that is not an array ({exc})") from None
        if a.dtype.kind not in "biuf":
            raise BadReturn(f"value #{j} that is not numeric (a {type(item).__name__}, "
                            f"dtype {a.dtype})")
        arrays.append(a)
    return arrays


def main(argv: list[str]) -> int:
    student, work = argv[1], Path(argv[2])
    faulthandler.enable()
    cases = json.loads((work / "cases.json").read_text())["cases"]
    with np.load(work / "inputs.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    log = open(work / "results.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    def emit(**event) -> None:
        log.write(json.dumps(event) + "\n")
        log.flush()

    sys.path.insert(0, str(Path(student).resolve().parent))
    try:
        mod = _load(student)
    except BaseException as exc:  # the student's module body: report everything
        if isinstance(exc, KeyboardInterrupt):
            raise
        emit(event="import_error", **_describe(exc, student))
        return 0
    for i, case in enumerate(cases):
        emit(event="start", case=i)
        fn = getattr(mod, case["func"], None)
        if not callable(fn):
            emit(event="error", case=i, type="AttributeError",
                 message=f"the file defines no function {case['func']!r}", where="")
            continue
        args = [np.array(arrays[a["array"]]) if "array" in a else a["value"]
                for a in case["args"]]
        try:
            out = fn(*args)
            items = _as_arrays(out)
        except BaseException as exc:  # SystemExit included: a student's exit() is an error
            if isinstance(exc, KeyboardInterrupt):
                raise
            emit(event="error", case=i, **_describe(exc, student))
            continue
        np.savez(work / f"out_{i}.npz", *items)
        emit(event="done", case=i, n=len(items))
    emit(event="finished")
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
