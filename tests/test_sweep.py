"""Sweeps: a grid stored cell by cell, resumable after an interruption, bit-identical."""

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
from theoryrl.cli import app
from theoryrl.experiment import Result
from theoryrl.experiment import sweep as sw

ROOT = Path(__file__).resolve().parent.parent
K = 12
GRID = dict(agents={"UCBVI": {"delta": [0.05, 0.2]}, "CUCBVI": {"alpha": [0.1, 0.3]}},
            envs={"conservative_random_mdp": {}}, seeds=4, episodes=K)


def _same(a: Result, b: Result) -> None:
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.regret, b.regret)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.optimal_value == b.optimal_value
    assert sorted(a.extras) == sorted(b.extras)
    for k in a.extras:
        np.testing.assert_array_equal(a.extras[k], b.extras[k])


class Interrupt(BaseException):
    pass


def _counting(monkeypatch, stop_after: int | None = None) -> list:
    calls = []
    real = sw._run_cell

    def run_cell(cell):
        if stop_after is not None and len(calls) == stop_after:
            raise Interrupt  # killed while the next cell runs
        calls.append(cell.key)
        return real(cell)

    monkeypatch.setattr(sw, "_run_cell", run_cell)
    return calls


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return sw.sweep(**GRID, out=tmp_path_factory.mktemp("ref"), plot=False)


def test_grid_is_2_agents_x_2_params_x_4_seeds(reference):
    assert [c.label() for c in reference.configs] == [
        "UCBVI(delta=0.05)", "UCBVI(delta=0.2)", "CUCBVI(alpha=0.1)", "CUCBVI(alpha=0.3)"]
    assert all(r.n_seeds == 4 and r.regret.shape == (4, K) for r in reference.results)
    stored = list((reference.files["table"].parent / ".cells").glob("*.npz"))
    assert len(stored) == 16


def test_each_configuration_equals_a_plain_run(reference):
    mdp = trl.envs.conservative_random_mdp()
    base = trl.envs.conservative_random_mdp_baseline(mdp)
    plain = [trl.agents.UCBVI(mdp.spec, episodes=K, delta=0.2),
             trl.agents.CUCBVI(mdp.spec, episodes=K, baseline=base, alpha=0.3)]
    for agent, res in zip(plain, reference.results[1::2]):
        _same(trl.run(agent, mdp, episodes=K, seeds=4), res)


def test_sweep_resumes_after_an_interruption(tmp_path, monkeypatch, reference):
    calls = _counting(monkeypatch, stop_after=6)
    with pytest.raises(Interrupt):
        sw.sweep(**GRID, out=tmp_path, plot=False)
    assert len(list((tmp_path / ".cells").glob("*.npz"))) == 6
    assert not (tmp_path / "results.csv").exists()
    monkeypatch.undo()
    calls = _counting(monkeypatch)
    res = sw.sweep(**GRID, out=tmp_path, plot=False)
    assert len(calls) == 16 - 6  # the finished cells are not recomputed
    for a, b in zip(reference.results, res.results):
        _same(a, b)
    # a lost or corrupted cell is recomputed, alone
    cells = sorted((tmp_path / ".cells").glob("*.npz"))
    cells[0].unlink()
    cells[1].write_bytes(cells[1].read_bytes()[:100])
    calls.clear()
    res = sw.sweep(**GRID, out=tmp_path, plot=False)
    assert len(calls) == 2
    for a, b in zip(reference.results, res.results):
        _same(a, b)
    calls.clear()
    sw.sweep(**GRID, out=tmp_path, plot=False, force=True)
    assert len(calls) == 16


