"""Experiment results: exact per-episode curves, atomic one-file save, strict load,
plots, tidy export."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Result", "atomic_write_bytes", "compare", "save_figure", "write_csv"]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write bytes to a file atomically: a temporary file in the same folder, then a rename.

    An interrupted write never leaves a partial file behind: readers see either
    the old content or the new one. Missing parent folders are created, and the
    new file gets the mode a plain :func:`open` would give it (``0o666`` less
    the umask).

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; replaced if it exists.
    data : bytes
        The complete new content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600; give the file the mode a plain open() would have
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Render a matplotlib figure to PNG and write it atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to render (with ``bbox_inches="tight"``).
    path : str or os.PathLike
        Destination PNG file, written with :func:`atomic_write_bytes`.
    dpi : int, default 120
        Resolution in dots per inch.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


@dataclass
class Result:
    """Per-seed, per-episode (or per-checkpoint) exact measurements of one experiment.

    Attributes
    ----------
    values : ndarray (seeds, K)
        Exact value ``init @ V^{pi_k}_0`` of the policy played in each episode
        (for a randomised :class:`~theoryrl.agents.Mixture`, its expected value).
    regret : ndarray (seeds, K)
        Cumulative exact regret ``sum_{j<=k} (V* - values[:, j])``.
    optimal_value : float
        ``init @ V*_0`` of the true model.
    extras : dict of ndarray (seeds, K)
        Agent diagnostics and driver extras (``component_values``...).
    x : ndarray (K,)
        The abscissa: episode numbers 1..K, or step checkpoints.
    meta : dict
        JSON-serialisable description: agent, parameters, env, seeds, timing.
    """

    values: np.ndarray
    regret: np.ndarray
    optimal_value: float
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    x: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.x is None:
            self.x = np.arange(1, self.regret.shape[1] + 1)

    @property
    def n_seeds(self) -> int:
        return int(self.regret.shape[0])

    def final_regret(self) -> np.ndarray:
        """Cumulative regret at the last episode, one entry per seed."""
        return self.regret[:, -1]

    # -- persistence -------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the result as one ``.npz`` file, atomically.

        Arrays and metadata (a JSON document stored as a string array) travel
        in the same file, written to a temporary name and renamed in place, so
        an interrupted save leaves either the previous file or the new one,
        never a mixture. :meth:`load` reads it back without unpickling.

        Parameters
        ----------
        path : str or os.PathLike
            Target; ``.npz`` is appended when missing.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        import io

        target = _npz_path(path)
        self._check_shapes()
        arrays = {"values": self.values, "regret": self.regret, "x": self.x}
        arrays.update({f"extra__{k}": v for k, v in self.extras.items()})
        head = {"format": FORMAT, "optimal_value": float(self.optimal_value),
                "extras": sorted(self.extras), "meta": self.meta}
        arrays["__meta__"] = np.array(json.dumps(head, default=_json_default))
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(target, buf.getvalue())
        return target

    @classmethod
    def load(cls, path: str | os.PathLike) -> Result:
        """Read a result written by :meth:`save` (``allow_pickle=False``), strictly.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.npz`` file (the suffix may be omitted).

        Returns
        -------
        Result

        Raises
        ------
        ValueError
            If the file is not a complete result of this format: unknown
            ``format``, missing or extra arrays, or shapes that disagree.
        """
        target = _npz_path(path)
        import zipfile

        try:
            z = np.load(target, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            if isinstance(e, FileNotFoundError):
                raise
            raise ValueError(f"path {str(target)!r} is not a theoryrl result file: {e}") from e
        with z:
            if "__meta__" not in z.files:
                raise ValueError(f"path {str(target)!r} has no result metadata (not written by "
                                 f"Result.save)")
            try:
                head = json.loads(str(z["__meta__"][()]))
            except (json.JSONDecodeError, ValueError) as e:
                raise ValueError(f"path {str(target)!r}: unreadable metadata ({e})") from e
            if not isinstance(head, dict) or head.get("format") != FORMAT:
                got = head.get("format") if isinstance(head, dict) else head
                raise ValueError(f"path {str(target)!r}: format must be {FORMAT!r}, got {got!r}")
            names = head.get("extras")
            if not isinstance(names, list) or not isinstance(head.get("meta"), dict):
                raise ValueError(f"path {str(target)!r}: malformed metadata")
            expected = {"values", "regret", "x", "__meta__", *(f"extra__{k}" for k in names)}
            if set(z.files) != expected:
                raise ValueError(f"path {str(target)!r}: arrays {sorted(z.files)} do not match "
                                 f"the metadata (expected {sorted(expected)})")
            opt = head.get("optimal_value")
            if isinstance(opt, bool) or not isinstance(opt, (int, float)):
                raise ValueError(f"path {str(target)!r}: optimal_value must be a number, "
                                 f"got {opt!r}")
            res = cls(z["values"], z["regret"], float(opt),
                      {k: z[f"extra__{k}"] for k in names}, z["x"], head["meta"])
        try:
            res._check_shapes()
        except ValueError as e:
            raise ValueError(f"path {str(target)!r}: {e}") from e
        return res

    def _check_shapes(self) -> None:
        v, r, x = (np.asarray(a) for a in (self.values, self.regret, self.x))
        if r.ndim != 2 or r.shape[0] < 1 or r.shape[1] < 1:
            raise ValueError(f"regret must have shape (seeds, K) with seeds, K >= 1, "
                             f"got {r.shape}")
        if v.shape != r.shape:
            raise ValueError(f"values must have the shape of regret {r.shape}, got {v.shape}")
        if x.shape != (r.shape[1],):
            raise ValueError(f"x must have shape ({r.shape[1]},), got {x.shape}")
        for k, e in self.extras.items():
            if np.shape(e) != r.shape:
                raise ValueError(f"extras[{k!r}] must have the shape of regret {r.shape}, "
                                 f"got {np.shape(e)}")

    # -- export ---------------------------------------------------------------
    def _rows(self):
        seeds = self.meta.get("seed_ids")
        if not isinstance(seeds, list) or len(seeds) != self.n_seeds:
            seeds = list(range(self.n_seeds))
        agent = str(self.meta.get("agent", ""))
        # sweeps and ``theoryrl run`` record the names and inputs; plain runs the objects
        env = str(self.meta.get("env_name", self.meta.get("env", "")))
        params = json.dumps(self.meta.get("agent_params", self.meta.get("params", {})),
                            sort_keys=True, default=_json_default)
        x = np.asarray(self.x)
        for i, s in enumerate(seeds):
            for j in range(x.shape[0]):
                xv = x[j].item()
                yield (agent, env, params, int(s),
                       int(xv) if float(xv).is_integer() else xv,
                       float(self.values[i, j]), float(self.regret[i, j]))

    def _columns(self) -> list[str]:
        return ["agent", "env", "params", "seed", str(self.meta.get("x_label", "episode")),
                "value", "regret"]

    def to_frame(self):
        """The curves as a long ("tidy") pandas DataFrame, one row per seed and episode.

        Columns: ``agent``, ``env``, ``params`` (the agent's parameters as a
        JSON string with sorted keys), ``seed``, ``episode`` (``step`` for
        average-reward runs), ``value``, ``regret``. Results of
        :func:`theoryrl.sweep` and ``theoryrl run`` give the env's name and the
        agent's constructor arguments; others ``repr(mdp)`` and ``agent.params()``.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install pandas``; :meth:`to_csv`
            needs no pandas).
        """
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("Result.to_frame needs pandas: pip install pandas "
                              "(or use Result.to_csv, which does not)") from e
        return pd.DataFrame.from_records(list(self._rows()), columns=self._columns())

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the :meth:`to_frame` table as CSV (no pandas needed), atomically.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        pathlib.Path
        """
        return write_csv(path, [self])

    # -- plotting ------------------------------------------------------------
    def plot(self, ax=None, label: str | None = None, level: float = 0.95,
             quantity: str = "regret", logx: bool = False, logy: bool = False):
        """Mean curve with a t-based confidence band across seeds (matplotlib).

        Never changes matplotlib's backend: the figure is created with
        ``pyplot`` under whatever backend is active (inline in notebooks).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on (default: a new figure).
        label : str, optional
            Legend entry (default: the agent's name).
        level : float
            Confidence level of the band.
        quantity : str
            ``"regret"``, ``"values"`` or an ``extras`` key.
        logx, logy : bool
            Log-scaled axes. On a log axis the band's lower edge is clipped
            at a positive floor below the data rather than filled down to 0.

        Returns
        -------
        matplotlib.figure.Figure
        """
        return compare([self], ax=ax, labels=None if label is None else [label], level=level,
                       quantity=quantity, logx=logx, logy=logy)


