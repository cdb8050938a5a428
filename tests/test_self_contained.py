"""The repository's text stands alone: no references to documents users do not have.

Code, docstrings, docs, tests, examples and benchmarks cite the papers (section,
equation, theorem) and our own pages under ``docs/``. They must not point at
material outside the repository (internal design documents, house-style files,
issue trackers, machine paths) nor narrate how the work was done; history
belongs in version control.

The word *spec* is legitimate as the name of the :class:`~theoryrl.models.MDPSpec`
object a learner receives (``mdp.spec``, ``UCBVI(spec, ...)``, ``spec=...``,
``"spec must be episodic"``); the matcher flags it only where it is used as the
name of a document ("the spec", "spec Sec. 2", "(spec C6)", "LOOP spec").
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Text files that ship with the project (tracked ones when git is available).
_TEXT_SUFFIXES = {".py", ".md", ".rst", ".txt", ".toml", ".cfg", ".ini", ".yml", ".yaml", ""}
_SCANNED_TOP = ("theoryrl", "proofs_checks", "tests", "docs", "examples", "bench", ".ci",
                "README.md", "CONTRIBUTING.md", "CHANGELOG.md", "pyproject.toml")
_SKIP_DIRS = {"_build", "__pycache__", ".venv", "auto_examples", "generated", ".git",
              ".hypothesis", ".ruff_cache", ".pytest_cache"}

# ``spec`` as a document: followed by a section/item marker ...
_SPEC_MARKER = (r"(?:Sec\b|Sec\.|Section|§|\d|[A-Z]{1,2}-?\d|PC-|pitfall|Appendix|item|"
                r"``|`|[\w-]+\.md\b|names\b|predicted|proposed|could\b|values\b|defaults\b)")
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("'spec' cited as a document",
     re.compile(r"(?<![\w.])[Ss]pecs?(?:'s)?[ ,]+" + _SPEC_MARKER)),
    # ... or named as one: "the spec", "LOOP spec", "StepMix spec's" (but not ``the spec.R``
    # or a call such as ``the spec(...)``, which are code).
    ("'spec' named as a document",
     re.compile(r"(?i:\b(?:the|our|package|loop|stepmix|ucbvi|umt-psr|reward-free)\s+)"
                r"[Ss]pecs?(?:'s)?\b(?!\.\w|\s*=|\(|\[)")),
    # ... or opening a parenthesised/bracketed reference: "(spec C6)", "[D, spec §1.5]".
    ("'spec' opening a reference",
     re.compile(r"[(\[;]\s*(?:[A-Z?/]{1,3},\s*)?[Ss]pec\s+\S")),
    ("'spec' possessive", re.compile(r"\b[Ss]pec's\b")),
    ("house-style document", re.compile(r"\b(?:STYLE|ARCHITECTURE)\.md\b")),
    ("design notes", re.compile(r"(?i)\bdesign[- ]notes?\b")),
    ("path outside the repository", re.compile(r"\.\./shared\b|\bspecs/")),
    ("closing note", re.compile(r"(?i)\bclosing[- ]notes?\b")),
    ("issue number", re.compile(r"(?i)\bissues?\s*(?:#\s*)?\d+\b")),
    ("machine path", re.compile(r"(?<![\w.~-])/(?:work|root|home|Users)/")),
    ("narration of earlier sessions",
     re.compile(r"(?i)\b(?:earlier|previous|this|last|that|one)\s+session(?:'s|s)?\b")),
    ("another repository", re.compile(r"(?i)\bsteering repo")),
)


def find_forbidden(line: str) -> list[str]:
    """Names of the rules that ``line`` breaks (empty when it stands alone).

    Parameters
    ----------
    line : str
        One line of text.

    Returns
    -------
    list of str
        One entry per rule that matches, in rule order.
    """
    return [name for name, rx in _RULES if rx.search(line)]


def scan_text(text: str) -> list[tuple[int, str, str]]:
    """Every forbidden reference in ``text`` as ``(line number, rule, line)``.

    A reference wrapped over two lines ("... of the" / "spec applies") is reported at
    its first line.

    Parameters
    ----------
    text : str
        The contents of one file.

    Returns
    -------
    list of tuple of (int, str, str)
        1-based line number, rule name and the stripped line, in file order.
    """
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        found = find_forbidden(line)
        if i + 1 < len(lines):
            nxt = find_forbidden(lines[i + 1])
            joined = find_forbidden(line.rstrip() + " " + lines[i + 1].lstrip())
            found += [r for r in joined if r not in found and r not in nxt]
        out.extend((i + 1, rule, line.strip()) for rule in found)
    return out


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True, timeout=60).stdout.decode()
        files = [ROOT / p for p in out.split("\0") if p]
    except (OSError, subprocess.SubprocessError):
        files = []
    if not files:  # not a git checkout (e.g. an unpacked source archive)
        for top in _SCANNED_TOP:
            p = ROOT / top
            files.extend([p] if p.is_file() else p.rglob("*") if p.is_dir() else [])
    keep = []
    for f in files:
        rel = f.relative_to(ROOT)
        if rel.parts[0] not in _SCANNED_TOP or _SKIP_DIRS.intersection(rel.parts):
            continue
        if f.is_file() and f.suffix in _TEXT_SUFFIXES:
            keep.append(f)
    return sorted(keep)


# This file holds the matcher's own examples, so it is the one file not scanned.
_SELF = Path(__file__).resolve()


def test_repository_text_stands_alone():
    hits = []
    for f in _tracked_files():
        if f.resolve() == _SELF:
            continue
        try:
            text = f.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        hits.extend(f"{f.relative_to(ROOT)}:{i}: {rule}: {line[:120]}"
                    for i, rule, line in scan_text(text))
    assert not hits, (f"{len(hits)} lines refer to documents outside the repository; cite the "
                      "paper or a page under docs/ instead:\n" + "\n".join(hits))


def test_every_theory_page_states_its_provenance():
    pages = sorted((ROOT / "docs" / "theory").glob("*.md"))
    assert (ROOT / "docs" / "theory" / "provenance.md") in pages
    missing = [p.name for p in pages if p.name != "provenance.md"
               and "## Provenance and our choices" not in p.read_text(encoding="utf-8")]
    assert not missing, f"theory pages without a 'Provenance and our choices' section: {missing}"


def test_scanner_sees_the_project():
    files = {f.relative_to(ROOT).as_posix() for f in _tracked_files()}
    assert "README.md" in files
    assert "theoryrl/__init__.py" in files
    assert any(p.startswith("docs/theory/") for p in files)
    assert any(p.startswith("tests/") for p in files)


def test_scanner_joins_wrapped_lines():
    text = "then Sec. 2.5 of the\nspec applies. Fine line.\nspec = mdp.spec\n"
    assert [(i, r) for i, r, _ in scan_text(text)] == [(1, "'spec' named as a document")]
    assert scan_text("agent = UCBVI(\n    spec, episodes=3)\n") == []


@pytest.mark.parametrize("line", [
    "The radius of (spec Sec. 2.3) is tight.",
    "see spec §2.3 for the bonus",
    "[D] StepMix spec, Sec. 2.1",
    "LOOP figure 1 (spec Sec. 5.1): advantage regret",
    "The spec's closed form is replaced",
    "numbers from the spec (the paper is paywalled)",
    "Spec values (recomputed in code): J* = 0.43",
    "Spec 2.5 defaults: alpha_j = j^-0.51",
    "this is the broken convention of spec pitfall 2",
    "\"\"\"Tests of the estimators (spec C6).\"\"\"",
    "m = OUQuadratic()   # spec B1 defaults",
    "Bracketing numbers [D, spec §1.5]: every model",
    "Check (spec PC-LB) on the hard instance",
    "as in Section 1.1 of the spec ``specs/martingale_td.md``",
    "(spec ``umt_psr.md`` §0). Every statement",
    "Tags follow the spec: [V] verified",
    "Instances of the LOOP spec (Sec. 9), each with exact facts.",
    "Sweep, then measure, then judge (STYLE.md Sec. 8).",
    "House plan: `ARCHITECTURE.md` in another place.",
    "as recorded in the design note",
    "see ../shared/specs/loop.md",
    "examples whose closing notes record their quick runs",
    "# -- additions for reward-free exploration (issue #5)",
    "fixed in issue 15",
    "cached under /work/main/.venv",
    "written to /root/out",
    "The earlier session's run failed its guard",
    "In this session: at K=5000",
    "House plan in the steering repo.",
])
def test_matcher_flags_document_references(line):
    assert find_forbidden(line), line


@pytest.mark.parametrize("line", [
    "agent = UCBVI(mdp.spec, episodes=10)",
    "def __init__(self, spec, episodes: int, delta: float = 0.05):",
    "spec = mdp.spec",
    "raise ValueError('spec must be episodic (horizon=H)')",
    "if spec.horizon is None:",
    "S, A, H = spec.n_states, spec.n_actions, spec.horizon",
    "MDPSpec(n_states, n_actions, horizon, gamma, R, init)",
    "spec = importlib.util.spec_from_file_location(name, path)",
    "mod = importlib.util.module_from_spec(spec)",
    "run(agent, spec=mdp.spec)",
    "learner(spec, episodes, baseline=pib, alpha=alpha)",
    "pib = behaviour_cloning(ds, spec.n_states, spec.n_actions)",
    "\"\"\"TabularMDP: read-only views, spec, exact values, sampling.\"\"\"",
    "Episodic spec; ``init`` must be a point mass.",
    "spec : MDPSpec",
    "Average-reward spec; rewards ``spec.R`` are known.",
    "`.spec` is what a learner may know (no P).",
    "no render modes without a spec",
    "under misspecification the ordering holds",
    "a specific task and a spectral gap",
    "super().__init__(spec)",
    "super().__init__(spec, episodes, baseline, alpha, delta)",
    "UCRL2(spec)",
    "See docs/theory/loop.md, Section 2 of the paper (Eq. 3.1, Theorem 3).",
    "an EVIConvergenceWarning is issued (if ``warn``)",
    "start_new_session=hasattr(os, 'killpg')",
    "out = '/tmp/theoryrl'",
    "the specification of the MDP a learner receives",
    "design of the experiment",
])
def test_matcher_leaves_legitimate_text(line):
    assert find_forbidden(line) == [], line
