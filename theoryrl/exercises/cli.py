"""Command line for the course exercises (typer is imported here only).

Mount in the main ``theoryrl`` app as::

    from theoryrl.exercises.cli import app as exercises_app, grade_command
    app.add_typer(exercises_app, name="exercises")   # theoryrl exercises list / export DIR
    app.command("grade")(grade_command)              # theoryrl grade EXERCISE FILE

``theoryrl grade`` exits with status 0 only when every property passes
(1 when some property fails, 2 for a bad exercise name or file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import export, grade, list_exercises

__all__ = ["app", "grade_command", "list_command", "export_command", "main"]

app = typer.Typer(help="Course exercises with an autograder.", no_args_is_help=True,
                  add_completion=False)


@app.command("list")
def list_command() -> None:
    """List the exercises: name and title."""
    exs = list_exercises()
    width = max(len(e.name) for e in exs)
    for e in exs:
        typer.echo(f"{e.name:<{width}}  {e.title}")


@app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Where to write the student files.")],
    overwrite: Annotated[bool, typer.Option(help="Replace existing files.")] = False,
) -> None:
    """Write one jupytext percent script (opens as a notebook) per exercise into DIRECTORY."""
    try:
        paths = export(directory, overwrite=overwrite)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    for p in paths:
        typer.echo(str(p))


def grade_command(
    exercise: Annotated[str, typer.Argument(help="Exercise name (theoryrl exercises list).")],
    file: Annotated[Path, typer.Argument(help="The student's .py file.")],
    timeout: Annotated[float, typer.Option(
        help="Wall-clock seconds allowed for the student's code.")] = 60.0,
    cpu_time: Annotated[float | None, typer.Option(
        help="CPU seconds allowed for the student's code (default: the timeout).")] = None,
    memory_mb: Annotated[int, typer.Option(
        help="Memory (address space) of the student's process, in MiB.")] = 4096,
) -> None:
    """Grade FILE for EXERCISE; exit status 0 only when every property passes."""
    try:
        report = grade(exercise, file, timeout=timeout, cpu_time=cpu_time, memory_mb=memory_mb)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except ImportError as e:  # a broken install: say what is missing, in one line
        typer.echo(f"error: grading needs the package {e.name or e}: reinstall theoryrl "
                   "(pip install theoryrl)", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(report))
    raise typer.Exit(0 if report.passed else 1)


def main() -> None:  # pragma: no cover - convenience entry point
    """Run the exercises app with a ``grade`` command added (for ``python -m``)."""
    app.command("grade")(grade_command)
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
