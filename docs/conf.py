"""Sphinx configuration for theoryrl (built with -W: warnings are errors)."""

import importlib.util
import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the _gen_* helpers

project = "theoryrl"
author = "theoryrl developers"
copyright = "2026, theoryrl developers"
release = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
# the API reference: one page per module, generated from the package (docs/api.md)
autosummary_generate = True
autosummary_imported_members = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False}
suppress_warnings = ["myst.header", "ref.citation", "ref.footnote", "docutils", "ref.python"]
exclude_patterns = ["_build", "**/_build", "_gen_*.py", "_gallery_src", "_templates",
                    "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip",
                    "sg_execution_times.rst"]
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

# The example gallery: examples/ copied with a title by _gen_gallery.py and run in quick
# mode. A default build runs the examples that take under a minute on one core
# (GALLERY_FAST) and shows the code of the others; THEORYRL_GALLERY=all runs every one.
_gen_gallery_path = os.path.join(os.path.dirname(__file__), "_gen_gallery.py")
_gspec = importlib.util.spec_from_file_location("_gen_gallery", _gen_gallery_path)
_gmod = importlib.util.module_from_spec(_gspec)
_gspec.loader.exec_module(_gmod)
_gmod.main()
sphinx_gallery_conf = {
    "examples_dirs": "_gallery_src",
    "gallery_dirs": "auto_examples",
    "filename_pattern": (r".*\.py$" if os.environ.get("THEORYRL_GALLERY") == "all"
                         else "(" + "|".join(_gmod.GALLERY_FAST) + r")\.py$"),
    "reset_argv": "_gen_gallery.reset_argv",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "image_scrapers": ("_gen_gallery",),
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
    "show_memory": False,
    "capture_repr": (),
}
