r"""The grading engine: exercises, properties, the isolated run, and the report.

A grade has three stages.

1. *Inputs.* Each :class:`Property` of an exercise holds examples drawn in
   this process from ``hypothesis`` strategies (``@given`` with
   ``derandomize=True``, so every grade of every student sees the same inputs)
   plus a few hand-written edge cases. Each :class:`Example` is one or more
   :class:`Call` of the student's functions, and private data for the check
   (expected values computed with the package's exact implementation).
2. *Isolated run.* All calls of all properties go to ONE subprocess,
   ``sys.executable -I _runner.py STUDENT_FILE WORKDIR FD CONFIG``, locked
   before the student's file is imported (no ``theoryrl``, no reading of its
   files, no new processes, CPU-time, memory and file-size limits: see
   ``_runner``). Inputs go through ``cases.json`` and ``inputs.npz`` in a
   temporary directory; results come back as frames on a pipe, parsed here
   strictly (numeric arrays only, no pickles). An infinite loop, a segfault,
   an ``exit()``, a limit or an exception in the student's file becomes a
   verdict instead of propagating, and the process group is killed at the end.
3. *Judgement.* Each property's ``check`` compares the returned arrays with
   the expectation and returns ``None`` or a :class:`Failure` (expected, got,
   hint); the report shows, for each failing property, the smallest failing
   input.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Call", "Example", "Exercise", "Failure", "GradeReport", "Property",
           "PropertyResult", "close", "compare", "composite", "draw_examples", "draws", "fmt",
           "properties", "property_table", "returned", "run_grade", "Rejected"]

_RUNNER = Path(__file__).with_name("_runner.py")
NOT_IMPLEMENTED = "not implemented yet"


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Call:
    """One call ``func(*args)`` of the student's code (arrays and scalars only)."""

    func: str
    args: tuple


@dataclass(frozen=True)
class Example:
    """One input of a property: the calls to make and what the check needs.

    ``data`` never leaves the grader process (expected values live there).
    """

    calls: tuple[Call, ...]
    data: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Total number of input entries, to report the smallest failing input."""
        return sum(int(np.size(a)) for c in self.calls for a in c.args)


@dataclass(frozen=True)
class Failure:
    """What a check found wrong: ``expected`` against ``got``, and a ``hint``."""

    expected: str
    got: str
    hint: str = ""


Outputs = tuple[np.ndarray, ...]
Check = Callable[[Example, list[Outputs]], Failure | None]


@dataclass(frozen=True)
class Property:
    """A named claim about the student's functions, checked on ``examples``."""

    name: str
    examples: Sequence[Example]
    check: Check


@dataclass(frozen=True)
class Exercise:
    r"""One course exercise.

    Attributes
    ----------
    name : str
        Identifier used by :func:`~theoryrl.exercises.grade` and the CLI.
    title : str
        One line.
    statement : str
        The problem statement, MyST markdown with ``$...$`` math.
    stub : str
        Python source the student fills in: imports and function stubs that
        raise ``NotImplementedError``.
    signatures : dict
        ``{function: (argument names)}``, used to show failing inputs.
    mirrors : str
        The package function(s) whose exact output the grader compares with.
    """

    name: str
    title: str
    statement: str
    stub: str
    signatures: dict
    mirrors: str
    properties: Callable[[], list[Property]] = field(repr=False, compare=False)
    topic: str = ""

    def script(self) -> str:
        """The student file: a jupytext percent script (opens as a notebook)."""
        md = "\n".join(("# " + line).rstrip() for line in self.statement.strip().splitlines())
        grade = (f"# ## Check your answer\n#\n# ```bash\n# theoryrl grade {self.name} "
                 f"{self.name}.py\n# ```\n#\n# The grader runs your functions on random "
                 f"inputs and compares them with\n# {self.mirrors}.")
        return (_JUPYTEXT_HEADER + f"\n# %% [markdown]\n# # {self.title}\n#\n{md}\n\n"
                f"# %%\n{self.stub.strip()}\n\n# %% [markdown]\n{grade}\n")


