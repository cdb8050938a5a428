"""Resumable experiments and sweeps, stored one (agent, env, parameters, seed) cell at a time.

A *cell* is one seed of one configuration. Its inputs (agent and env names,
their parameters with the signatures' defaults filled in, the budget, the base
seed, the seed id and the package version) are hashed; the cell's result is
saved atomically as ``<out>/.cells/<hash>.npz`` as soon as it arrives, so an
interrupted sweep or ``theoryrl run --out`` resumes where it stopped: a rerun
loads every finished cell and computes only the others. A run's numbers depend
only on ``(base_seed, seed)`` (:func:`theoryrl.experiment.seed_sequences`), so
the seeds of a configuration assembled from cells are bit-identical to one
``run(..., seeds=N)`` call.

Cells run through joblib (``n_jobs``, ``backend``), so a Dask or Ray backend
spreads them over a cluster; results come back to the calling process, which
alone writes to ``out``.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_int
from .result import Result, compare, save_figure, write_csv

__all__ = ["Cell", "Config", "SweepResult", "available_agents", "available_envs",
           "build_config", "run_config", "sweep"]

_MODEL_TYPES = ("TabularMDP", "HardMDP", "LinearMixtureMDP")
_SCALAR_TYPES = {"int", "float", "str", "bool"}


# -- what can be run --------------------------------------------------------------------

def available_agents() -> dict[str, type]:
    """The learning agents of :mod:`theoryrl.agents`, by name (no base classes or records).

    Returns
    -------
    dict of str to type
    """
    from .. import agents
    from ..agents.average import AverageAgent
    from ..agents.base import Agent

    out = {}
    for name in agents.__all__:
        obj = getattr(agents, name, None)
        if (isinstance(obj, type) and issubclass(obj, (Agent, AverageAgent))
                and obj not in (Agent, AverageAgent) and not inspect.isabstract(obj)):
            out[name] = obj
    return dict(sorted(out.items()))


def _is_scalar_annotation(ann: Any) -> bool:
    if ann is inspect.Parameter.empty:
        return False
    text = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    return all(part.strip() in _SCALAR_TYPES | {"None"} for part in text.split("|"))


def available_envs() -> dict[str, Callable]:
    """The named environments of :mod:`theoryrl.envs` that ``run`` can drive, by name.

    An environment is a function returning a model (``TabularMDP``,
    ``HardMDP`` or ``LinearMixtureMDP``) whose required parameters are all
    scalars, so the command line can build it; helpers (baselines, converters,
    grid utilities) are left out.

    Returns
    -------
    dict of str to callable
    """
    from .. import envs

    out = {}
    for name in envs.__all__:
        fn = getattr(envs, name, None)
        if not inspect.isfunction(fn):
            continue
        sig = inspect.signature(fn)
        ret = sig.return_annotation
        ret = ret if isinstance(ret, str) else getattr(ret, "__name__", "")
        if ret not in _MODEL_TYPES:
            continue
        required = [p for p in sig.parameters.values()
                    if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if all(_is_scalar_annotation(p.annotation) for p in required):
            out[name] = fn
    return dict(sorted(out.items()))


def is_episodic(cls: type) -> bool:
    """Whether ``cls`` is an episodic agent (``episodes=``) rather than an average-reward one."""
    from ..agents.base import Agent

    return issubclass(cls, Agent)


def user_parameters(fn: Callable, skip: Iterable[str] = ()) -> list[inspect.Parameter]:
    """The parameters of ``fn`` a user may set by name (positional-only and ``*args``
    / ``**kwargs`` excluded, as are the names in ``skip``).

    A ``None`` default that a class resolves from a class attribute of the same
    name (``UCBVI.bonus``) is reported as that attribute's value.
    """
    skip = set(skip)
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) or p.name in skip:
            continue
        if isinstance(fn, type) and p.default is None:
            attr = inspect.getattr_static(fn, p.name, None)
            if isinstance(attr, (bool, int, float, str)):
                p = p.replace(default=attr)
        out.append(p)
    return out


def settable(p: inspect.Parameter) -> bool:
    """Whether a value for ``p`` can be written on the command line (a scalar), as far
    as its annotation or default tells."""
    if p.default is not p.empty:
        return p.default is None or isinstance(p.default, (bool, int, float, str, tuple, list))
    return _is_scalar_annotation(p.annotation)


# -- one configuration -------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    """One experiment configuration (every seed of it), validated and hashable.

    Attributes
    ----------
    agent, env : str
        Names in :func:`available_agents` and :func:`available_envs`.
    params, env_params : dict
        Keyword arguments, with the signatures' defaults filled in (JSON values).
    episodes, steps : int or None
        The budget (exactly one is set).
    base_seed : int
        Root of every seed's ``SeedSequence``.
    """

    agent: str
    env: str
    params: dict = field(hash=False)
    env_params: dict = field(hash=False)
    episodes: int | None
    steps: int | None
    base_seed: int
    user_params: dict = field(default_factory=dict, hash=False, compare=False)

    def inputs(self) -> dict:
        """Everything the numbers depend on, except the seed (JSON)."""
        from .. import __version__

        return {"agent": self.agent, "params": self.params, "env": self.env,
                "env_params": self.env_params, "episodes": self.episodes,
                "steps": self.steps, "base_seed": self.base_seed, "theoryrl": __version__}

    def key(self, seed: int | None = None) -> str:
        """SHA-256 of :meth:`inputs` (and of ``seed`` when given), hex."""
        doc = self.inputs() if seed is None else {**self.inputs(), "seed": int(seed)}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    def stem(self, seeds: Sequence[int]) -> str:
        """File stem ``<agent>_<env>_<8 hex digits>`` hashing the inputs and the seeds."""
        doc = {**self.inputs(), "seeds": [int(s) for s in seeds]}
        h = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:8]
        return f"{self.agent}_{self.env}_{h}"

    def label(self) -> str:
        """``agent(k=v, ...)`` with the parameters the user set."""
        inner = ", ".join(f"{k}={v}" for k, v in sorted(self.user_params.items()))
        return f"{self.agent}({inner})" if inner else self.agent

    def build(self) -> tuple[Any, Any]:
        """Construct ``(agent, mdp)``."""
        from .. import envs

        mdp = available_envs()[self.env](**self.env_params)
        cls = available_agents()[self.agent]
        names = {p.name for p in user_parameters(cls)}
        auto = {}
        if "episodes" in names and self.episodes is not None:
            auto["episodes"] = self.episodes
        if "steps" in names and self.steps is not None:
            auto["steps"] = self.steps
        baseline_fn = getattr(envs, f"{self.env}_baseline", None)
        if "baseline" in names and baseline_fn is not None and "baseline" not in self.params:
            auto["baseline"] = baseline_fn(mdp)  # conservative envs ship their baseline
        return cls(mdp.spec, **self.params, **auto), mdp


def _json_value(x: Any, name: str) -> Any:
    try:
        json.dumps(x)
    except TypeError:
        raise TypeError(f"{name} must be a JSON value (number, string, bool, list), "
                        f"got {type(x).__name__}") from None
    return x


def _bind(fn: Callable, given: Mapping[str, Any], what: str, reserved: Mapping[str, str],
          skip: Iterable[str]) -> dict:
    """``given`` bound strictly to ``fn``'s user parameters, defaults filled in."""
    params = {p.name: p for p in user_parameters(fn, skip)}
    for k in given:
        if k in reserved:
            raise ValueError(f"{what}: {k!r} is set by {reserved[k]}, not as a parameter")
        if k not in params:
            valid = ", ".join(sorted(set(params) - set(reserved))) or "none"
            raise ValueError(f"{what} has no parameter {k!r}; valid parameters: {valid}")
    out = {}
    for name, p in params.items():
        if name in given:
            out[name] = _json_value(given[name], f"{what} parameter {name!r}")
        elif name in reserved:
            continue
        elif p.default is p.empty:
            if not settable(p):
                raise ValueError(f"{what} needs parameter {name!r}, which is not a number or "
                                 f"a string: build it in Python and call theoryrl.run")
            raise ValueError(f"{what} needs parameter {name!r} (no default)")
        else:
            try:
                out[name] = json.loads(json.dumps(p.default))
            except TypeError:
                continue  # array or object defaults are not inputs the user can vary
    return out


