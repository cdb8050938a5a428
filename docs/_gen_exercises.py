"""Render the course exercises as MyST pages, ``docs/exercises/<name>.md``.

Call ``main()`` from ``conf.py`` (or run ``python docs/_gen_exercises.py``); the
pages are plain markdown, nothing is executed. The list of graded properties is
included when ``hypothesis`` is installed (it builds the grader inputs).
Reference solutions are never rendered: students read these pages.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def _properties(ex) -> list[str]:
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        return []
    return [p.name for p in ex.properties()]


def render(ex) -> str:
    """The MyST page of one exercise."""
    props = _properties(ex)
    checks = "".join(f"- `{p}`\n" for p in props)
    checks = (f"\nThe grader checks these properties on inputs drawn by `hypothesis` "
              f"(the same inputs for every student):\n\n{checks}" if props else "")
    return f"""(exercise-{ex.name})=
# {ex.title}

*Exercise `{ex.name}` ({ex.topic}). Graded against: {ex.mirrors}.*

{ex.statement.strip()}

## Your task

Fill in the functions (or export the stub with `theoryrl exercises export DIR`):

```python
{ex.stub.strip()}
```

## Check your answer

```bash
theoryrl grade {ex.name} {ex.name}.py
```
{checks}"""


def main(out: str | Path | None = None) -> list[Path]:
    """Write one page per exercise into ``out`` (default ``docs/exercises``); return the paths."""
    from theoryrl.exercises import list_exercises

    d = Path(out) if out is not None else HERE / "exercises"
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for ex in list_exercises():
        p = d / f"{ex.name}.md"
        text = render(ex)
        if not p.exists() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":
    for path in main():
        print(path)