_JUPYTEXT_HEADER = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


@dataclass(frozen=True)
class PropertyResult:
    """Verdict of one property: ``passed``, how many ``inputs``, and the report text."""

    name: str
    passed: bool
    inputs: int
    message: str = ""

    def __str__(self) -> str:
        head = f"  {'PASS' if self.passed else 'FAIL'}  {self.name} ({self.inputs} inputs)"
        if not self.message:
            return head
        return head + "\n" + "\n".join("        " + ln for ln in self.message.splitlines())


@dataclass(frozen=True)
class GradeReport:
    """The result of :func:`~theoryrl.exercises.grade`.

    ``passed`` is true exactly when every property passed. ``status`` is
    ``"ok"`` (the file ran to the end), ``"timed out"`` (wall clock),
    ``"cpu limit"``, ``"crashed"`` or ``"import error"``; ``detail``
    explains a status other than ``"ok"``. ``str(report)`` is the readable
    report.
    """

    exercise: str
    path: str
    passed: bool
    properties: tuple[PropertyResult, ...]
    status: str = "ok"
    detail: str = ""
    seconds: float = 0.0

    @property
    def lines(self) -> tuple[str, ...]:
        """One line per property, ``"PASS name"`` / ``"FAIL name"``."""
        return tuple(f"{'PASS' if p.passed else 'FAIL'} {p.name}" for p in self.properties)

    def __str__(self) -> str:
        out = [f"Exercise {self.exercise!r}: grading {self.path}"]
        if self.status != "ok":
            out.append(f"  {self.status.upper()}: {self.detail}")
        out += [str(p) for p in self.properties]
        n_ok = sum(p.passed for p in self.properties)
        verdict = "PASSED" if self.passed else "FAILED"
        out.append(f"{verdict}: {n_ok} of {len(self.properties)} properties hold "
                   f"({self.seconds:.1f} s)")
        return "\n".join(out)


# ---------------------------------------------------------------------------
# helpers for exercise modules
# ---------------------------------------------------------------------------

def draw_examples(strategy: Any, n: int) -> list:
    """``n`` values of a hypothesis ``strategy``, deterministically.

    Drives ``@given`` in-process with ``derandomize=True`` (no database, no
    shrinking: nothing is tested here, the values are only collected).
    """
    from hypothesis import HealthCheck, Phase, given, settings

    out: list = []

    @settings(derandomize=True, max_examples=n, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate))
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out[:n]


def composite(draw_fn: Callable[..., Any], **kwargs: Any) -> Any:
    """The strategy ``hypothesis.strategies.composite(draw_fn)(**kwargs)``.

    ``draw_fn(draw, **kwargs)`` is a plain module-level function, so that
    exercise modules import ``hypothesis`` only when a grader first builds
    its inputs.
    """
    from hypothesis import strategies as st

    return st.composite(draw_fn)(**kwargs)


def draws(draw_fn: Callable[..., Any], n: int, **kwargs: Any) -> list:
    """``n`` values of :func:`composite` ``(draw_fn, **kwargs)``, deterministically."""
    return draw_examples(composite(draw_fn, **kwargs), n)


PropertyRow = tuple[str, tuple[str, ...], Check]


def property_table(rows: Sequence[PropertyRow],
                   examples: dict[str, Sequence[Example]]) -> list[Property]:
    """The properties of an exercise from its table.

    Parameters
    ----------
    rows : sequence of (str, tuple of str, callable)
        ``(name, keys, check)``: the property ``name`` is checked by ``check``
        on the examples of every key of ``keys``, in that order.
    examples : dict
        ``{key: examples}``.

    Returns
    -------
    list of Property
    """
    return [Property(name, [ex for k in keys for ex in examples[k]], check)
            for name, keys, check in rows]


def _properties_of(rows: tuple[PropertyRow, ...],
                   builders: tuple[Callable[[], dict[str, Sequence[Example]]], ...]
                   ) -> list[Property]:
    examples: dict[str, Sequence[Example]] = {}
    for build in builders:
        examples |= build()
    return property_table(rows, examples)


