"""Run a student's file on a batch of inputs (executed as a script, in a subprocess).

Usage: ``python -I _runner.py STUDENT_FILE WORKDIR OUT_FD CONFIG_JSON``.

This script is the only code the grader runs next to the student's file. It
imports nothing of ``theoryrl`` (numpy, json and the standard library only),
and it locks the process before the student's file is imported:

1. resource limits (CPU time, address space, file size, no core files);
2. on Linux (x86-64, arm64) a seccomp filter: the process can start threads
   but no other process (``fork``, ``vfork``, ``clone`` without
   ``CLONE_THREAD``, ``execve`` fail with ``EPERM``), so nothing it starts can
   escape the grader's process-group kill or run Python without the locks;
3. an import blocker for ``theoryrl`` and ``proofs_checks``;
4. an audit hook (:func:`sys.addaudithook`; hooks cannot be removed) that
   refuses opening any file or directory of those packages (compared by
   device and inode, so links and relative paths do not help), opening any
   directory at all (no ``dir_fd`` tricks), ``/proc`` (no reading of the
   grader's memory), creating links, starting processes, signalling other
   processes, loading or calling native code through :mod:`ctypes`, and
   rewriting the code or defaults of the hook itself.

Protocol. Inputs: ``WORKDIR/cases.json`` (``{"cases": [{"func": name, "args":
[arg, ...]}, ...]}``, each ``arg`` ``{"array": key}`` of ``inputs.npz`` or
``{"value": scalar}``) and ``WORKDIR/inputs.npz``. Outputs: frames on the
inherited pipe ``OUT_FD``, each a 4-byte big-endian length and a JSON header,
followed for a ``done`` event by the raw bytes of the returned arrays (header
``arrays``: ``[[dtype, shape], ...]``). Events: ``import_error``, ``start``,
``done``, ``error`` (``type``, ``message``, ``where``), ``finished``. The
grader trusts nothing it reads here: it parses the frames strictly and
compares with expected values it computed itself.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import struct
import sys
import traceback
from pathlib import Path, PosixPath, PurePosixPath
from stat import S_ISDIR

_BLOCKED_PACKAGES = ("theoryrl", "proofs_checks")


# ---------------------------------------------------------------------------
# locks (installed before the student's file is imported)
# ---------------------------------------------------------------------------

def _set_limits(cpu: float, memory: int, fsize: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if cpu > 0:
        soft = max(1, int(cpu + 0.999))
        # the soft limit sends SIGXCPU; the hard one a SIGKILL one second later
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if fsize > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))


def _seccomp_no_new_processes() -> bool:
    """Forbid process creation with a seccomp filter; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import platform

    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        arch, clone, deny = 0xC000003E, 56, (57, 58, 59, 322)  # fork vfork execve execveat
    elif machine in ("aarch64", "arm64"):
        arch, clone, deny = 0xC00000B7, 220, (221, 281)  # execve execveat
    else:
        return False
    clone3 = 435
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    # program with symbolic jump targets, resolved below
    prog = [(ld, "", "", 4),                     # arch
            (jeq, "", "DENY", arch),             # a foreign ABI (i386, x32): no syscalls
            (ld, "", "", 0),                     # syscall number
            (jge, "DENY", "", 0x40000000),       # x32 numbering
            (jeq, "CLONE", "", clone)]
    prog += [(jeq, "DENY", "", nr) for nr in deny]
    prog += [(jeq, "NOSYS", "", clone3),         # glibc falls back to clone
             (ret, "", "", allow),
             ("CLONE", ld, "", "", 16),          # low half of the flags
             (jset, "ALLOW", "DENY", 0x00010000),  # CLONE_THREAD: a thread is fine
             ("ALLOW", ret, "", "", allow),
             ("DENY", ret, "", "", eperm),
             ("NOSYS", ret, "", "", enosys)]
    labels, rows = {}, []
    for ins in prog:
        if isinstance(ins[0], str):
            labels[ins[0]] = len(rows)
            ins = ins[1:]
        rows.append(ins)

    def rel(target: str, i: int) -> int:
        return labels[target] - i - 1 if target else 0

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte),
                    ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

    arr = (Filter * len(rows))(*[Filter(code, rel(jt, i), rel(jf, i), k)
                                 for i, (code, jt, jf, k) in enumerate(rows)])
    fprog = Prog(len(rows), arr)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    return libc.prctl(22, 2, ctypes.addressof(fprog), 0, 0) == 0


def _package_roots(extra: list[str]) -> list[str]:
    """The directories of every importable copy of the blocked packages."""
    roots = [r for r in extra if os.path.isdir(r)]
    for name in _BLOCKED_PACKAGES:
        try:  # a top-level find_spec locates the package without importing it
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for loc in (spec.submodule_search_locations or []) if spec else []:
            if os.path.isdir(loc):
                roots.append(loc)
    return roots


def _identities(roots: list[str]) -> frozenset:
    ids = set()
    for root in roots:
        for d, _, files in os.walk(root):
            for name in [d] + [os.path.join(d, f) for f in files]:
                try:
                    st = os.stat(name)
                except OSError:
                    continue
                ids.add((st.st_dev, st.st_ino))
    return frozenset(ids)


