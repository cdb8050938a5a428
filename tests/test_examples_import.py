"""Every example imports against the current API and exposes ``main(out, quick)``.

Running them is too slow for the suite (1-60 s each with ``--quick``); the docs
pages show their figures. Importing catches API drift cheaply.
"""

import importlib.util
import inspect
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_imports_and_has_main(path):
    spec = importlib.util.spec_from_file_location(f"_example_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    params = inspect.signature(mod.main).parameters
    assert "out" in params and "quick" in params
