"""The ``theoryrl`` command: proof checks, experiments, sweeps, benchmarks, exercises.

Every user error ends with one line on stderr and exit status 2 (the usage-error
convention); ``theoryrl --debug ...`` shows the traceback instead. Worker
processes started for ``--n-jobs`` are shut down when the command exits or is
interrupted (SIGINT, SIGTERM, SIGHUP).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

console = Console(stderr=True)
_state = {"debug": False}

# exceptions that mean "the input was wrong" (the package raises ValueError/TypeError naming
# the argument; OSError: a path that cannot be read or written)
_USER_ERRORS = (ValueError, TypeError, OSError)


# typer carries its own copy of click's exception classes
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class _Terminated(BaseException):
    """SIGTERM or SIGHUP received."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(prefix: str, message: str, code: int) -> None:
    typer.echo(f"{prefix}: error: {_one_line(message)}", err=True)
    sys.exit(code)


class _Group(TyperGroup):
    """Turns every error into one line on stderr (``--debug``: the traceback) and shuts
    joblib's worker processes down on exit and on signals."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        _state["debug"] = bool(os.environ.get("THEORYRL_DEBUG"))
        name = prog_name or "theoryrl"
        old = _install_signal_handlers()
        try:
            rc = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
        except _CLICK_ERROR as e:
            ctx = getattr(e, "ctx", None)
            if type(e).__name__ == "NoArgsIsHelpError":
                e.show()  # the help text
                sys.exit(2)
            where = ctx.command_path if ctx is not None else name
            hint = f" (see {where} --help)" if isinstance(e, _USAGE_ERROR) else ""
            _fail(where, e.format_message() + hint, e.exit_code)
        except (KeyboardInterrupt, typer.Abort, _Terminated):
            if _state["debug"]:
                raise
            _fail(name, "interrupted; files written so far are kept", 130)
        except Exception as e:
            if _state["debug"]:
                raise
            user = isinstance(e, _USER_ERRORS)
            msg = str(e) or type(e).__name__
            if not user:
                msg = f"{type(e).__name__}: {msg} (rerun with --debug for the traceback)"
            _fail(name, msg, 2 if user else 1)
        finally:
            shutdown_workers()
            _restore_signal_handlers(old)
        if rc == 130:  # typer turns KeyboardInterrupt into exit status 130
            _fail(name, "interrupted; files written so far are kept", 130)
        if not standalone_mode:
            return rc
        sys.exit(rc if isinstance(rc, int) else 0)


def _raise_terminated(signum, frame):
    raise _Terminated(signal.Signals(signum).name)


def _install_signal_handlers() -> dict:
    import threading

    old = {}
    if threading.current_thread() is not threading.main_thread():
        return old
    for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)):
        if sig is not None:
            old[sig] = signal.signal(sig, _raise_terminated)
    return old


def _restore_signal_handlers(old: dict) -> None:
    for sig, handler in old.items():
        signal.signal(sig, handler)


def shutdown_workers() -> None:
    """Stop joblib's reusable loky worker processes now (they otherwise idle for minutes,
    holding the caller's pipes). Starts nothing when none are running."""
    mod = sys.modules.get("joblib.externals.loky.reusable_executor")
    ex = getattr(mod, "_executor", None) if mod is not None else None
    if ex is not None:
        ex.shutdown(wait=False, kill_workers=True)


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False,
                  help="Provably efficient RL on exact models, with proof checks.")


@app.callback()
def _global(debug: Annotated[bool, typer.Option(
        "--debug", help="Show the Python traceback of an error instead of one line (also: "
        "THEORYRL_DEBUG=1).")]
        = False) -> None:
    """Provably efficient RL on exact models, with proof checks."""
    if debug:
        _state["debug"] = True