def test_outputs_table_and_plot(tmp_path, reference):
    import csv

    res = sw.sweep(**GRID, out=tmp_path, n_jobs=2, backend="threading")
    for a, b in zip(reference.results, res.results):
        _same(a, b)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "results.csv" in names and "compare_conservative_random_mdp.png" in names
    assert sum(n.endswith(".npz") for n in names) == 4
    rows = list(csv.DictReader(res.files["table"].open()))
    assert len(rows) == 4 * 4 * K
    assert {r["env"] for r in rows} == {"conservative_random_mdp"}
    df = res.to_frame()
    assert len(df) == 4 * 4 * K
    assert sorted(set(df["seed"])) == [0, 1, 2, 3]
    import matplotlib.pyplot as plt

    fig = res.plot(logy=True)
    assert len(fig.axes[0].get_lines()) == 4
    plt.close("all")


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(agents={"UCBVI": {"deltta": [0.1]}}), ValueError, "no parameter 'deltta'"),
    (dict(agents={"UCBVI": {"delta": [0.1, 0.1]}}), ValueError, "twice"),
    (dict(agents={"UCBVI": {"delta": []}}), ValueError, "at least one"),
    (dict(agents=["Trajectory"]), ValueError, "agent must be one of"),
    (dict(envs=["riverswim"]), ValueError, "horizon"),
    (dict(seeds=[0, 0]), ValueError, "distinct"),
    (dict(seeds=True), TypeError, "bool"),
    (dict(n_jobs=0), ValueError, "n_jobs"),
    (dict(episodes=None, steps=10), ValueError, "episodic"),
])
def test_grid_errors(tmp_path, kwargs, exc, match):
    args = {**GRID, **kwargs}
    with pytest.raises(exc, match=match):
        sw.sweep(**args, out=tmp_path, plot=False)


def test_sweep_is_exported():
    assert trl.sweep is sw.sweep


def _toml(tmp_path, n_jobs=1, episodes=K, extra=""):
    cfg = tmp_path / "grid.toml"
    cfg.write_text(f"""episodes = {episodes}
seeds = 4
n_jobs = {n_jobs}
out = "{tmp_path / 'out'}"
{extra}
[agents.UCBVI]
delta = [0.05, 0.2]
[agents.CUCBVI]
alpha = [0.1, 0.3]
[envs.conservative_random_mdp]
""")
    return cfg


def test_sweep_command(tmp_path, reference):
    cfg = _toml(tmp_path)
    res = CliRunner().invoke(app, ["sweep", str(cfg)])
    assert res.exit_code == 0, res.stderr
    assert "CUCBVI(alpha=0.3)" in res.stdout
    back = sorted(Result.load(p).meta["agent_params"].get("delta", 0)
                  for p in (tmp_path / "out").glob("*.npz"))
    assert len(back) == 4
    res = CliRunner().invoke(app, ["sweep", str(cfg)])
    assert res.exit_code == 0 and "16 of 16 cells already stored" in res.stderr


@pytest.mark.parametrize("extra, match", [
    ("colour = 3", "unknown keys ['colour']"),
    ("n_jobs = 'x'", "not valid TOML"),
])
def test_sweep_command_errors(tmp_path, extra, match):
    res = CliRunner().invoke(app, ["sweep", str(_toml(tmp_path, extra=extra))])
    assert res.exit_code == 2 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and match in res.stderr


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts stored cells while running")
def test_killed_sweep_command_resumes(tmp_path, reference):
    """A sweep killed mid-way (SIGTERM, two workers) keeps its finished cells; the rerun
    computes only the rest and gives the uninterrupted numbers."""
    cfg = _toml(tmp_path, n_jobs=2, episodes=400)
    cmd = [sys.executable, "-m", "theoryrl.cli", "sweep", str(cfg)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    cells = tmp_path / "out" / ".cells"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None and \
            len(list(cells.glob("*.npz"))) < 2:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    stored = len(list(cells.glob("*.npz")))
    assert proc.returncode == 130 and "interrupted" in err, err
    assert 2 <= stored < 16
    assert not list(cells.glob(".*.tmp"))  # no half-written cell
    # the rerun in this process's worker count: cells do not depend on it
    proc = subprocess.run([*cmd, "--n-jobs", "1"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert f"{stored} of 16 cells already stored" in proc.stderr
    assert len(list(cells.glob("*.npz"))) == 16
    first = sw.build_config("UCBVI", "conservative_random_mdp", params={"delta": 0.05},
                            episodes=400)
    mdp = trl.envs.conservative_random_mdp()
    direct = trl.run(trl.agents.UCBVI(mdp.spec, episodes=400, delta=0.05), mdp,
                     episodes=400, seeds=4)
    _same(Result.load(tmp_path / "out" / f"{first.stem(range(4))}.npz"), direct)


def test_dask_backend_gives_the_same_cells(tmp_path, reference):
    distributed = pytest.importorskip("dask.distributed")
    grid = {**GRID, "agents": {"UCBVI": {"delta": [0.05, 0.2]}}}
    # threads in this process, talking over loopback TCP only
    with distributed.LocalCluster(n_workers=2, processes=False, host="127.0.0.1",
                                  protocol="tcp", dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        res = sw.sweep(**grid, out=tmp_path, n_jobs=2, backend="dask", plot=False)
    for a, b in zip(reference.results[:2], res.results):
        _same(a, b)