def build_config(agent: str, env: str, *, params: Mapping[str, Any] | None = None,
                 env_params: Mapping[str, Any] | None = None, episodes: int | None = None,
                 steps: int | None = None, base_seed: int = 0, construct: bool = True
                 ) -> Config:
    """Validate one configuration (names, strict parameters, budget); optionally build it.

    Parameters
    ----------
    agent, env : str
        Names in :func:`available_agents` and :func:`available_envs`.
    params, env_params : dict, optional
        Agent and env keyword arguments; every key must be a parameter of the
        constructor (resp. env function).
    episodes, steps : int, optional
        Exactly one: ``episodes`` for episodic agents, ``steps`` for
        average-reward ones.
    base_seed : int
    construct : bool
        Also build the agent and the model once, so their own argument checks
        run now (``ValueError``/``TypeError`` naming the argument).

    Returns
    -------
    Config
    """
    agents, envs_ = available_agents(), available_envs()
    if agent not in agents:
        raise ValueError(f"agent must be one of {', '.join(agents)}; got {agent!r}")
    if env not in envs_:
        raise ValueError(f"env must be one of {', '.join(envs_)}; got {env!r}")
    if isinstance(base_seed, bool):
        raise TypeError("base_seed must be an int, got bool")
    base_seed = check_int(base_seed, "base_seed", 0)
    cls, env_fn = agents[agent], envs_[env]
    episodic = is_episodic(cls)
    if episodic and steps is not None or not episodic and episodes is not None:
        need = "episodes" if episodic else "steps"
        kind = "an episodic" if episodic else "an average-reward"
        raise ValueError(f"{agent} is {kind} agent: give {need}, not "
                         f"{'steps' if episodic else 'episodes'}")
    budget = episodes if episodic else steps
    if budget is None:
        raise ValueError(f"{agent} is {'an episodic' if episodic else 'an average-reward'} "
                         f"agent: give {'episodes' if episodic else 'steps'}")
    budget = check_int(budget, "episodes" if episodic else "steps", 1)
    env_params = dict(env_params or {})
    env_names = {p.name for p in user_parameters(env_fn)}
    if episodic and env_params.get("horizon") is None:
        if "horizon" in env_names and inspect.signature(env_fn).parameters["horizon"].default \
                is None:
            raise ValueError(f"{agent} is episodic and {env} has no default horizon: "
                             f"give a horizon (e.g. --horizon 20)")
        if "horizon" not in env_names:
            raise ValueError(f"{agent} is episodic but {env} is an average-reward env; "
                             f"pick an episodic env or an average-reward agent")
    if not episodic and env_params.get("horizon") is not None:
        raise ValueError(f"{agent} is an average-reward agent: give no horizon")
    if not episodic and "gamma" in env_names and env_params.get("gamma") is not None:
        raise ValueError(f"{agent} is an average-reward agent: give no gamma")
    envb = _bind(env_fn, env_params, f"env {env}", {}, ())
    reserved = {"episodes": "the episode budget"} if episodic else {"steps": "the step budget"}
    reserved = {k: v for k, v in reserved.items()
                if k in {p.name for p in user_parameters(cls)}}
    user = dict(params or {})
    agb = _bind(cls, user, agent, reserved, ("spec",))
    if "baseline" in agb and agb["baseline"] is None:
        agb.pop("baseline")  # filled from <env>_baseline when the env ships one
    cfg = Config(agent, env, agb, envb, budget if episodic else None,
                 None if episodic else budget, base_seed, user)
    if construct:
        cfg.build()
    return cfg