@app.command()
def check(
    papers: Annotated[list[str] | None, typer.Argument(help="Papers to check (default: all).")]
    = None,
    quick: Annotated[bool, typer.Option("--quick", help="Small sweep (< 60 s a paper).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    seeds: Annotated[int | None, typer.Option(help="Override the number of seeds (>= 1).")]
    = None,
    replicate: Annotated[bool, typer.Option(
        "--replicate", help="Rerun every check on the fresh replication base seed.")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Write a Markdown verification report with figures to this folder.")] = None,
    n_jobs: Annotated[int, typer.Option(
        "--n-jobs", help="Workers inside one measurement (its seeds); with --workers above "
        "1 they are threads of the measurement's process.")] = 1,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Measurements run at a time, each in its own process, the "
        "costliest first (default: one per core, or 1 with --n-jobs above 1). The "
        "records do not depend on it, only their seconds.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Write check_<paper>.json here; finished checks are kept in <out>/units and "
             "reused when their inputs are unchanged.")] = None,
) -> None:
    """Run the proof checks; exit status 1 if any theorem check fails or an invariant breaks."""
    import proofs_checks
    from proofs_checks._harness import default_workers, run_papers, summary
    from theoryrl.experiment.result import atomic_write_bytes

    names = list(dict.fromkeys(papers or proofs_checks.available()))
    for p in names:
        if p not in proofs_checks.available():
            console.print(f"[red]unknown paper {p!r}; available: {proofs_checks.available()}")
            raise typer.Exit(2)
    for option, v in (("--seeds", seeds), ("--n-jobs", n_jobs), ("--workers", workers)):
        if v is not None and v < 1:
            console.print(f"[red]{option} must be at least 1, got {v}")
            raise typer.Exit(2)
    if workers is None:
        workers = default_workers() if n_jobs == 1 else 1
    show = console.is_terminal and not as_json
    t_all = time.perf_counter()

    def paper_done(p: str, res: list) -> None:
        if show:
            console.print(f"{p}: {summary(res)} ({sum(r.seconds for r in res):.1f}s measured)")
        if out is not None:
            atomic_write_bytes(Path(out) / f"check_{p}.json",
                               json.dumps([r.to_json() for r in res], indent=2).encode())

    tier = "quick" if quick else "full"
    with (console.status(f"checking ({tier}, {workers} at a time)...") if show
          else contextlib.nullcontext()) as st:
        done = run_papers(names, quick=quick, seeds=seeds, n_jobs=n_jobs, replicate=replicate,
                          workers=workers, store=out, on_paper=paper_done,
                          progress=None if st is None
                          else (lambda m: st.update(f"checking ({tier}): {m}...")))
    results = [r for p in names for r in done[p]]
    rows = [r.to_json() for r in results]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        Console().print(_check_table(rows, replicate))
    line = f"{summary(results)} ({time.perf_counter() - t_all:.1f}s)"
    if as_json:
        console.print(line)
    else:
        Console().print(line)
    if report is not None:
        from proofs_checks._report import write_report

        path = write_report(results, report, tier="quick" if quick else "full",
                            replicate=replicate)
        console.print(f"wrote {path}")
    if any(r.verdict == "fail" for r in results):
        raise typer.Exit(1)


_VERDICT_STYLE = {"pass": "[green]PASS", "fail": "[red]FAIL", "inconclusive": "[yellow]INCONCL."}


def _check_table(rows: list[dict], replicate: bool) -> Table:
    """The rich table of check records: theorem checks first, then invariants."""
    table = Table(title="theoryrl proof checks")
    cols = ["paper", "check", "kind", "amended", "measured", "CI", "bite (min)", "verdict"]
    cols += ["replication"] if replicate else []
    for col in cols + ["s"]:
        table.add_column(col)
    for kind in ("theorem", "invariant"):
        for r in (r for r in rows if r["kind"] == kind):
            lo, hi = r["ci"]
            bite = ("" if r["bite"] is None and r["bite_min"] is None
                    else f"{_fmt(r['bite'])} ({_fmt(r['bite_min'])})")
            cells = [r["paper"], r["check"], kind, "yes" if r["amended"] else "",
                     _fmt(r["measured"]), f"[{_fmt(lo)}, {_fmt(hi)}]", bite,
                     _VERDICT_STYLE[r["verdict"]]]
            if replicate:
                rep = r.get("replication") or {}
                cells.append(str(rep.get("verdict", "")))
            table.add_row(*cells, f"{r['seconds']:.1f}")
    return table


def _fmt(x: float | None) -> str:
    return "nan" if x is None else f"{x:.4g}"


def _parse_params(items: list[str], option: str) -> dict:
    """``key=value`` pairs; values parsed as JSON (numbers, true/false, lists), else strings."""
    out = {}
    for item in items:
        k, sep, v = item.partition("=")
        if not sep or not k.strip():
            raise typer.BadParameter(f"must be key=value, got {item!r}", param_hint=option)
        k = k.strip()
        if k in out:
            raise typer.BadParameter(f"{k!r} given twice", param_hint=option)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def _check_count(value: int | None, option: str, low: int = 1) -> None:
    if value is not None and value < low:
        raise typer.BadParameter(f"must be >= {low}, got {value}", param_hint=option)


def _check_n_jobs(n_jobs: int) -> None:
    if n_jobs == 0:
        raise typer.BadParameter("must be a positive number of workers or negative "
                                 "(-1: all cores), got 0", param_hint="--n-jobs")


def _writable_dir(out: Path) -> Path:
    import tempfile

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as e:
        raise OSError(f"--out {str(out)!r} is not a writable folder ({e.strerror or e})") \
            from None
    return out


def _kernels_cached() -> bool | None:
    """Whether numba's on-disk cache holds the episode kernels (``None``: cannot tell)."""
    try:
        from theoryrl.experiment import _kernels

        cache = _kernels.simulate_deterministic._cache
        return Path(cache._cache_file._index_path).exists()
    except Exception:  # numba's cache layout is private: say nothing rather than guess
        return None


def _compile_notice() -> None:
    """One line when the compiled kernels are not in numba's cache yet (first run)."""
    if _kernels_cached() is False:
        typer.echo("theoryrl: first run: compiling numba kernels (about half a minute; "
                   "later runs load them from the cache)", err=True)


def _progress():
    from theoryrl.experiment.sweep import make_progress

    return make_progress(None, log=True)


@app.command("run")
def run_cmd(
    agent: Annotated[str, typer.Argument(help="Agent name (see `theoryrl list`), e.g. UCBVI.")],
    env: Annotated[str, typer.Option(help="Env name (see `theoryrl list`), e.g. riverswim.")],
    episodes: Annotated[int | None, typer.Option(help="Episodes (episodic agents).")] = None,
    steps: Annotated[int | None, typer.Option(help="Steps (average-reward agents).")] = None,
    horizon: Annotated[int | None, typer.Option(help="Horizon H passed to the env "
                                                     "(episodic agents).")] = None,
    seeds: Annotated[int, typer.Option(help="Number of seeds (ids 0..N-1).")] = 4,
    base_seed: Annotated[int, typer.Option(help="Root of every seed's SeedSequence.")] = 0,
    n_jobs: Annotated[int, typer.Option(help="joblib workers (-1: all cores).")] = 1,
    param: Annotated[list[str] | None, typer.Option(
        help="Agent parameter key=value (repeatable; values parsed as JSON).")] = None,
    env_param: Annotated[list[str] | None, typer.Option(
        help="Env parameter key=value (repeatable).")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite existing outputs and recompute stored seeds.")] = False,
) -> None:
    """Run AGENT on an env for every seed; writes <out>/<agent>_<env>_<hash>.{npz,png}.

    The hash covers every input (parameters with their defaults, budget, seeds), so
    runs with other parameters never share a file. Each finished seed is kept in
    <out>/.cells/ as it completes: an interrupted run resumes where it stopped.
    """
    from theoryrl.experiment import save_figure
    from theoryrl.experiment.sweep import build_config, run_config

    _check_count(seeds, "--seeds")
    _check_count(episodes, "--episodes")
    _check_count(steps, "--steps")
    _check_count(horizon, "--horizon")
    _check_count(base_seed, "--base-seed", 0)
    _check_n_jobs(n_jobs)
    if episodes is not None and steps is not None:
        raise typer.BadParameter("give --episodes or --steps, not both", param_hint="--steps")
    env_kw = _parse_params(env_param or [], "--env-param")
    if horizon is not None:
        if "horizon" in env_kw:
            raise typer.BadParameter("horizon given twice", param_hint="--horizon")
        env_kw["horizon"] = horizon
    cfg = build_config(agent, env, params=_parse_params(param or [], "--param"),
                       env_params=env_kw, episodes=episodes, steps=steps, base_seed=base_seed)
    ids = list(range(seeds))
    stem = cfg.stem(ids)
    out = _writable_dir(out)
    target = out / f"{stem}.npz"
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists (same agent, env, parameters and seeds); "
                              f"pass --force to overwrite it")
    _compile_notice()
    res = run_config(cfg, ids, out=out, force=force, n_jobs=n_jobs, progress=_progress())
    res.save(target)
    import matplotlib.pyplot as plt

    fig = res.plot(label=cfg.label())
    save_figure(fig, out / f"{stem}.png")
    plt.close(fig)
    typer.echo(f"final regret: mean {res.regret[:, -1].mean():.4g} over {res.n_seeds} seeds; "
               f"wrote {out / stem}.npz, .png")


def _describe(fn, skip=()) -> str:
    from theoryrl.experiment.sweep import settable, user_parameters

    parts = []
    for p in user_parameters(fn, skip):
        text = p.name if p.default is p.empty else f"{p.name}={p.default!r}"
        parts.append(text if settable(p) else f"{text} (Python only)")
    return ", ".join(parts)


@app.command("list")
def list_cmd() -> None:
    """List the agents and envs `theoryrl run` accepts, with their parameters and defaults."""
    from theoryrl.experiment.sweep import available_agents, available_envs, is_episodic

    t = Table(title="agents (--param key=value)")
    for col in ("agent", "kind", "parameters"):
        t.add_column(col)
    for name, cls in available_agents().items():
        kind = "episodic" if is_episodic(cls) else "average"
        # the budget comes from --episodes / --steps
        t.add_row(name, kind, _describe(cls, ("spec", "episodes", "steps")))
    out = Console()
    out.print(t)
    t = Table(title="envs (--env-param key=value; --horizon)")
    for col in ("env", "parameters"):
        t.add_column(col)
    for name, fn in available_envs().items():
        t.add_row(name, _describe(fn))
    out.print(t)


_SWEEP_KEYS = {"agents", "envs", "seeds", "episodes", "steps", "params", "base_seed", "out",
               "n_jobs", "backend"}


@app.command("sweep")
def sweep_cmd(
    config: Annotated[Path, typer.Argument(help="TOML file describing the grid.")],
    out: Annotated[Path | None, typer.Option(help="Output folder (overrides the file's).")]
    = None,
    n_jobs: Annotated[int | None, typer.Option(help="joblib workers (overrides the file's).")]
    = None,
    force: Annotated[bool, typer.Option("--force", help="Recompute stored cells.")] = False,
) -> None:
    """Run a grid of agents x parameters x envs x seeds from a TOML file, resumably.

    Example file::

        episodes = 200
        seeds = 4
        out = "sweep_out"
        [agents.UCBVI]
        bonus = ["l1", "hoeffding"]
        [agents.CUCBVI]
        alpha = [0.1, 0.2]
        [envs.conservative_trap]

    Each (agent, parameters, env, seed) cell is stored in <out>/.cells/ when it
    finishes; a rerun skips finished cells. Writes one .npz per configuration,
    results.csv (one row per seed and episode) and compare_<env>.png.
    """
    import tomllib

    from theoryrl.experiment.sweep import make_progress, sweep

    try:
        spec = tomllib.loads(Path(config).read_text())
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{config}: not valid TOML ({e})") from None
    unknown = sorted(set(spec) - _SWEEP_KEYS)
    if unknown:
        raise ValueError(f"{config}: unknown keys {unknown}; valid keys: "
                         f"{', '.join(sorted(_SWEEP_KEYS))}")
    for k in ("agents", "envs"):
        if k not in spec:
            raise ValueError(f"{config}: missing [{k}] table")
    n = spec.get("n_jobs", 1) if n_jobs is None else n_jobs
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"{config}: n_jobs must be an int, got {n!r}")
    _check_n_jobs(n)
    folder = _writable_dir(Path(spec.get("out", "sweep_out")) if out is None else out)
    _compile_notice()
    res = sweep(spec["agents"], spec["envs"], spec.get("seeds", 4),
                   episodes=spec.get("episodes"), steps=spec.get("steps"),
                   params=spec.get("params"), base_seed=spec.get("base_seed", 0), out=folder,
                   n_jobs=n, backend=spec.get("backend"), force=force,
                   progress=make_progress(None, log=True))
    t = Table(title=f"sweep ({folder})")
    for col in ("configuration", "env", "seeds", "final regret (mean)", "sd"):
        t.add_column(col)
    for c, r in zip(res.configs, res.results):
        f = r.regret[:, -1]
        sd = f"{f.std(ddof=1):.4g}" if f.size > 1 else "-"
        t.add_row(c.label(), c.env, str(r.n_seeds), f"{f.mean():.4g}", sd)
    Console().print(t)
    typer.echo(f"wrote {res.files['table']} and {len(res.configs)} results in {folder}")


