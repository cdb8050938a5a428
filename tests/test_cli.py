"""The ``theoryrl`` command line: one-line user errors, strict parameters, outputs, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import theoryrl as trl
from theoryrl import cli
from theoryrl.cli import app
from theoryrl.experiment import Result
from theoryrl.experiment import sweep as sw

ROOT = Path(__file__).resolve().parent.parent
RUN = ["run", "UCBVI", "--env", "riverswim", "--horizon", "4", "--episodes", "6", "--seeds", "2"]


@pytest.fixture(autouse=True)
def warm_cache(monkeypatch):
    """Every test sees a warm numba cache unless it says otherwise: the one-line
    compile notice must not depend on which tests (or clones) ran first."""
    monkeypatch.setattr(cli, "_kernels_cached", lambda: True)


def invoke(args, **kw):
    return CliRunner().invoke(app, [str(a) for a in args], **kw)


def one_line_error(res, code: int = 2) -> str:
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr, res.exception)
    assert "Traceback" not in res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert " error: " in lines[0]
    return lines[0]


@pytest.fixture()
def blocked(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("x")
    return f / "sub"  # a folder below a plain file cannot be created


@pytest.mark.parametrize("args, match", [
    (["run", "UCBVI", "--env", "riverswim", "--episodes", "5"], "give a horizon"),
    ([*RUN, "--seeds", "-1"], "--seeds"),
    ([*RUN[:-4], "--episodes", "-5"], "--episodes"),
    (["run", "UCBVI", "--env", "riverswim", "--horizon", "0", "--episodes", "5"], "--horizon"),
    ([*RUN, "--n-jobs", "0"], "--n-jobs"),
    ([*RUN, "--base-seed", "-3"], "--base-seed"),
    ([*RUN, "--param", "delta=2"], "delta must be in"),
    ([*RUN, "--param", "bonus=ucb"], "bonus must be one of"),
    ([*RUN, "--param", "bonnus=l1"], "no parameter 'bonnus'"),
    ([*RUN, "--param", "episodes=3"], "'episodes' is set by"),
    ([*RUN, "--param", "delta"], "key=value"),
    ([*RUN, "--param", "delta=0.1", "--param", "delta=0.2"], "given twice"),
    ([*RUN, "--env-param", "n_state=3"], "no parameter 'n_state'"),
    ([*RUN, "--env-param", "n_states=-2"], "n_states"),
    (["run", "StepMix", "--env", "riverswim", "--horizon", "4", "--episodes", "5"], "baseline"),
    (["run", "Agent", "--env", "riverswim", "--episodes", "5"], "agent must be one of"),
    (["run", "Mixture", "--env", "riverswim", "--episodes", "5"], "agent must be one of"),
    (["run", "UCBVI", "--env", "grid_cells", "--episodes", "5"], "env must be one of"),
    (["run", "UCBVI", "--env", "to_gymnasium", "--episodes", "5"], "env must be one of"),
    (["run", "UCBVI", "--env", "riverswim_average", "--episodes", "5"], "average-reward env"),
    (["run", "UCRL2", "--env", "riverswim_average", "--episodes", "5"], "give steps"),
    (["run", "UCRL2", "--env", "riverswim", "--horizon", "3", "--steps", "5"], "no horizon"),
    (["run", "UCRLRFE", "--env", "riverswim", "--horizon", "3", "--episodes", "5"], "phi"),
    (["run", "UCBVI", "--env", "riverswim", "--episodes", "5", "--steps", "5"], "not both"),
    (["run", "UCBVI"], "--env"),
    (["run", "UCBVI", "--env", "riverswim", "--horizon", "abc"], "--horizon"),
    (["nosuchcommand"], "No such command"),
    (["bench", "nosuchbench"], "unknown benchmarks"),
    (["sweep", "missing.toml"], "missing.toml"),
])
def test_user_errors_are_one_line_exit_2(args, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = one_line_error(invoke(args))
    assert match in line


def test_unwritable_out_is_one_line(blocked):
    assert "not a writable folder" in one_line_error(invoke([*RUN, "--out", blocked]))


def test_debug_shows_the_traceback():
    res = invoke(["--debug", *RUN, "--param", "delta=2"])
    assert isinstance(res.exception, ValueError) and "delta" in str(res.exception)
    proc = subprocess.run([sys.executable, "-m", "theoryrl.cli", "--debug", *RUN, "--param",
                           "delta=2"], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "theoryrl.cli", *RUN, "--param", "delta=2"],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "theoryrl: error: delta must be in (0, 1), got 2.0"


def test_internal_errors_are_one_line_exit_1(monkeypatch, tmp_path):
    def bug(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(sw, "run_config", bug)
    line = one_line_error(invoke([*RUN, "--out", tmp_path]), code=1)
    assert "RuntimeError: kaboom" in line and "--debug" in line


def test_unknown_parameter_names_the_valid_ones():
    line = one_line_error(invoke([*RUN, "--param", "bonnus=l1"]))
    for valid in ("bonus", "bonus_scale", "delta"):
        assert valid in line


def test_list_shows_only_runnable_agents_and_envs():
    res = invoke(["list"])
    assert res.exit_code == 0, res.stderr
    first_cells = {ln.split("│")[1].strip() for ln in res.stdout.splitlines()
                   if ln.startswith("│") and ln.split("│")[1].strip()}
    for name in ("UCBVI", "CUCBVI", "LOOP", "UCRL2", "riverswim", "random_mdp", "gridworld"):
        assert name in first_cells
    for name in ("Agent", "AverageAgent", "Mixture", "Trajectory", "Segment", "StepPlan",
                 "StopRule", "to_gymnasium", "grid_cells", "facts", "baseline_value",
                 "riverswim_safe_baseline", "from_mdptoolbox"):
        assert name not in first_cells
    assert "bonus='l1'" in res.stdout  # UCBVI's class default, not the signature's None
    assert "n_states=6" in res.stdout


def test_ucbvi_default_bonus_is_l1():
    from theoryrl.agents import UCBVI, UCBVIHoeffding
    from theoryrl.experiment.episodes import EpisodeSimulator

    mdp = trl.envs.riverswim(5, horizon=8)
    assert UCBVI(mdp.spec, episodes=10).bonus == "l1"
    plays = {}
    for cls in (UCBVI, UCBVIHoeffding):
        ag = cls(mdp.spec, episodes=300)
        ag.reset(np.random.default_rng(1))
        sim, rng = EpisodeSimulator(mdp), np.random.default_rng(2)
        n1 = 0
        for _ in range(300):
            t = sim.sample(sim.check(ag.policy()), rng)
            n1 += int((t.actions == 1).sum())
            ag.update(t)
        plays[cls.__name__] = n1
    # the paper's Hoeffding constants exceed the horizon: never tries action 1 ("swim")
    assert plays["UCBVIHoeffding"] == 0 < plays["UCBVI"]


def _reference(episodes=6, seeds=2, horizon=4, base_seed=0, **params):
    """What the command line ran before it stored seeds one by one."""
    mdp = trl.envs.riverswim(horizon=horizon)
    agent = trl.agents.UCBVI(mdp.spec, episodes=episodes, **params)
    return trl.run(agent, mdp, episodes=episodes, seeds=seeds, base_seed=base_seed)


def _same(a: Result, b: Result) -> None:
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.regret, b.regret)
    assert a.optimal_value == b.optimal_value
    assert sorted(a.extras) == sorted(b.extras)
    for k in a.extras:
        np.testing.assert_array_equal(a.extras[k], b.extras[k])


def _outputs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_run_outputs_are_named_by_parameters_and_never_overwritten(tmp_path):
    assert invoke([*RUN, "--out", tmp_path]).exit_code == 0
    (npz,) = [p for p in tmp_path.glob("UCBVI_riverswim_*.npz")]
    assert len(npz.stem.split("_")[-1]) == 8
    assert _outputs(tmp_path) == [npz.name, npz.with_suffix(".png").name]
    _same(Result.load(npz), _reference())
    before = npz.read_bytes()
    # same inputs (a default spelled out is the same input): refused, file untouched
    line = one_line_error(invoke([*RUN, "--out", tmp_path, "--param", "delta=0.05"]))
    assert "--force" in line and npz.read_bytes() == before
    # other parameters, other seeds, another base seed: other files
    assert invoke([*RUN, "--out", tmp_path, "--param", "delta=0.1"]).exit_code == 0
    assert invoke([*RUN, "--out", tmp_path, "--base-seed", "7"]).exit_code == 0
    assert len(list(tmp_path.glob("UCBVI_riverswim_*.npz"))) == 3
    assert npz.read_bytes() == before
    res = invoke([*RUN, "--out", tmp_path, "--force"])
    assert res.exit_code == 0 and "final regret" in res.stdout
    _same(Result.load(npz), _reference())


def test_base_seed_and_param_reach_the_run(tmp_path):
    assert invoke([*RUN, "--out", tmp_path, "--base-seed", "7", "--param", "delta=0.1"]
                  ).exit_code == 0
    (npz,) = tmp_path.glob("*.npz")
    res = Result.load(npz)
    _same(res, _reference(base_seed=7, delta=0.1))
    assert res.meta["base_seed"] == 7 and res.meta["seed_ids"] == [0, 1]


def test_run_resumes_from_stored_seeds(tmp_path, monkeypatch):
    calls = []
    real = sw._run_cell

    def counting(cell):
        calls.append(cell.seed)
        return real(cell)

    monkeypatch.setattr(sw, "_run_cell", counting)
    args = [*RUN[:-1], "3", "--out", tmp_path]
    assert invoke(args).exit_code == 0
    assert calls == [0, 1, 2]
    cells = sorted((tmp_path / ".cells").glob("*.npz"))
    assert len(cells) == 3
    # an interrupted run: the final file was never written and one seed was lost
    for p in tmp_path.glob("UCBVI_*"):
        p.unlink()
    lost = next(c for c in cells if Result.load(c).meta["seed_ids"] == [1])
    lost.unlink()
    calls.clear()
    assert invoke(args).exit_code == 0
    assert calls == [1]
    (npz,) = tmp_path.glob("UCBVI_*.npz")
    _same(Result.load(npz), _reference(seeds=3))
    # fewer seeds: another output, every seed already stored
    calls.clear()
    assert invoke([*RUN, "--out", tmp_path]).exit_code == 0
    assert calls == [] and len(list(tmp_path.glob("UCBVI_*.npz"))) == 2


def test_compile_notice_when_the_cache_is_cold(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_kernels_cached", lambda: False)
    res = invoke([*RUN, "--out", tmp_path])
    assert res.exit_code == 0
    assert res.stderr.count("compiling numba kernels") == 1
    monkeypatch.setattr(cli, "_kernels_cached", lambda: True)
    res = invoke([*RUN, "--out", tmp_path / "b"])
    assert "compiling" not in res.stderr


def test_plain_progress_lines_when_not_a_terminal(tmp_path):
    import io

    buf = io.StringIO()
    rep = sw.LogProgress(buf, every=0.0)
    cfg = sw.build_config("UCBVI", "riverswim", env_params={"horizon": 4}, episodes=5)
    res = sw.run_config(cfg, 2, out=None, progress=rep)
    lines = buf.getvalue().splitlines()
    assert res.n_seeds == 2
    assert any("10/10 episodes" in ln for ln in lines)  # per episode, not per seed
    assert lines[-1].startswith("[theoryrl] 2/2 cells done")
    # two loky workers: episodes still counted, through the parent
    buf = io.StringIO()
    rep = sw.LogProgress(buf, every=0.0)
    par = sw.run_config(cfg, 2, out=None, progress=rep, n_jobs=2)
    np.testing.assert_array_equal(par.regret, res.regret)
    assert rep.units_done == 10
    assert sw.make_progress(None, io.StringIO()) is None
    assert isinstance(sw.make_progress(None, io.StringIO(), log=True), sw.LogProgress)


def test_bench_help_says_it_needs_a_source_checkout(monkeypatch, tmp_path):
    res = invoke(["bench", "--help"])
    assert "source checkout" in " ".join(res.stdout.split())
    monkeypatch.setattr(cli, "bench_dir", lambda: tmp_path)
    assert "source checkout" in one_line_error(invoke(["bench"]))


def _children(pid: int) -> set[int]:
    out = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.add(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for child processes")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_workers_are_shut_down_when_the_command_is_killed(tmp_path, sig):
    proc = subprocess.Popen(
        [sys.executable, "-m", "theoryrl.cli", "run", "UCBVI", "--env", "riverswim",
         "--horizon", "20", "--episodes", "200000", "--seeds", "4", "--n-jobs", "2",
         "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(workers) < 2 and proc.poll() is None:
        time.sleep(0.5)
        # loky starts a resource tracker and the workers as children
        workers = {c for c in _children(proc.pid) if b"loky" in
                   Path(f"/proc/{c}/cmdline").read_bytes()}
    assert len(workers) >= 2, "the workers never started"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in err and "interrupted" in err, err
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers)
