"""The ``theoryrl`` command: proof checks, experiments, benchmarks, exercises."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Provably efficient RL on exact models, with proof checks.")
console = Console(stderr=True)


@app.command()
def check(
    papers: Annotated[list[str] | None, typer.Argument(help="Papers to check (default: all).")]
    = None,
    quick: Annotated[bool, typer.Option("--quick", help="Small sweep (< 60 s a paper).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    seeds: Annotated[int | None, typer.Option(help="Override the number of seeds.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write check_<paper>.json here.")] = None,
) -> None:
    """Run the proof checks; exit status 1 if any check fails."""
    import proofs_checks
    from theoryrl.experiment.result import atomic_write_bytes

    names = papers or proofs_checks.available()
    for p in names:
        if p not in proofs_checks.available():
            console.print(f"[red]unknown paper {p!r}; available: {proofs_checks.available()}")
            raise typer.Exit(2)
    rows: list[dict] = []
    show = console.is_terminal and not as_json
    for p in names:
        t0 = time.perf_counter()
        if show:
            with console.status(f"checking [bold]{p}[/] ({'quick' if quick else 'full'})..."):
                results = proofs_checks.get_checks(p)(quick=quick, seeds=seeds)
        else:
            results = proofs_checks.get_checks(p)(quick=quick, seeds=seeds)
        paper_rows = [r.to_json() for r in results]
        rows.extend(paper_rows)
        if show:
            n_ok = sum(r.passed for r in results)
            console.print(f"{p}: {n_ok}/{len(results)} passed in {time.perf_counter() - t0:.1f}s")
        if out is not None:
            atomic_write_bytes(Path(out) / f"check_{p}.json",
                               json.dumps(paper_rows, indent=2).encode())
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        table = Table(title="theoryrl proof checks")
        for col in ("paper", "check", "measured", "CI", "verdict", "s"):
            table.add_column(col)
        for r in rows:
            lo, hi = r["ci"]
            table.add_row(r["paper"], r["check"], _fmt(r["measured"]),
                          f"[{_fmt(lo)}, {_fmt(hi)}]",
                          "[green]PASS" if r["passed"] else "[red]FAIL", f"{r['seconds']:.1f}")
        Console().print(table)
    if not all(r["passed"] for r in rows):
        raise typer.Exit(1)


def _fmt(x: float | None) -> str:
    return "nan" if x is None else f"{x:.4g}"


def _parse_params(params: list[str]) -> dict:
    out = {}
    for item in params:
        if "=" not in item:
            raise typer.BadParameter(f"--param must be key=value, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def _construct(fn, /, *args, **kwargs):
    """Call ``fn`` with the keyword arguments its signature accepts."""
    sig = inspect.signature(fn)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return fn(*args, **kwargs)
    return fn(*args, **{k: v for k, v in kwargs.items() if k in sig.parameters})


@app.command("run")
def run_cmd(
    agent: Annotated[str, typer.Argument(help="Agent class in theoryrl.agents, e.g. UCBVI.")],
    env: Annotated[str, typer.Option(help="Env function in theoryrl.envs, e.g. riverswim.")],
    episodes: Annotated[int | None, typer.Option(help="Episodes (episodic agents).")] = None,
    steps: Annotated[int | None, typer.Option(help="Steps (average-reward agents).")] = None,
    horizon: Annotated[int | None, typer.Option(help="Horizon passed to the env.")] = None,
    seeds: Annotated[int, typer.Option(help="Number of seeds.")] = 4,
    n_jobs: Annotated[int, typer.Option(help="joblib workers.")] = 1,
    param: Annotated[list[str] | None, typer.Option(help="Agent parameter key=value.")] = None,
    env_param: Annotated[list[str] | None, typer.Option(help="Env parameter key=value.")]
    = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
) -> None:
    """Run an experiment; writes <out>/<agent>_<env>.{npz,json,png}."""
    import theoryrl as trl
    from theoryrl.experiment import save_figure

    if (episodes is None) == (steps is None):
        console.print("[red]give exactly one of --episodes and --steps")
        raise typer.Exit(2)
    env_fn = getattr(trl.envs, env, None)
    cls = getattr(trl.agents, agent, None)
    if env_fn is None or not callable(env_fn):
        console.print(f"[red]unknown env {env!r}; available: {sorted(trl.envs.__all__)}")
        raise typer.Exit(2)
    if cls is None or not isinstance(cls, type):
        console.print(f"[red]unknown agent {agent!r}; available: {sorted(trl.agents.__all__)}")
        raise typer.Exit(2)
    env_kwargs = _parse_params(env_param or [])
    if horizon is not None:
        env_kwargs["horizon"] = horizon
    mdp = env_fn(**env_kwargs)
    kw = dict(episodes=episodes, steps=steps)
    baseline_fn = getattr(trl.envs, f"{env}_baseline", None)
    if baseline_fn is not None:  # conservative envs ship their baseline policy
        kw["baseline"] = baseline_fn(mdp)
    kw |= _parse_params(param or [])
    ag = _construct(cls, mdp.spec, **{k: v for k, v in kw.items() if v is not None})
    res = trl.run(ag, mdp, episodes=episodes, steps=steps, seeds=seeds, n_jobs=n_jobs)
    base = Path(out) / f"{agent}_{env}"
    res.save(base)
    fig = res.plot(label=agent)
    save_figure(fig, base.with_suffix(".png"))
    typer.echo(f"final regret: mean {res.regret[:, -1].mean():.4g} over {res.n_seeds} seeds; "
               f"wrote {base}.npz/.json/.png")


def bench_dir() -> Path:
    """The repository's bench/ folder (benchmarks ship with the source tree)."""
    return Path(__file__).resolve().parent.parent / "bench"


@app.command()
def bench(quick: Annotated[bool, typer.Option("--quick")] = False,
          only: Annotated[list[str] | None, typer.Argument(help="bench_<name>.py names.")]
          = None) -> None:
    """Run the benchmarks in bench/ (each prints its ratio against a reference)."""
    folder = bench_dir()
    files = sorted(folder.glob("bench_*.py"))
    if not files:
        console.print(f"[red]no bench_*.py found in {folder.name}/ (run from a source checkout)")
        raise typer.Exit(2)
    for f in files:
        name = f.stem.removeprefix("bench_")
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
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
