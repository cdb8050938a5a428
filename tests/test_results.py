"""Results leave the package: one-file atomic save, strict load, plots, tidy export."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile

import numpy as np
import pytest

from theoryrl.experiment import Result
from theoryrl.experiment.result import compare, write_csv


def _synthetic(seed: int = 0, n: int = 4, K: int = 50, agent: str = "A",
               params: dict | None = None) -> Result:
    """Noisy regret curves whose early confidence band goes below 0."""
    rng = np.random.default_rng(seed)
    gaps = 0.05 + rng.normal(0.0, 1.0, (n, K))
    values = 1.0 - gaps
    return Result(values, np.cumsum(gaps, axis=1), 1.0, {"extra": rng.random((n, K))},
                  None, {"agent": agent, "params": params or {"delta": 0.05}, "env": "toy",
                         "x_label": "episode"})


def _same(a: Result, b: Result) -> None:
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.regret, b.regret)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.optimal_value == b.optimal_value
    assert a.meta == b.meta
    assert sorted(a.extras) == sorted(b.extras)


def test_save_is_one_file_and_round_trips(tmp_path):
    res = _synthetic()
    path = res.save(tmp_path / "r")
    assert path == tmp_path / "r.npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.npz"]
    _same(res, Result.load(path))
    _same(res, Result.load(tmp_path / "r"))  # suffix optional


def test_interrupted_save_keeps_the_previous_result(tmp_path, monkeypatch):
    old = _synthetic(0)
    path = old.save(tmp_path / "r")

    def killed(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        _synthetic(1).save(path)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.npz"]
    _same(old, Result.load(path))


def _rewrite(src, dst, edit):
    """Copy the npz ``src`` to ``dst`` with ``edit(dict_of_arrays)`` applied."""
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    edit(arrays)
    np.savez(dst, **arrays)


def _set_head(arrays, **changes):
    head = json.loads(str(arrays["__meta__"][()]))
    head.update(changes)
    arrays["__meta__"] = np.array(json.dumps(head))


@pytest.mark.parametrize("edit, match", [
    (lambda a: _set_head(a, format="theoryrl.Result/99"), "format must be"),
    (lambda a: a.update(values=a["values"][:, :-1]), "values must have the shape"),
    (lambda a: a.update(x=a["x"][:-1]), "x must have shape"),
    (lambda a: a.update(extra__extra=a["extra__extra"][:1]), "extras"),
    (lambda a: a.pop("extra__extra"), "do not match"),
    (lambda a: a.update(stray=np.zeros(2)), "do not match"),
    (lambda a: a.pop("__meta__"), "no result metadata"),
    (lambda a: _set_head(a, optimal_value="1.0"), "optimal_value must be a number"),
])
def test_load_is_strict(tmp_path, edit, match):
    path = _synthetic().save(tmp_path / "good")
    _rewrite(path, tmp_path / "bad.npz", edit)
    with pytest.raises(ValueError, match=match):
        Result.load(tmp_path / "bad.npz")


def test_load_rejects_a_truncated_file(tmp_path):
    path = _synthetic().save(tmp_path / "good")
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a theoryrl result file"):
        Result.load(tmp_path / "cut.npz")
    assert zipfile.is_zipfile(path)


def test_plot_never_changes_the_backend(monkeypatch):
    import matplotlib
    import matplotlib.pyplot as plt

    calls = []
    monkeypatch.setattr(matplotlib, "use", lambda *a, **k: calls.append(a))
    before = matplotlib.get_backend()
    fig = _synthetic().plot()
    fig2 = compare([_synthetic(0), _synthetic(1, agent="B")])
    assert calls == [] and matplotlib.get_backend() == before
    assert fig.axes[0].get_xlabel() == "episode"
    assert [t.get_text() for t in fig2.axes[0].get_legend().get_texts()] == ["A", "B"]
    plt.close("all")


def _band_bottom(ax) -> float:
    from matplotlib.collections import PolyCollection

    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert polys
    return min(p.get_paths()[0].vertices[:, 1].min() for p in polys)


def test_log_axes_clip_the_band_above_zero():
    import matplotlib.pyplot as plt

    results = [_synthetic(0), _synthetic(1, agent="B")]
    m = np.concatenate([r.regret.mean(axis=0) for r in results])
    assert (m > 0).any()
    # the data does put the band's lower edge below 0 somewhere
    assert min((r.regret.mean(0) - r.regret.std(0, ddof=1)).min() for r in results) < 0
    fig = compare(results, logx=True, logy=True)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    bottom = _band_bottom(ax)
    assert bottom > 0
    # the floor sits just below the smallest positive plotted value, so the y range stays
    # within a few decades of the data instead of running to the smallest float
    assert bottom >= 0.5 * m[m > 0].min() * (1 - 1e-12) / 10
    assert ax.get_ylim()[0] > 1e-6 * m[m > 0].min()
    # linear axes keep the plain band (below 0 where the data says so)
    assert _band_bottom(compare(results).axes[0]) < 0
    plt.close("all")


def test_compare_argument_errors():
    with pytest.raises(TypeError, match="results"):
        compare([])
    with pytest.raises(ValueError, match="labels"):
        compare([_synthetic()], labels=["a", "b"])
    with pytest.raises(ValueError, match="quantity"):
        compare([_synthetic()], quantity="nope")


def test_to_frame_long_format():
    res = _synthetic(n=3, K=7, params={"bonus": "l1", "delta": 0.1})
    res.meta["seed_ids"] = [4, 5, 9]
    df = res.to_frame()
    assert list(df.columns) == ["agent", "env", "params", "seed", "episode", "value", "regret"]
    assert len(df) == 3 * 7
    assert sorted(set(df["seed"])) == [4, 5, 9]
    row = df[(df["seed"] == 5) & (df["episode"] == 3)].iloc[0]
    assert row["value"] == res.values[1, 2] and row["regret"] == res.regret[1, 2]
    assert json.loads(row["params"]) == {"bonus": "l1", "delta": 0.1}


def test_to_frame_without_pandas_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        _synthetic().to_frame()


def test_csv_export_matches_the_frame(tmp_path):
    a, b = _synthetic(0, n=2, K=5), _synthetic(1, n=2, K=5, agent="B")
    path = write_csv(tmp_path / "t.csv", [a, b])
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == 2 * 2 * 5
    assert [r["agent"] for r in rows[:1] + rows[-1:]] == ["A", "B"]
    # floats survive the round trip exactly
    assert float(rows[7]["regret"]) == a.regret[1, 2]
    assert a.to_csv(tmp_path / "a.csv").read_text().count("\n") == 1 + 2 * 5