def properties(rows: Sequence[PropertyRow],
               *builders: Callable[[], dict[str, Sequence[Example]]]
               ) -> Callable[[], list[Property]]:
    """The ``properties`` callable of an :class:`Exercise`, from its table.

    Parameters
    ----------
    rows : sequence of (str, tuple of str, callable)
        The table (see :func:`property_table`).
    *builders : callable
        Each returns ``{key: examples}``; called in order, on the first call
        only (the result is cached: drawing the inputs and computing the
        expected values is the slow part).

    Returns
    -------
    callable
        ``() -> list[Property]``.
    """
    return lru_cache(maxsize=1)(partial(_properties_of, tuple(rows), builders))


def close(a: Any, b: Any, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    """Same shape and equal to ``atol`` (and a relative 1e-8): used to name mistakes in hints."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=1e-8,
                                                   equal_nan=equal_nan))


def fmt(x: Any) -> str:
    """Compact text of an input or output value."""
    a = np.asarray(x)
    if a.ndim == 0:
        v = a.item()
        return repr(round(v, 6)) if isinstance(v, float) else repr(v)
    with np.printoptions(precision=4, suppress=True, threshold=40, edgeitems=3, linewidth=88):
        text = np.array2string(a, separator=", ")
    return f"{text}  (shape {a.shape})" if a.ndim > 1 or a.size > 6 else text


def compare(got: Any, expected: Any, name: str, atol: float = 1e-8,
            rtol: float = 1e-8) -> str | None:
    """``None`` if ``got`` equals ``expected`` to tolerance, else a short reason."""
    e = np.asarray(expected, dtype=float)
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"{name} is not numeric"
    if g.shape != e.shape:
        if g.size == e.size and g.size == 1:
            g = g.reshape(e.shape)
        else:
            return f"{name} has shape {g.shape}, expected {e.shape}"
    if not np.all(np.isfinite(g)):
        return f"{name} contains {g[~np.isfinite(g)].ravel()[0]}"
    bad = np.abs(g - e) > atol + rtol * np.abs(e)
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        where = f"{name}{list(i)}" if i else name
        return f"{where} is {g[i]:.10g}, expected {e[i]:.10g}"
    return None


def outputs(outs: Outputs, names: Sequence[str]) -> tuple[tuple, Failure | None]:
    """Unpack the returned arrays as ``names``, or a :class:`Failure` if the count is off."""
    if len(outs) != len(names):
        want = names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"
        return (None,) * len(names), Failure(f"return {want}", f"{len(outs)} returned value(s)",
                           "return exactly what the docstring of the stub asks for, "
                           "in that order")
    return tuple(outs), None


class Rejected(Exception):
    """Raised inside a check to report ``failure`` (see :func:`returned`)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.got)
        self.failure = failure


def returned(outs: Outputs, names: Sequence[str]) -> tuple:
    """The returned arrays as ``names``; raises :class:`Rejected` if the count is off."""
    values, bad = outputs(outs, names)
    if bad is not None:
        raise Rejected(bad)
    return values


# ---------------------------------------------------------------------------
# running and judging
# ---------------------------------------------------------------------------

def _write_inputs(work: Path, props: Sequence[Property]) -> list[tuple[int, int, int]]:
    """Write cases.json / inputs.npz; return (property, example, call) per case."""
    cases, arrays, index = [], {}, []
    for p, prop in enumerate(props):
        for e, ex in enumerate(prop.examples):
            for c, call in enumerate(ex.calls):
                args = []
                for a, v in enumerate(call.args):
                    if isinstance(v, np.ndarray):
                        key = f"c{len(cases)}_{a}"
                        arrays[key] = v
                        args.append({"array": key})
                    else:
                        args.append({"value": v.item() if isinstance(v, np.generic) else v})
                cases.append({"func": call.func, "args": args})
                index.append((p, e, c))
    (work / "cases.json").write_text(json.dumps({"cases": cases}))
    np.savez(work / "inputs.npz", **arrays)
    return index