FORMAT = "theoryrl.Result/2"


def _npz_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")


def write_csv(path: str | os.PathLike, results: list[Result]) -> Path:
    """Write the long tables of several results to one CSV file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file (replaced atomically).
    results : list of Result
        Their abscissa labels (``episode`` or ``step``) must agree.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    import csv
    import io

    if not results:
        raise ValueError("results must not be empty")
    cols = results[0]._columns()
    for r in results[1:]:
        if r._columns() != cols:
            raise ValueError(f"results mix abscissae {cols[4]!r} and {r._columns()[4]!r}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in results:
        for row in r._rows():
            w.writerow([repr(v) if isinstance(v, float) else v for v in row])
    atomic_write_bytes(path, buf.getvalue().encode())
    return Path(path)


def compare(results: list[Result], ax=None, labels: list[str] | None = None,
            level: float = 0.95, quantity: str = "regret", logx: bool = False,
            logy: bool = False):
    """Mean curves of several results side by side, each with its confidence band.

    Parameters
    ----------
    results : list of Result
        The runs to compare (agents or parameters side by side).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new ``pyplot`` figure; the backend is
        never changed).
    labels : list of str, optional
        Legend entries (default: each result's agent name, with its
        parameters when two results share a name).
    level : float
        Confidence level of the t-based bands across seeds.
    quantity : str
        ``"regret"``, ``"values"`` or an ``extras`` key present in every result.
    logx, logy : bool
        Log-scaled axes. On a log y axis a band whose lower edge is not
        positive is clipped at a floor below every plotted positive value (so
        it reaches the bottom of the axes) instead of being filled down to 0,
        which would stretch the axes to the smallest float.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding ``ax``.
    """
    from scipy import stats

    results = list(results)
    if not results or not all(isinstance(r, Result) for r in results):
        raise TypeError("results must be a non-empty list of Result")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    if labels is not None and len(labels) != len(results):
        raise ValueError(f"labels must have one entry per result ({len(results)}), "
                         f"got {len(labels)}")
    if labels is None:
        names = [str(r.meta.get("agent", "")) for r in results]
        labels = [n if names.count(n) == 1 else f"{n} {_short_params(r.meta)}"
                  for n, r in zip(names, results)]
    if ax is None:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
    else:
        fig = ax.figure
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    curves = []
    for r in results:
        if quantity in ("regret", "values"):
            y = np.asarray(getattr(r, quantity), dtype=float)
        elif quantity in r.extras:
            y = np.asarray(r.extras[quantity], dtype=float)
        else:
            raise ValueError(f"quantity must be 'regret', 'values' or an extras key "
                             f"{sorted(r.extras)}, got {quantity!r}")
        m = np.nanmean(y, axis=0)
        n = y.shape[0]
        half = (stats.t.ppf(0.5 + level / 2, n - 1) * np.nanstd(y, axis=0, ddof=1) / np.sqrt(n)
                if n > 1 else None)
        curves.append((np.asarray(r.x, dtype=float), m, half))
    floor = None
    if logy:
        pos = [c[1][c[1] > 0] for c in curves] + [
            (c[1] - c[2])[(c[1] - c[2]) > 0] for c in curves if c[2] is not None]
        pos = np.concatenate(pos) if pos else np.empty(0)
        # half the smallest positive plotted value: the band then runs to the
        # bottom of the axes where its lower edge is not positive
        floor = 0.5 * pos.min() if pos.size else None
    for (x, m, half), lab, r in zip(curves, labels, results):
        (line,) = ax.plot(x, m, label=lab)
        if half is not None:
            lo, hi = m - half, m + half
            if logy:
                if floor is None:
                    continue
                lo, hi = np.maximum(lo, floor), np.maximum(hi, floor)
            ax.fill_between(x, lo, hi, alpha=0.25, color=line.get_color(), linewidth=0)
        ax.set_xlabel(str(r.meta.get("x_label", "episode")))
    ax.set_ylabel(quantity)
    if any(labels):
        ax.legend()
    return fig


def _short_params(meta: dict) -> str:
    p = meta.get("params", {})
    if not isinstance(p, dict):
        return str(p)
    return ", ".join(f"{k}={v}" for k, v in sorted(p.items()))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