class _Blocker:
    """A meta-path finder that refuses the grader's packages."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED_PACKAGES:
            raise ModuleNotFoundError(f"the grader does not allow importing {name!r}: "
                                      "write the solution yourself, with numpy")
        return None


_PROCESS_EVENTS = frozenset({
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "os.startfile", "pty.spawn", "os.symlink", "os.link",
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function",
    "ctypes.cdata", "ctypes.cdata/buffer", "ctypes.addressof", "ctypes.get_errno",
    "ctypes.set_errno", "ctypes.string_at", "ctypes.wstring_at", "ctypes.PyObj_FromPtr",
    "sys.remote_exec", "socket.__new__",
})
_CHANGE_EVENTS = frozenset({
    "os.rename", "os.remove", "os.rmdir", "os.chmod", "os.chown", "os.truncate", "os.utime",
    "os.chflags", "os.lchflags", "os.setxattr", "os.removexattr", "shutil.rmtree",
})


def _install_hook(ids: frozenset) -> None:
    proc_dev = os.stat("/proc").st_dev if os.path.isdir("/proc") else None
    pid = os.getpid()
    # Everything the hook uses is bound here, as defaults: the student can rebind
    # module globals (os.stat, this module's names) but not these references, and
    # assigning __defaults__ or __code__ is itself refused by the hook.

    def lookup(path, _stat=os.stat, _fspath=os.fspath, _type=type, _str=str, _bytes=bytes,
               _paths=(PurePosixPath, PosixPath), _perm=PermissionError):
        tp = _type(path)
        if tp not in (_str, _bytes):
            # a path-like of another type could name one file here and another
            # when the open converts it
            if tp not in _paths:
                raise _perm(f"the grader only opens str, bytes or pathlib paths, "
                            f"not {tp.__name__}")
            path = _fspath(path)
        try:
            return _stat(path)
        except Exception:
            return None

    def hook(event, args, _ids=ids, _proc=proc_dev, _stat=os.stat, _fspath=os.fspath,
             _isdir=S_ISDIR, _events=_PROCESS_EVENTS,
             _pid=pid, _blocked=_BLOCKED_PACKAGES, _perm=PermissionError,
             _imp=ModuleNotFoundError, _str=str, _bytes=bytes, _int=int,
             _isinstance=isinstance, _lookup=lookup,
             _changes=_CHANGE_EVENTS, _self=None):
        if event == "open":
            path = args[0]
            if _isinstance(path, _int) or path is None:
                return
            st = _lookup(path)
            if st is None:  # a new file, or a path that does not resolve
                return
            if (st.st_dev, st.st_ino) in _ids:
                raise _perm("the grader does not allow reading the files of theoryrl")
            if _isdir(st.st_mode):
                raise _perm("the grader does not allow opening directories")
            if st.st_dev == _proc:
                raise _perm("the grader does not allow reading /proc")
        elif event in _changes:
            for path in args[:2]:
                st = _lookup(path) if _isinstance(path, _str | _bytes) else None
                if st is not None and (st.st_dev, st.st_ino) in _ids:
                    raise _perm("the grader does not allow changing the files of theoryrl")
        elif event in _events:
            raise _perm(f"the grader does not allow {event} in student code")
        elif event == "import":
            name = args[0]
            if _isinstance(name, _str) and name.split(".")[0] in _blocked:
                raise _imp(f"the grader does not allow importing {name!r}")
        elif event in ("os.kill", "os.killpg"):
            if event == "os.killpg" or args[0] != _pid:
                raise _perm("the grader does not allow signalling other processes")
        elif event == "object.__setattr__":
            if args[0] is _self or args[0] is _lookup:
                raise _perm("the grader does not allow rewriting its own functions")

    # the hook refers to itself through its last default
    hook.__defaults__ = hook.__defaults__[:-1] + (hook,)
    sys.addaudithook(hook)


def lock(config: dict, student: str) -> bool:
    """Apply every lock of the module docstring; return whether seccomp is on.

    The student's own file stays readable, even when it lies in a protected
    directory (an instructor grading a shipped reference solution).
    """
    _set_limits(float(config.get("cpu", 0)), int(config.get("memory", 0)),
                int(config.get("fsize", 0)))
    try:
        seccomp = _seccomp_no_new_processes()
    except (OSError, AttributeError):
        seccomp = False
    own = os.stat(student)
    ids = _identities(_package_roots(list(config.get("protect", [])))) - {(own.st_dev,
                                                                          own.st_ino)}
    for name in list(sys.modules):
        if name.split(".")[0] in _BLOCKED_PACKAGES:
            del sys.modules[name]
    sys.meta_path.insert(0, _Blocker)
    _install_hook(ids)
    return seccomp


# ---------------------------------------------------------------------------
# running the cases
# ---------------------------------------------------------------------------

def _describe(exc: BaseException, student: str) -> dict:
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == student:
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


def _as_arrays(out, np) -> list:
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
    student, work, fd = str(Path(argv[1]).resolve()), Path(argv[2]), int(argv[3])
    config = json.loads(argv[4])
    faulthandler.enable()
    write = os.write

    def emit(payload: bytes = b"", **event) -> None:
        head = json.dumps(event).encode()
        data = struct.pack(">I", len(head)) + head + payload
        while data:
            data = data[write(fd, data):]

    import numpy as np  # before the locks: numpy's own start-up needs no exception

    cases = json.loads((work / "cases.json").read_text())["cases"]
    with np.load(work / "inputs.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    seccomp = lock(config, student)
    emit(event="locked", seccomp=seccomp)
    sys.path.insert(0, str(Path(student).parent))
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
            items = _as_arrays(fn(*args), np)
        except BaseException as exc:  # SystemExit included: a student's exit() is an error
            if isinstance(exc, KeyboardInterrupt):
                raise
            emit(event="error", case=i, **_describe(exc, student))
            continue
        emit(b"".join(a.tobytes() for a in items), event="done", case=i,
             arrays=[[a.dtype.str, list(a.shape)] for a in items])
    emit(event="finished")
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # threads the student left running do not hold the grade
