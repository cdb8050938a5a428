"""The example gallery's sources: every example copied with a title, its code unchanged."""

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _gen():
    spec = importlib.util.spec_from_file_location("_gen_gallery",
                                                  ROOT / "docs" / "_gen_gallery.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_gallery_copy_has_title_and_same_code(path):
    gen = _gen()
    text = gen.render(path)
    tree, orig = ast.parse(text), ast.parse(path.read_text())
    doc = ast.get_docstring(tree, clean=False).lstrip("\n").splitlines()
    assert doc[0] == path.stem and doc[1] == "=" * len(path.stem)
    # the same statements, plus the hidden __doc__ assignment
    extra = [n for n in tree.body[1:] if isinstance(n, ast.Assign)
             and getattr(n.targets[0], "id", None) == "__doc__"]
    assert len(extra) == 1
    assert extra[0].value.value == ast.get_docstring(orig, clean=False)
    kept = [ast.dump(n) for n in tree.body[1:] if n is not extra[0]]
    assert kept == [ast.dump(n) for n in orig.body[1:]]
    assert "sphinx_gallery_start_ignore" in text


def test_fast_gallery_names_exist():
    gen = _gen()
    names = {p.stem for p in EXAMPLES}
    assert set(gen.GALLERY_FAST) <= names