class _Limits:
    """What the child may use: wall and CPU seconds, address space, file size."""

    def __init__(self, timeout: float, cpu_time: float, memory_mb: int) -> None:
        self.timeout = timeout
        self.cpu_time = cpu_time
        self.memory_mb = memory_mb


_MAX_OUTPUT = 256 * 2**20   # bytes the child may send back, all cases together
_MAX_FILE = 64 * 2**20      # RLIMIT_FSIZE of the child
_KINDS = "biuf"


def _protected_roots() -> list[str]:
    """Directories of the grader's own copy of the packages the child must not read."""
    pkg = Path(__file__).resolve().parents[1]
    roots = [str(pkg)]
    sibling = pkg.parent / "proofs_checks"
    if sibling.is_dir():
        roots.append(str(sibling))
    return roots


class _ChannelError(Exception):
    """The child's result stream is not a well-formed sequence of frames."""


def _parse_frames(buf: bytes) -> list[dict]:
    """Decode the child's frames; arrays come back as numeric ndarrays only."""
    events, pos = [], 0
    while pos < len(buf):
        if pos + 4 > len(buf):
            raise _ChannelError("truncated frame header")
        n = int.from_bytes(buf[pos:pos + 4], "big")
        pos += 4
        try:
            ev = json.loads(bytes(buf[pos:pos + n]))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise _ChannelError(f"unreadable frame ({e})") from None
        pos += n
        if not isinstance(ev, dict) or not isinstance(ev.get("event"), str):
            raise _ChannelError("a frame without an event")
        if ev["event"] == "done":
            arrays = []
            specs = ev.get("arrays")
            if not isinstance(specs, list):
                raise _ChannelError("a result without arrays")
            for spec in specs:
                try:
                    dt, shape = np.dtype(spec[0]), tuple(int(d) for d in spec[1])
                except (TypeError, ValueError, IndexError, KeyError):
                    raise _ChannelError(f"bad array description {spec!r}") from None
                if dt.kind not in _KINDS or dt.hasobject or any(d < 0 for d in shape):
                    raise _ChannelError(f"bad array description {spec!r}")
                size = dt.itemsize * int(np.prod(shape, dtype=np.int64))
                if size < 0 or pos + size > len(buf):
                    raise _ChannelError("truncated array data")
                arrays.append(np.frombuffer(bytes(buf[pos:pos + size]), dtype=dt)
                              .reshape(shape).copy())
                pos += size
            ev["arrays"] = tuple(arrays)
        events.append(ev)
    return events


def _kill_group(pid: int) -> None:
    if hasattr(os, "killpg"):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _run_student(path: Path, work: Path, limits: _Limits) -> tuple[str, int | None, float,
                                                                    bytes]:
    """Run the runner; return (how it ended, returncode, CPU seconds, the bytes it sent).

    How it ended: ``"ok"``, ``"timed out"`` (wall clock) or ``"too much output"``.
    The child is the leader of its own process group, and the whole group is
    killed before the child is reaped, whatever happened.
    """
    env = {"PATH": os.environ.get("PATH", os.defpath), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1",
           "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8"}
    if "SYSTEMROOT" in os.environ:  # pragma: no cover - Windows needs it to start Python
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    config = {"cpu": limits.cpu_time, "memory": limits.memory_mb * 2**20,
              "fsize": _MAX_FILE, "protect": _protected_roots()}
    r, w = os.pipe()
    try:
        with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-I", str(_RUNNER), str(path), str(work), str(w),
                 json.dumps(config)],
                cwd=work, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                pass_fds=(w,), start_new_session=hasattr(os, "killpg"))
    finally:
        os.close(w)
    how, buf = "ok", bytearray()
    deadline = time.monotonic() + limits.timeout
    try:
        eof = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                how = "timed out"
                break
            if not eof:
                ready, _, _ = select.select([r], [], [], min(left, 0.25))
                if ready:
                    chunk = os.read(r, 1 << 20)
                    eof = not chunk
                    buf += chunk
                    if len(buf) > _MAX_OUTPUT:
                        how = "too much output"
                        break
                continue
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                break
            time.sleep(0.01)
    finally:
        os.close(r)
        _kill_group(proc.pid)  # the child is not reaped yet: its pid names the group
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return how, proc.returncode, usage.ru_utime + usage.ru_stime, bytes(buf)


