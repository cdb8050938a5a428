"""The autograder cannot be cheated: adversarial student files are rejected.

Each submission below tries to obtain the expected answers instead of
computing them (importing the package or its reference solution, reading its
files, starting another Python, tampering with the runner or the grader's
process) or to escape the limits. Every one must FAIL, with the refusal in
the report, while the honest reference solution passes. Student files run in
subprocesses; grades run two at a time in threads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from theoryrl.exercises import get_exercise, grade, solution_path

ROOT = Path(__file__).resolve().parents[1]
SOL = solution_path("bellman_backup")
PKG = SOL.parents[2]  # the theoryrl package directory
REFUSED = "the grader does not allow"

# A wrong but well-formed answer: the cheats return it unless the cheat works.
WRONG = "    Q = 0.0 * P.sum(axis=2)\n    return Q, Q.max(axis=1), Q.argmax(axis=1)\n"

CHEATS: dict[str, str] = {
    # the five submissions that passed the old grader
    "import_reference_solution":
        "from theoryrl.exercises.solutions.bellman_backup import bellman_backup\n",
    "exec_reference_file": f"exec(open({str(SOL)!r}).read())\n",
    "call_the_package_planner": textwrap.dedent("""\
        import numpy as np
        def bellman_backup(P, R, V_next):
            from theoryrl.planning import backward_induction
            Q = R + P @ V_next
            return Q, Q.max(axis=1), np.argmax(Q, axis=1)
        """),
    "expected_values_from_properties": textwrap.dedent("""\
        import numpy as np
        from theoryrl.exercises import get_exercise
        _props = get_exercise("bellman_backup").properties()
        def bellman_backup(P, R, V_next):
            for p in _props:
                for ex in p.examples:
                    args = ex.calls[0].args
                    if all(np.array_equal(a, b) for a, b in zip(args, (P, R, V_next))):
                        Q = ex.data["Q"]
                        return Q, ex.data["V"], np.argmax(Q, axis=1)
        """),
    "patch_np_savez_in_the_runner": textwrap.dedent("""\
        import numpy as np
        _savez, _last = np.savez, []
        def _cheat(file, *arrays, **kw):
            # swap the returned arrays for the reference's on the way out
            from theoryrl.exercises.solutions.bellman_backup import bellman_backup as ref
            return _savez(file, *ref(*_last[-1]), **kw)
        np.savez = _cheat
        def bellman_backup(P, R, V_next):
            _last.append((P, R, V_next))
            Q = 0.0 * P.sum(axis=2)
            return Q, Q.max(axis=1), Q.argmax(axis=1)
        """),
    # fresh ones
    "importlib_resources": textwrap.dedent("""\
        import importlib.resources
        src = (importlib.resources.files("theoryrl.exercises.solutions")
               / "bellman_backup.py").read_text()
        exec(src)
        """),
    "spec_from_file_location": textwrap.dedent(f"""\
        import importlib.util
        spec = importlib.util.spec_from_file_location("ref", {str(SOL)!r})
        ref = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ref)
        bellman_backup = ref.bellman_backup
        """),
    "io_open_code_and_relative_path": textwrap.dedent(f"""\
        import io, os
        os.chdir({str(PKG.parent)!r})
        exec(io.open_code("theoryrl/exercises/solutions/bellman_backup.py").read())
        """),
    "symlink_to_the_solution": textwrap.dedent(f"""\
        import os
        os.symlink({str(SOL)!r}, "ref.py")
        exec(open("ref.py").read())
        """),
    "hard_link_to_the_solution": textwrap.dedent(f"""\
        import os
        os.link({str(SOL)!r}, "ref.py")
        exec(open("ref.py").read())
        """),
    "dir_fd_of_the_parent_directory": textwrap.dedent(f"""\
        import os
        fd = os.open({str(PKG.parent)!r}, os.O_RDONLY)
        g = os.open("theoryrl/exercises/solutions/bellman_backup.py", os.O_RDONLY, dir_fd=fd)
        exec(os.read(g, 100000).decode())
        """),
    "numpy_reads_the_file": textwrap.dedent(f"""\
        import numpy as np
        exec("\\n".join(np.loadtxt({str(SOL)!r}, dtype=str, delimiter="\\x00",
                                   comments=None)))
        """),
    "sys_path_and_meta_path": textwrap.dedent(f"""\
        import sys
        sys.meta_path[:] = [f for f in sys.meta_path if "Blocker" not in repr(f)]
        sys.path.insert(0, {str(PKG.parent)!r})
        from theoryrl.exercises.solutions.bellman_backup import bellman_backup
        """),
    "subprocess_python_imports_theoryrl": textwrap.dedent(f"""\
        import subprocess, sys
        code = ("import inspect, theoryrl.exercises.solutions.bellman_backup as m; "
                "print(inspect.getsource(m))")
        env = {{"PYTHONPATH": {str(PKG.parent)!r}}}
        exec(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env).stdout)
        """),
    "environ_pythonpath_and_exec": textwrap.dedent(f"""\
        import os, sys
        os.environ["PYTHONPATH"] = {str(PKG.parent)!r}
        os.execv(sys.executable, [sys.executable, "-c", "import theoryrl"])
        """),
    "os_system_cat": f"import os\nos.system('cat {SOL} > ref.py')\nexec(open('ref.py').read())\n",
    "fork": textwrap.dedent(f"""\
        import os
        r, w = os.pipe()
        if os.fork() == 0:
            os.dup2(w, 1)
            os.execv("/bin/cat", ["cat", {str(SOL)!r}])
        os.close(w)
        exec(os.fdopen(r).read())
        """),
    "ctypes_libc": textwrap.dedent(f"""\
        import ctypes
        ctypes.CDLL(None).system(b"cat {SOL} > ref.py")
        exec(open("ref.py").read())
        """),
    "gc_disables_the_audit_hook": textwrap.dedent("""\
        import gc, types
        for f in gc.get_objects():
            if isinstance(f, types.FunctionType) and f.__name__ == "hook":
                f.__code__ = (lambda event, args: None).__code__
        from theoryrl.exercises.solutions.bellman_backup import bellman_backup
        """),
    "read_the_grader_memory": textwrap.dedent("""\
        import os
        with open(f"/proc/{os.getppid()}/mem", "rb") as f:
            f.read(1)
        """),
    "kill_the_grader": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
}


def _files(tmp_path: Path) -> list[tuple[str, Path]]:
    out = []
    for name, body in CHEATS.items():
        d = tmp_path / name
        d.mkdir()
        f = d / "bellman_backup.py"
        # a wrong answer first: the cheat, if it works, replaces it
        f.write_text("def bellman_backup(P, R, V_next):\n" + WRONG + "\n\n" + body)
        out.append((name, f))
    return out


def test_cheating_submissions_are_rejected(tmp_path):
    get_exercise("bellman_backup").properties()  # build the inputs before the threads
    files = _files(tmp_path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda nf: grade("bellman_backup", nf[1], timeout=60),
                                files))
    assert grade("bellman_backup", SOL).passed  # the honest solution still passes
    for (name, _), rep in zip(files, reports):
        assert not rep.passed, f"{name} passed:\n{rep}"
        if name == "patch_np_savez_in_the_runner":
            # results no longer travel through np.savez: the patch never runs
            assert "FAIL  Q(s, a)" in str(rep)
        else:  # a cheat that fails for another reason than the refusal proves nothing
            assert REFUSED in str(rep), f"{name} was not refused:\n{rep}"


def test_a_runner_channel_forgery_cannot_pass(tmp_path):
    f = tmp_path / "forge.py"
    f.write_text(textwrap.dedent("""\
        import os, sys
        os.write(int(sys.argv[3]), b"\\x00\\x00\\x00\\x05junk!" * 3)
        def bellman_backup(P, R, V_next):
            raise RuntimeError
        """))
    rep = grade("bellman_backup", f)
    assert not rep.passed and rep.status == "crashed"
    assert "could not be read back" in rep.detail


def test_cpu_time_limit_is_a_verdict(tmp_path):
    f = tmp_path / "spin.py"
    f.write_text("def bellman_backup(P, R, V_next):\n    while True:\n        pass\n")
    t0 = time.monotonic()
    rep = grade("bellman_backup", f, timeout=60, cpu_time=2)
    assert time.monotonic() - t0 < 30
    assert not rep.passed and rep.status == "cpu limit", str(rep)
    assert "more than 2 s of CPU time" in rep.detail and "input #1" in rep.detail
    assert "CPU LIMIT" in str(rep)


def test_memory_limit_is_a_verdict(tmp_path):
    f = tmp_path / "hog.py"
    f.write_text("import numpy as np\n\ndef bellman_backup(P, R, V_next):\n"
                 "    return np.ones(2**33)\n")
    rep = grade("bellman_backup", f, memory_mb=1024)
    assert not rep.passed and rep.status == "ok"
    assert "raised MemoryError" in str(rep) and "memory limit of your code is 1024 MiB" in str(rep)


def test_no_process_outlives_the_grade(tmp_path):
    marker = f"theoryrl-grade-orphan-{os.getpid()}"
    f = tmp_path / "orphan.py"
    f.write_text(textwrap.dedent(f"""\
        import subprocess
        subprocess.Popen(["sleep", "300", "{marker}"], start_new_session=True)
        def bellman_backup(P, R, V_next):
            raise RuntimeError
        """))
    rep = grade("bellman_backup", f)
    assert not rep.passed and REFUSED in str(rep)
    alive = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
    assert alive.strip() == "", f"processes left behind: {alive}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux-only")
def test_seccomp_filter_forbids_new_processes_but_not_threads():
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64", "aarch64", "arm64"):
        pytest.skip("no seccomp filter for this architecture")
    code = textwrap.dedent(f"""\
        import os, sys, threading, subprocess
        sys.path.insert(0, {str(PKG / "exercises")!r})
        import _runner
        assert _runner._seccomp_no_new_processes()
        t = threading.Thread(target=lambda: None); t.start(); t.join()
        for attempt in (os.fork, lambda: subprocess.run(["true"])):
            try:
                attempt()
            except OSError as e:
                print("refused", e.errno)
        """)
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["refused", "1", "refused", "1"], out.stdout


def test_grading_needs_only_core_dependencies():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.split(">")[0].split("=")[0].strip() == "hypothesis" for d in deps), deps


def test_cli_grade_without_hypothesis_is_one_line_exit_2():
    code = textwrap.dedent(f"""\
        import sys
        class NoHypothesis:
            @staticmethod
            def find_spec(name, path=None, target=None):
                if name.split(".")[0] == "hypothesis":
                    raise ModuleNotFoundError("No module named 'hypothesis'", name="hypothesis")
        sys.meta_path.insert(0, NoHypothesis)
        sys.argv = ["theoryrl", "grade", "bellman_backup", {str(SOL)!r}]
        from theoryrl.cli import main
        main()
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().count("\n") == 0 and "hypothesis" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
