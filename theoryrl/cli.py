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
    seeds: Annotated[int | None, typer.Option(help="Override the number of seeds (>= 1).")]
    = None,
    replicate: Annotated[bool, typer.Option(
        "--replicate", help="Rerun every check on the fresh replication base seed.")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Write a Markdown verification report with figures to this folder.")] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="Workers per measurement.")] = 1,
    out: Annotated[Path | None, typer.Option(
        help="Write check_<paper>.json here; finished checks are kept in <out>/units and "
             "reused when their inputs are unchanged.")] = None,
) -> None:
    """Run the proof checks; exit status 1 if any theorem check fails or an invariant breaks."""
    import proofs_checks
    from proofs_checks._harness import run_paper, summary
    from theoryrl.experiment.result import atomic_write_bytes

    names = papers or proofs_checks.available()
    for p in names:
        if p not in proofs_checks.available():
            console.print(f"[red]unknown paper {p!r}; available: {proofs_checks.available()}")
            raise typer.Exit(2)
    if seeds is not None and seeds < 1:
        console.print(f"[red]--seeds must be at least 1, got {seeds}")
        raise typer.Exit(2)
    if n_jobs < 1:
        console.print(f"[red]--n-jobs must be at least 1, got {n_jobs}")
        raise typer.Exit(2)
    results = []
    show = console.is_terminal and not as_json
    t_all = time.perf_counter()
    for p in names:
        t0 = time.perf_counter()
        if show:
            with console.status(f"checking [bold]{p}[/] ({'quick' if quick else 'full'})...") as st:
                res = run_paper(p, quick=quick, seeds=seeds, n_jobs=n_jobs, replicate=replicate,
                                progress=lambda m, st=st: st.update(f"checking {m}..."),
                                store=out)
        else:
            res = run_paper(p, quick=quick, seeds=seeds, n_jobs=n_jobs, replicate=replicate,
                            store=out)
        results.extend(res)
        if show:
            console.print(f"{p}: {summary(res)} ({time.perf_counter() - t0:.1f}s)")
        if out is not None:
            atomic_write_bytes(Path(out) / f"check_{p}.json",
                               json.dumps([r.to_json() for r in res], indent=2).encode())
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