# -- cells -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One seed of one :class:`Config`."""

    config: Config
    seed: int

    @property
    def key(self) -> str:
        return self.config.key(self.seed)


def _run_cell(cell: Cell) -> tuple[str, Result]:
    from .driver import run

    agent, mdp = cell.config.build()
    c = cell.config
    res = run(agent, mdp, episodes=c.episodes, steps=c.steps, seeds=[cell.seed],
              base_seed=c.base_seed, n_jobs=1, progress=False)
    res.meta.update(_config_meta(c), seed_ids=[int(cell.seed)])
    return cell.key, res


def _config_meta(c: Config) -> dict:
    return {"agent_class": c.agent, "agent_params": c.params, "env_name": c.env,
            "env_params": c.env_params, "base_seed": c.base_seed}


def combine(parts: Sequence[Result]) -> Result:
    """Stack one-seed results of one configuration into one result (seed order kept)."""
    if not parts:
        raise ValueError("parts must not be empty")
    x = parts[0].x
    for p in parts[1:]:
        if not np.array_equal(p.x, x):
            raise ValueError("parts must share their abscissa x")
    values = np.concatenate([p.values for p in parts])
    regret = np.concatenate([p.regret for p in parts])
    keys = sorted({k for p in parts for k in p.extras})
    extras = {}
    for k in keys:
        # the driver stores component values only where they differ from the mixture's
        fill = (lambda p: p.values) if k == "component_values" else (
            lambda p: np.full_like(p.values, np.nan))
        extras[k] = np.concatenate([p.extras[k] if k in p.extras else fill(p) for p in parts])
    meta = dict(parts[0].meta)
    meta.update(seeds=len(parts), seed_ids=[s for p in parts for s in p.meta["seed_ids"]],
                seconds=float(sum(p.meta.get("seconds", 0.0) for p in parts)))
    return Result(values, regret, parts[0].optimal_value, extras, x, meta)


