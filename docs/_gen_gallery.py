"""Sources of the example gallery, ``docs/_gallery_src/``, from ``examples/``.

sphinx-gallery wants a reStructuredText title at the top of each script's
docstring; the scripts in ``examples/`` are plain command-line programs, so
``main()`` copies each one with the title (its file name) added above its
docstring and, hidden from the page, the docstring restored as ``__doc__``
(sphinx-gallery runs scripts with an empty one); the code shown is the code
run. The
gallery runs each script as ``__main__`` with ``--quick`` (see
:func:`reset_argv`), the size CI can afford; ``python examples/NAME.py``
without it gives the full figure.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples"
SRC = HERE / "_gallery_src"
#: Examples the default docs build runs (each under a minute in quick mode on one core).
GALLERY_FAST = ("ucbvi_riverswim", "loop_regret", "loop_switching", "loop_span_sensitivity",
                "loop_optimism_gap", "martingale_td_mean_variance", "umt_psr_downstream",
                "iwocs_windy_walk", "mdpo_rates", "fisher_pg_gaussian")
HEADER = """Examples
========

Each script reproduces a figure of a paper, or our benchmark of it, from
exact models. The gallery runs them in quick mode (fewer seeds and a shorter
run), which keeps the documentation build short; examples shown without a
figure take longer and run only in a full build (``THEORYRL_GALLERY=all``).
Run ``python examples/NAME.py --out out`` for the full figure.
"""


def _out_dir(src_file) -> Path:
    return Path(src_file).parent / "_gallery_out" / Path(src_file).stem


def reset_argv(gallery_conf, script_vars) -> list[str]:
    """Command-line arguments of a gallery run: quick mode, a fresh output folder."""
    out = _out_dir(script_vars["src_file"])
    if out.exists():
        shutil.rmtree(out)
    return ["--quick", "--out", str(out.relative_to(Path(script_vars["src_file"]).parent))]


_shown: set[Path] = set()


def png_scraper(block, block_vars, gallery_conf) -> str:
    """The figures a script saved, shown below the code that saved them.

    The examples write their figures to ``--out`` and close them, so
    sphinx-gallery's matplotlib scraper finds nothing open; this one picks up
    the PNG files new in the script's output folder.
    """
    from sphinx_gallery.scrapers import figure_rst

    out = _out_dir(block_vars["src_file"])
    new = sorted(p for p in out.rglob("*.png") if p not in _shown) if out.exists() else []
    names = []
    for png, target in zip(new, block_vars["image_path_iterator"]):
        shutil.copyfile(png, target)
        _shown.add(png)
        names.append(target)
    return figure_rst(names, gallery_conf["src_dir"])


def _get_sg_image_scraper():
    """sphinx-gallery's hook: ``image_scrapers = ("_gen_gallery",)`` finds the scraper here."""
    return png_scraper


def render(path: Path) -> str:
    """The script at ``path`` with a title line above its docstring."""
    text = path.read_text()
    tree = ast.parse(text)
    first = tree.body[0] if tree.body else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        raise ValueError(f"examples/{path.name} has no module docstring")
    doc = first.value.value.strip("\n")
    title = path.stem
    lines = text.splitlines(keepends=True)
    # sphinx-gallery runs the script with __doc__ = ""; the hidden lines give it back
    hidden = ("\n# sphinx_gallery_start_ignore\n"
              f"__doc__ = {first.value.value!r}\n"
              "# sphinx_gallery_end_ignore\n")
    # __future__ imports must come first, so the hidden lines go after them
    future = [n for n in tree.body[1:] if isinstance(n, ast.ImportFrom)
              and n.module == "__future__"]
    cut = future[-1].end_lineno if future else first.end_lineno
    head = "".join(lines[first.end_lineno:cut])
    body = "".join(lines[cut:])
    return f'r"""\n{title}\n{"=" * len(title)}\n\n{doc}\n"""\n{head}{hidden}{body}'


def main() -> list[Path]:
    """Write the gallery sources (only files whose text changed)."""
    SRC.mkdir(exist_ok=True)
    written = []
    for name, text in [("GALLERY_HEADER.rst", HEADER)] + [
            (p.name, render(p)) for p in sorted(EXAMPLES.glob("*.py"))]:
        out = SRC / name
        if not out.exists() or out.read_text() != text:
            out.write_text(text)
        written.append(out)
    return written


if __name__ == "__main__":
    for p in main():
        print(p.name)
