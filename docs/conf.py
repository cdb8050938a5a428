"""Sphinx configuration for theoryrl (built with -W: warnings are errors)."""

import importlib.util
import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "theoryrl"
author = "theoryrl developers"
copyright = "2026, theoryrl developers"
release = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False}
suppress_warnings = ["myst.header", "ref.citation", "ref.footnote", "docutils", "ref.python"]
exclude_patterns = ["_build", "**/_build", "_gen_*.py"]
html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = "theoryrl"

# Exercise pages are generated from theoryrl.exercises when that package provides a generator.
_gen = os.path.join(os.path.dirname(__file__), "_gen_exercises.py")
if os.path.exists(_gen):
    _spec = importlib.util.spec_from_file_location("_gen_exercises", _gen)
    _mod = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_mod)
    if hasattr(_mod, "main"):
        _mod.main()