class _Store:
    """``<out>/.cells/<key>.npz``: finished cells, each written atomically."""

    def __init__(self, out: Path) -> None:
        self.dir = Path(out) / ".cells"

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.npz"

    def load(self, key: str) -> Result | None:
        p = self.path(key)
        if not p.exists():
            return None
        try:
            return Result.load(p)
        except ValueError:
            return None  # unreadable: recompute it

    def save(self, key: str, res: Result) -> None:
        res.save(self.path(key))


def _execute(cells: list[Cell], store: _Store | None, *, force: bool, n_jobs: int,
             backend: str | None, progress: Any) -> dict[str, Result]:
    """Results of every cell: loaded from ``store`` when finished, else computed
    (through joblib when ``n_jobs != 1`` or a backend is given) and saved."""
    done: dict[str, Result] = {}
    todo = []
    for c in cells:
        r = None if (store is None or force) else store.load(c.key)
        if r is None:
            todo.append(c)
        else:
            done[c.key] = r
    if progress is not None:
        progress.start(total_cells=len(cells), reused=len(done), cells=todo)
    try:
        for key, res in _map(todo, n_jobs, backend, progress):
            if store is not None:
                store.save(key, res)
            done[key] = res
            if progress is not None:
                progress.cell_done()
    finally:
        if progress is not None:
            progress.stop()
    return done


def _map(todo: list[Cell], n_jobs: int, backend: str | None, progress: Any):
    if not todo:
        return
    if n_jobs == 1 and backend is None:
        for c in todo:
            with (progress.episode_hook() if progress is not None else nullcontext()):
                yield _run_cell(c)
        return
    from joblib import Parallel, delayed, parallel_config

    # per-episode progress from local workers through a manager queue; remote
    # back-ends (dask, ray) report finished cells only
    local = backend in (None, "loky", "multiprocessing", "threading")
    with parallel_config(backend=backend) if backend is not None else nullcontext(), \
            (_EpisodeFeed(progress) if progress is not None and local else nullcontext()) as feed:
        par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        if feed is None:
            yield from par(delayed(_run_cell)(c) for c in todo)
        else:
            yield from par(delayed(_run_cell_reporting)(c, feed.queue) for c in todo)


class _Batcher:
    """Episode counts sent to the parent at most every 0.25 s (keeps the queue quiet)."""

    def __init__(self, queue) -> None:
        self.queue, self.n, self.t = queue, 0, time.perf_counter()

    def __call__(self, n: int) -> None:
        self.n += n
        now = time.perf_counter()
        if now - self.t >= 0.25:
            self.flush()
            self.t = now

    def flush(self) -> None:
        if self.n:
            self.queue.put(self.n)
            self.n = 0


