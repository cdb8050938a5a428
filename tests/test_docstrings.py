"""The public API is documented: numpydoc validation and runnable examples.

Every function and class exported by a subpackage's ``__all__`` must pass
numpydoc's validation for the checks in :data:`CHECKS`, and every ``>>>``
example in the package's docstrings must run and print what it shows.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from numpydoc import validate as numpydoc_validate
from numpydoc.docscrape import ClassDoc

import theoryrl

SUBPACKAGES = ("models", "planning", "robust", "envs", "agents", "evaluation", "experiment",
               "claims", "backend")

# numpydoc error codes enforced on the public API, and why these:
CHECKS = {
    "GL08": "the object has a docstring",
    "SS01": "the docstring has a one-line summary",
    "PR01": "every parameter is documented",
    "PR02": "no documented parameter is missing from the signature",
    "PR07": "every documented parameter has a description",
    "RT01": "functions say what they return",
    "RT03": "the return value is described",
}


def _public_objects():
    seen = set()
    for sub in SUBPACKAGES:
        mod = importlib.import_module(f"theoryrl.{sub}")
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            qual = f"{obj.__module__}.{obj.__qualname__}"
            if qual not in seen:
                seen.add(qual)
                yield qual, obj


def _errors(qual: str, obj) -> list[str]:
    errors = [(c, m) for c, m in numpydoc_validate.validate(qual)["errors"] if c in CHECKS]
    if inspect.isclass(obj):
        # Fields of dataclasses and named tuples may be documented as Attributes.
        doc = ClassDoc(obj)
        documented = {n.strip().lstrip("*") for sec in ("Parameters", "Attributes")
                      for p in doc[sec] for n in p.name.split(":")[0].split(",")}
        try:
            sig = set(inspect.signature(obj).parameters) - {"self"}
        except (TypeError, ValueError):
            sig = set()
        missing = sig - documented
        errors = [(c, m) for c, m in errors if c != "PR01"]
        if missing:
            errors.append(("PR01", f"Parameters {sorted(missing)} not documented"))
    return [f"{c}: {m}" for c, m in errors]


PUBLIC = sorted(_public_objects())


def test_public_api_is_collected():
    names = {q.rsplit(".", 1)[1] for q, _ in PUBLIC}
    assert {"TabularMDP", "UCBVI", "solve", "run", "fit_loglog_slope"} <= names
    assert len(PUBLIC) > 80


@pytest.mark.parametrize("qual,obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_numpydoc(qual, obj):
    errors = _errors(qual, obj)
    assert not errors, f"{qual}:\n  " + "\n  ".join(errors)


def _modules_with_examples():
    out = []
    for info in pkgutil.walk_packages(theoryrl.__path__, prefix="theoryrl."):
        spec = importlib.util.find_spec(info.name)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        with open(spec.origin, encoding="utf-8") as fh:
            if ">>>" in fh.read():
                out.append(info.name)
    return sorted(out)


EXAMPLES = _modules_with_examples()


def test_examples_exist():
    assert len(EXAMPLES) >= 3, EXAMPLES


@pytest.mark.parametrize("module", EXAMPLES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(module)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    with np.printoptions(precision=4, suppress=True, legacy=False):
        res = doctest.testmod(mod, optionflags=flags, verbose=False, report=True)
    assert res.attempted > 0, f"{module}: no example ran"
    assert res.failed == 0, f"{module}: {res.failed} of {res.attempted} examples failed"