def _signal_name(rc: int) -> str:
    try:
        return signal.Signals(-rc).name
    except (ValueError, AttributeError):
        return f"signal {-rc}"


def _tail(path: Path, n: int = 12) -> str:
    if not path.exists():
        return ""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 8192))
        text = f.read().decode("utf-8", errors="replace")
    lines = text.strip().splitlines()
    return "\n".join(lines[-n:])


def _show_call(call: Call, signatures: dict) -> str:
    names = signatures.get(call.func, ())
    parts = []
    for i, v in enumerate(call.args):
        name = names[i] if i < len(names) else f"arg{i}"
        text = fmt(v)
        parts.append(f"    {name} = " + text.replace("\n", "\n" + " " * (7 + len(name))))
    return f"{call.func}(\n" + ",\n".join(parts) + ")"


def _error_text(ev: dict) -> str:
    where = f" at {ev['where']}" if ev.get("where") else ""
    return f"{ev['type']}: {ev['message']}{where}"


def run_grade(exercise: Exercise, path: Path, timeout: float, cpu_time: float | None = None,
              memory_mb: int = 4096) -> GradeReport:
    """Grade ``path`` against ``exercise`` (inputs already validated).

    ``timeout`` is the wall-clock limit of the whole batch, ``cpu_time`` its
    CPU-time limit (default ``timeout``) and ``memory_mb`` the address-space
    limit of the student's process.
    """
    t0 = time.perf_counter()
    props = exercise.properties()  # expected values: computed here, never sent
    limits = _Limits(timeout, timeout if cpu_time is None else cpu_time, memory_mb)
    with tempfile.TemporaryDirectory(prefix="theoryrl-grade-",
                                     ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        index = _write_inputs(work, props)
        run_status, rc, cpu, raw = _run_student(path, work, limits)
        stderr = _tail(work / "stderr.txt")
    channel_error = ""
    try:
        events = _parse_frames(raw)
    except _ChannelError as e:
        events, channel_error = [], str(e)
    results: dict[int, Outputs | dict] = {}
    started: set[int] = set()
    import_error = None
    finished = locked = False
    n_cases = len(index)

    def case_of(ev: dict) -> int | None:
        c = ev.get("case")
        return c if isinstance(c, int) and not isinstance(c, bool) and 0 <= c < n_cases else None

    for ev in events:
        kind = ev["event"]
        if kind == "locked":
            locked = True
        elif not locked:
            continue  # nothing before the locks can come from the student
        elif kind == "import_error":
            import_error = {k: str(ev.get(k, "")) for k in ("type", "message", "where")}
        elif kind == "start" and case_of(ev) is not None:
            started.add(case_of(ev))
        elif kind == "error" and case_of(ev) is not None:
            results[case_of(ev)] = {k: str(ev.get(k, "")) for k in ("type", "message", "where")}
        elif kind == "done" and case_of(ev) is not None:
            results[case_of(ev)] = ev["arrays"]
        elif kind == "finished":
            finished = True
    hung = sorted(started - set(results))
    status, detail = "ok", ""
    out_of_cpu = (limits.cpu_time > 0 and rc is not None and rc < 0
                  and -rc in (signal.SIGXCPU, signal.SIGKILL) and cpu >= 0.9 * limits.cpu_time)
    if import_error is not None:
        status = "import error"
        detail = f"could not import your file: {_error_text(import_error)}"
    elif run_status != "ok" or not finished or channel_error:
        if run_status == "timed out":
            status = "timed out"
            detail = f"your code ran for more than {timeout:g} s and was stopped"
        elif out_of_cpu:
            status = "cpu limit"
            detail = (f"your code used more than {limits.cpu_time:g} s of CPU time and "
                      "was stopped")
        elif run_status == "too much output":
            status = "crashed"
            detail = (f"your code returned more than {_MAX_OUTPUT // 2**20} MiB of results "
                      "and was stopped")
        elif channel_error:
            status = "crashed"
            detail = f"the results of your code could not be read back ({channel_error})"
        else:
            status = "crashed"
            how = (f"killed by {_signal_name(rc)}" if rc is not None and rc < 0
                   else f"exited with status {rc}")
            detail = f"the Python process running your code {how}"
        if hung:
            p, e, c = index[hung[0]]
            call = props[p].examples[e].calls[c]
            detail += (f" while running {call.func} on input #{e + 1} of property "
                       f"'{props[p].name}':\n    " +
                       _show_call(call, exercise.signatures).replace("\n", "\n    "))
        if status == "crashed" and stderr:
            detail += "\n  last lines of stderr:\n    " + stderr.replace("\n", "\n    ")
    for res in results.values():
        if isinstance(res, dict) and res["type"] == "MemoryError":
            res["message"] = (f"{res['message']} (the memory limit of your code is "
                              f"{memory_mb} MiB)").strip()

    by_example: dict[tuple[int, int], dict[int, Any]] = {}
    for case, (p, e, c) in enumerate(index):
        if case in results:
            by_example.setdefault((p, e), {})[c] = results[case]
    prop_results = []
    for p, prop in enumerate(props):
        prop_results.append(_judge(exercise, p, prop, by_example, status, import_error))
    passed = (status == "ok" and not channel_error and finished
              and all(r.passed for r in prop_results))
    return GradeReport(exercise.name, str(path), passed, tuple(prop_results), status, detail,
                       time.perf_counter() - t0)


def _judge(exercise: Exercise, p: int, prop: Property, by_example: dict, status: str,
           import_error: dict | None) -> PropertyResult:
    n = len(prop.examples)
    if import_error is not None:
        return PropertyResult(prop.name, False, n, "not run: your file could not be imported")
    failures: list[tuple[int, int, str]] = []
    for e, ex in enumerate(prop.examples):
        got = by_example.get((p, e), {})
        if len(got) < len(ex.calls):
            return PropertyResult(prop.name, False, n, f"not completed: {status} "
                                  f"(see above) on or before input #{e + 1}")
        outs = [got[c] for c in range(len(ex.calls))]
        for c, o in enumerate(outs):
            if isinstance(o, dict):
                func = ex.calls[c].func
                if o["type"] == "NotImplementedError":
                    return PropertyResult(
                        prop.name, False, n,
                        f"{NOT_IMPLEMENTED}: `{func}` raises NotImplementedError; replace "
                        "the `raise NotImplementedError` line of the stub with your code")
                what = (f"returned {o['message']}" if o["type"] == "BadReturn"
                        else f"raised {_error_text(o)}")
                failures.append((ex.size, e, f"{func} {what}\n"
                                 + _show_call(ex.calls[c], exercise.signatures)))
                break
        else:
            try:
                fail = prop.check(ex, outs)
            except Rejected as r:
                fail = r.failure
            except Exception as exc:  # a malformed return value the check cannot read
                fail = Failure("a value of the documented shape and type",
                               f"a value the grader could not read ({type(exc).__name__}: "
                               f"{exc})", "check the shapes in the stub's docstring")
            if fail is not None:
                calls = "\n".join(_show_call(c, exercise.signatures) for c in ex.calls)
                text = f"{calls}\nexpected: {fail.expected}\ngot:      {fail.got}"
                if fail.hint:
                    text += f"\nhint: {fail.hint}"
                failures.append((ex.size, e, text))
    if not failures:
        return PropertyResult(prop.name, True, n)
    size, e, text = min(failures)
    head = (f"fails on {len(failures)} of {n} inputs; the smallest is input #{e + 1}:\n")
    return PropertyResult(prop.name, False, n, head + text)