def _run_cell_reporting(cell: Cell, queue) -> tuple[str, Result]:
    from .episodes import episode_callback

    batch = _Batcher(queue)
    with episode_callback(batch):
        out = _run_cell(cell)
    batch.flush()
    return out


class _EpisodeFeed:
    """A manager queue the workers put episode counts on, drained by a parent thread."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress

    def __enter__(self) -> _EpisodeFeed:
        import multiprocessing
        import threading

        self._mgr = multiprocessing.Manager()
        self.queue = self._mgr.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()
        return self

    def _drain(self) -> None:
        import queue as _queue

        while not self._stop.is_set():
            try:
                n = self.queue.get(timeout=0.2)
            except _queue.Empty:
                continue
            except (EOFError, OSError):  # manager gone (shutdown)
                return
            self.progress._tick(n)

    def __exit__(self, *exc) -> None:
        import queue as _queue

        self._stop.set()
        self._thread.join(timeout=2)
        try:
            while True:  # counts that arrived after the last poll
                self.progress._tick(self.queue.get_nowait())
        except (_queue.Empty, EOFError, OSError):
            pass
        self._mgr.shutdown()


def run_config(config: Config, seeds: int | Sequence[int], *, out: str | os.PathLike | None,
               force: bool = False, n_jobs: int = 1, backend: str | None = None,
               progress: Any = None) -> Result:
    """Every seed of ``config``, resuming from ``out/.cells`` (module docstring).

    Parameters
    ----------
    config : Config
    seeds : int or sequence of int
        Number of seeds (ids ``0..N-1``) or the ids.
    out : path or None
        Folder of the cell store (``None``: keep nothing).
    force : bool
        Recompute every cell even if stored.
    n_jobs, backend
        joblib workers and backend.

    Returns
    -------
    Result
        Seeds in the order given, bit-identical to ``run(..., seeds=seeds)``.
    """
    ids = _seed_ids(seeds)
    cells = [Cell(config, s) for s in ids]
    got = _execute(cells, None if out is None else _Store(Path(out)), force=force,
                   n_jobs=n_jobs, backend=backend, progress=progress)
    return combine([got[c.key] for c in cells])


def _seed_ids(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, bool):
        raise TypeError("seeds must be an int or a sequence of ints, got bool")
    if isinstance(seeds, (int, np.integer)):
        return list(range(check_int(seeds, "seeds", 1)))
    ids = [check_int(s, "seeds[i]", 0) for s in seeds]
    if not ids:
        raise ValueError("seeds must not be empty")
    if len(set(ids)) != len(ids):
        raise ValueError(f"seeds must be distinct, got {ids}")
    return ids


# -- sweeps ------------------------------------------------------------------------------

def _grid(values: Mapping[str, Any] | None, what: str) -> list[dict]:
    """Cartesian product of ``{name: [alternatives]}`` (a scalar is one alternative)."""
    grid = dict(values or {})
    if not isinstance(grid, dict):
        raise TypeError(f"{what} must be a mapping of parameter name to a list of values")
    names = sorted(grid)
    alts = [v if isinstance(v, list) else [v] for v in (grid[n] for n in names)]
    for n, a in zip(names, alts):
        if not a:
            raise ValueError(f"{what}[{n!r}] must list at least one value")
    return [dict(zip(names, combo)) for combo in itertools.product(*alts)]


def _named(spec: Any, what: str) -> dict[str, dict]:
    if isinstance(spec, str):
        return {spec: {}}
    if isinstance(spec, Mapping):
        return {str(k): dict(v or {}) for k, v in spec.items()}
    if isinstance(spec, Sequence):
        return {str(k): {} for k in spec}
    raise TypeError(f"{what} must be a name, a list of names or a mapping name -> parameter "
                    f"grid, got {type(spec).__name__}")


@dataclass
class SweepResult:
    """The configurations of a sweep and their results (every seed).

    Attributes
    ----------
    configs : list of Config
    results : list of Result
        ``results[i]`` holds every seed of ``configs[i]``.
    files : dict of str to pathlib.Path
        What was written: ``"table"`` (CSV), ``"plot:<env>"`` (PNG) and one
        ``.npz`` per configuration (keyed by its stem).
    """

    configs: list[Config]
    results: list[Result]
    files: dict[str, Path] = field(default_factory=dict)

    def to_frame(self):
        """All results as one long table (:meth:`Result.to_frame`), pandas needed."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("SweepResult.to_frame needs pandas: pip install pandas") from e
        return pd.concat([r.to_frame() for r in self.results], ignore_index=True)

    def plot(self, env: str | None = None, **kwargs: Any):
        """Comparison plot (:func:`theoryrl.experiment.compare`) of the configurations on
        ``env`` (default: the only env of the sweep)."""
        envs = sorted({c.env for c in self.configs})
        if env is None:
            if len(envs) != 1:
                raise ValueError(f"env must be given when the sweep has several: {envs}")
            env = envs[0]
        pick = [(c, r) for c, r in zip(self.configs, self.results) if c.env == env]
        if not pick:
            raise ValueError(f"env must be one of {envs}, got {env!r}")
        kwargs.setdefault("labels", _labels([c for c, _ in pick]))
        return compare([r for _, r in pick], **kwargs)