def bench_dir() -> Path:
    """The repository's bench/ folder (benchmarks ship with the source tree, not the wheel)."""
    return Path(__file__).resolve().parent.parent / "bench"


@app.command()
def bench(quick: Annotated[bool, typer.Option("--quick")] = False,
          only: Annotated[list[str] | None, typer.Argument(help="bench_<name>.py names.")]
          = None) -> None:
    """Run the benchmarks in bench/ (each prints its ratio against a reference).

    Needs a source checkout (git clone, then pip install -e .): the benchmarks
    are not part of the installed package.
    """
    folder = bench_dir()
    files = sorted(folder.glob("bench_*.py"))
    if not files:
        raise FileNotFoundError("theoryrl bench needs a source checkout (git clone the "
                                "repository, then pip install -e .): no bench/ folder next "
                                "to the installed package")
    names = [f.stem.removeprefix("bench_") for f in files]
    bad = sorted(set(only or []) - set(names))
    if bad:
        raise typer.BadParameter(f"unknown benchmarks {bad}; available: {', '.join(names)}",
                                 param_hint="ONLY")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # the benchmarks share bench/_benchkit.py
    for f, name in zip(files, names):
        if only and name not in only:
            continue
        spec = importlib.util.spec_from_file_location(f"theoryrl_bench_{name}", f)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        console.print(f"[bold]{f.name}[/]")
        mod.main(quick=quick)


def _mount_exercises() -> None:
    try:
        ex = importlib.import_module("theoryrl.exercises.cli")
    except ImportError:
        return
    if hasattr(ex, "app"):
        app.add_typer(ex.app, name="exercises", help="Course exercises: list, export.")
    if hasattr(ex, "grade_command"):
        app.command("grade")(ex.grade_command)


_mount_exercises()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="theoryrl")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
