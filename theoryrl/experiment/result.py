"""Experiment results: exact per-episode curves, atomic save/load, plotting."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Result", "atomic_write_bytes", "save_figure"]


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
        """Write ``<path>.npz`` (arrays) and ``<path>.json`` (metadata), each atomically.

        ``load`` reads them back without unpickling anything.
        """
        import io

        base = Path(path)
        if base.suffix in (".npz", ".json"):
            base = base.with_suffix("")
        arrays = {"values": self.values, "regret": self.regret, "x": self.x}
        arrays.update({f"extra__{k}": v for k, v in self.extras.items()})
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(base.with_suffix(".npz"), buf.getvalue())
        meta = {"optimal_value": float(self.optimal_value), "meta": self.meta,
                "format": "theoryrl.Result/1"}
        atomic_write_bytes(base.with_suffix(".json"),
                           json.dumps(meta, indent=2, default=_json_default).encode())
        return base

    @classmethod
    def load(cls, path: str | os.PathLike) -> Result:
        """Read a result written by :meth:`save` (``allow_pickle=False``)."""
        base = Path(path)
        if base.suffix in (".npz", ".json"):
            base = base.with_suffix("")
        meta = json.loads(base.with_suffix(".json").read_text())
        with np.load(base.with_suffix(".npz"), allow_pickle=False) as z:
            extras = {k[len("extra__"):]: z[k] for k in z.files if k.startswith("extra__")}
            return cls(z["values"], z["regret"], meta["optimal_value"], extras, z["x"],
                       meta["meta"])

    # -- plotting ------------------------------------------------------------
    def plot(self, ax=None, label: str | None = None, level: float = 0.95,
             quantity: str = "regret"):
        """Mean curve with a t-based confidence band across seeds (matplotlib).

        ``quantity`` is ``"regret"``, ``"values"`` or an ``extras`` key.
        Returns the figure.
        """
        import matplotlib

        if ax is None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from scipy import stats

        y = getattr(self, quantity) if quantity in ("regret", "values") else self.extras[quantity]
        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 4))
        else:
            fig = ax.figure
        m = np.nanmean(y, axis=0)
        n = y.shape[0]
        label = label or str(self.meta.get("agent", ""))
        ax.plot(self.x, m, label=label)
        if n > 1:
            half = stats.t.ppf(0.5 + level / 2, n - 1) * np.nanstd(y, axis=0, ddof=1) / np.sqrt(n)
            ax.fill_between(self.x, m - half, m + half, alpha=0.25)
        ax.set_xlabel(str(self.meta.get("x_label", "episode")))
        ax.set_ylabel(quantity)
        if label:
            ax.legend()
        return fig


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