def _labels(configs: list[Config]) -> list[str]:
    labels = [c.label() for c in configs]
    if len(set(labels)) < len(labels):  # same user parameters, different envs' settings
        labels = [f"{c.label()} {json.dumps(c.env_params, sort_keys=True)}" for c in configs]
    return labels


def sweep(agents: Any, envs: Any, seeds: int | Sequence[int] = 4, *,
          episodes: int | None = None, steps: int | None = None,
          params: Mapping[str, Any] | None = None, base_seed: int = 0,
          out: str | os.PathLike = "sweep_out", n_jobs: int = 1, backend: str | None = None,
          force: bool = False, progress: bool | None = None, plot: bool = True
          ) -> SweepResult:
    """Run a grid of agents x parameters x envs x seeds, stored and resumable cell by cell.

    Parameters
    ----------
    agents : str, list of str, or dict
        Agent names, or ``{name: {parameter: [values, ...]}}``: each agent's
        own parameter grid (a scalar is a one-value list).
    envs : str, list of str, or dict
        Env names, or ``{name: {parameter: [values, ...]}}``.
    seeds : int or sequence of int
        Number of seeds (ids ``0..N-1``) or the ids.
    episodes, steps : int, optional
        The budget: ``episodes`` for episodic agents, ``steps`` for
        average-reward ones (exactly one).
    params : dict, optional
        A grid shared by every agent, crossed with each agent's own grid.
    base_seed : int
    out : path
        Folder: ``.cells/`` (one file per finished cell), one ``.npz`` per
        configuration, ``results.csv`` (tidy table) and ``compare_<env>.png``.
        A rerun with the same arguments skips every finished cell.
    n_jobs, backend
        joblib workers and backend (``"loky"``, ``"threading"``, ``"dask"``,
        ``"ray"``...); every cell is one task.
    force : bool
        Recompute stored cells.
    progress : bool, optional
        Progress display on stderr (default: when stderr is a terminal).
    plot : bool
        Write the comparison plots.

    Returns
    -------
    SweepResult
    """
    n_jobs = check_int(n_jobs, "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number or negative (joblib style), got 0")
    ids = _seed_ids(seeds)
    agent_grid, env_grid = _named(agents, "agents"), _named(envs, "envs")
    if not agent_grid or not env_grid:
        raise ValueError("agents and envs must each name at least one")
    shared = _grid(params, "params")
    configs = []
    for env, eg in env_grid.items():
        for env_kw in _grid(eg, f"envs[{env!r}]"):
            for agent, ag in agent_grid.items():
                for kw in _grid(ag, f"agents[{agent!r}]"):
                    for skw in shared:
                        configs.append(build_config(
                            agent, env, params={**skw, **kw}, env_params=env_kw,
                            episodes=episodes, steps=steps, base_seed=base_seed))
    if len({c.key() for c in configs}) != len(configs):
        raise ValueError("the grid lists the same configuration twice")
    out = Path(out)
    cells = [Cell(c, s) for c in configs for s in ids]
    show = progress if isinstance(progress, _Reporter) else make_progress(progress)
    got = _execute(cells, _Store(out), force=force, n_jobs=n_jobs, backend=backend,
                   progress=show)
    results = [combine([got[Cell(c, s).key] for s in ids]) for c in configs]
    files: dict[str, Path] = {}
    for c, r in zip(configs, results):
        stem = c.stem(ids)
        files[stem] = r.save(out / stem)
    files["table"] = write_csv(out / "results.csv", results)
    sw = SweepResult(configs, results, files)
    if plot:
        import matplotlib.pyplot as plt

        for env in sorted({c.env for c in configs}):
            fig = sw.plot(env)
            files[f"plot:{env}"] = save_figure(fig, out / f"compare_{env}.png")
            plt.close(fig)
    return sw


# -- progress ----------------------------------------------------------------------------

def make_progress(progress: bool | None, stream=None, log: bool = False) -> Any:
    """A progress reporter for :func:`_execute`, or ``None``.

    ``True``, or ``None`` when ``stream`` (stderr) is a terminal: a rich
    progress bar. Otherwise :class:`LogProgress` (periodic plain lines) when
    ``log`` and ``progress`` is not ``False``, else ``None``.
    """
    stream = sys.stderr if stream is None else stream
    tty = stream.isatty()
    if progress is False:
        return None
    if progress or tty:
        return RichProgress() if tty else LogProgress(stream)
    return LogProgress(stream) if log else None


class _Reporter:
    """Counts cells and episodes; subclasses display them."""

    def start(self, total_cells: int, reused: int, cells: list[Cell]) -> None:
        self.total_cells, self.reused, self.cells_done = total_cells, reused, 0
        self.total_units = sum(c.config.episodes or c.config.steps for c in cells)
        self.units_done = 0
        self.unit_name = "episodes" if all(c.config.episodes for c in cells) else "units"
        self.t0 = time.perf_counter()
        self._cell_units = 0

    def episode_hook(self):
        from .episodes import episode_callback

        return episode_callback(self._tick)

    def _tick(self, n: int) -> None:
        self.units_done += n
        self._cell_units += n
        self.show()

    def cell_done(self) -> None:
        self.cells_done += 1
        self._cell_units = 0
        self.show(force=True)

    def show(self, force: bool = False) -> None:  # pragma: no cover - display only
        pass

    def stop(self) -> None:  # pragma: no cover - display only
        pass


class RichProgress(_Reporter):
    """A rich progress bar on stderr (episodes when run in this process, else cells)."""

    def start(self, total_cells, reused, cells):
        from rich.progress import Progress

        super().start(total_cells, reused, cells)
        self._bar = Progress(transient=True)
        self._bar.start()
        self._cells = self._bar.add_task(f"cells ({reused} reused)", total=total_cells,
                                         completed=reused)
        self._eps = self._bar.add_task(self.unit_name, total=self.total_units)
        self._last = 0.0

    def show(self, force=False):
        now = time.perf_counter()
        if force or now - self._last > 0.1:
            self._bar.update(self._cells, completed=self.reused + self.cells_done)
            self._bar.update(self._eps, completed=self.units_done)
            self._last = now

    def stop(self):
        self._bar.stop()


class LogProgress(_Reporter):
    """Plain progress lines every ``every`` seconds (when stderr is not a terminal)."""

    def __init__(self, stream=None, every: float = 10.0) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.every = every

    def start(self, total_cells, reused, cells):
        super().start(total_cells, reused, cells)
        self._last = time.perf_counter()
        if reused:
            self._line(f"{reused} of {total_cells} cells already stored, reused")

    def _line(self, text: str) -> None:
        print(f"[theoryrl] {text}", file=self.stream, flush=True)

    def show(self, force=False):
        now = time.perf_counter()
        if now - self._last >= self.every:
            self._last = now
            eps = (f", {self.units_done}/{self.total_units} {self.unit_name}"
                   if self.units_done else "")
            self._line(f"{self.reused + self.cells_done}/{self.total_cells} cells{eps}, "
                       f"{now - self.t0:.0f} s")

    def stop(self):
        self._line(f"{self.reused + self.cells_done}/{self.total_cells} cells done in "
                   f"{time.perf_counter() - self.t0:.1f} s")
