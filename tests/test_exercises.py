"""Tests of the course exercises and their autograder (theoryrl.exercises).

Every grader accepts the shipped reference solution and rejects typical wrong
solutions, generated here as small textual mutations of the reference (an
off-by-one horizon, a missing clip, a wrong sign, a forgotten weight, ...), so
no grader can pass everything. Student files run in subprocesses: grades of
one exercise run two at a time in threads (the grader itself only waits).
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from theoryrl import exercises
from theoryrl.exercises import export, get_exercise, grade, list_exercises, solution_path

NAMES = [e.name for e in list_exercises()]

# (label, old, new, text expected in the report or None); `old` must occur in the
# reference solution exactly once.
MISTAKES: dict[str, list[tuple[str, str, str, str | None]]] = {
    "bellman_backup": [
        ("forgot the reward", "Q = R + P @ V_next", "Q = P @ V_next", "immediate reward"),
        ("mean over actions", "Q.max(axis=1), np.argmax", "Q.mean(axis=1), np.argmax",
         "not the average"),
        ("argmin", "np.argmax(Q, axis=1)", "np.argmin(Q, axis=1)", None),
    ],
    "backward_induction": [
        ("off-by-one horizon", "return V[:H], policy", "return V[1:], policy", "off-by-one"),
        ("time reversed", "return V[:H], policy", "return V[:H][::-1], policy",
         "V[0] must be the first stage"),
        ("wrong stage index", "Q = R + P @ V[h + 1]", "Q = R + P @ V[h]", None),
    ],
    "policy_evaluation": [
        ("max instead of expectation", "V[h] = (pi[h] * Q).sum(axis=1)",
         "V[h] = Q.max(axis=1)", "you computed V*"),
        ("stage-0 policy everywhere", "(pi[h] * Q)", "(pi[0] * Q)", "stage h"),
        ("off-by-one stage", "Q = R + P @ V[h + 1]", "Q = R + P @ V[h]", None),
    ],
    "value_iteration": [
        ("stopping rule epsilon",
         "tol = epsilon * (1 - gamma) / (2 * gamma) if gamma > 0 else math.inf",
         "tol = epsilon", "epsilon (1 - gamma) / (2 gamma)"),
        ("mean instead of max", "return (R + gamma * (P @ V)).max(axis=1)",
         "return (R + gamma * (P @ V)).mean(axis=1)", None),
        ("sweeps off by one", "    return n\n", "    return n + 1\n", None),
    ],
    "gain_bias": [
        ("bias not normalised at state 0", "v = w - w[0]", "v = w - w.min()", "bias[0]"),
        ("returns the unnormalised iterate", "return 0.5 * (diff.max() + diff.min()), v",
         "return 0.5 * (diff.max() + diff.min()), w", None),
        ("loose stopping rule", "< epsilon:", "< 1e-2:", None),
    ],
    "ucbvi_bonus": [
        ("missing clip at H - h", "np.minimum(q, H - h)", "q", "clip"),
        ("bonus width H - h", "(H - h - 1) / 2 *", "(H - h) / 2 *", "H - h - 1"),
        ("unvisited pairs at their reward",
         "np.where(n > 0, np.minimum(q, H - h), H - h)",
         "np.where(n > 0, np.minimum(q, H - h), R)", None),
    ],
    "loglog_slope": [
        ("normal quantile", "stdtrit(dof, 0.5 + level / 2)",
         "__import__('scipy.special').special.ndtri(0.5 + level / 2)", "Student t"),
        ("one-sided quantile", "stdtrit(dof, 0.5 + level / 2)", "stdtrit(dof, level)",
         "1 - alpha/2"),
        ("log10 for y", "v = np.log(y).ravel()", "v = np.log10(y).ravel()", None),
    ],
    "epsmix_weight": [
        ("no rho = 1 branch", "    if L >= threshold:  # also covers V_b = 0\n        return 1.0\n",
         "", None),
        ("wrong sign", "alpha * V_b / (V_b - L)", "alpha * V_b / (L - V_b)", None),
        ("constant alpha", "return min(1.0, alpha * V_b / (V_b - L))", "return alpha",
         "only the floor"),
    ],
    "vtr_step": [
        ("sum over the wrong axis", '"satd,t->sad"', '"satd,s->sad"', "NEXT-state"),
        ("forgotten weight 1/sigma2", "(sigma2 + x @ u)", "(1 + x @ u)", "1/sigma2"),
        ("theta from the old inverse", "Sigma_inv_new @ b_new", "Sigma_inv @ b_new",
         "updated inverse"),
    ],
    "pomdp_belief": [
        ("not normalised", "return unnormalised / unnormalised.sum()", "return unnormalised",
         "normalise"),
        ("transposed transition", "(b @ T[a])", "(T[a] @ b)", None),
        ("forgot the first emission", "alpha = mu * E[:, observations[0]]", "alpha = mu.copy()",
         "first observation"),
    ],
    "martingale_loss": [
        ("ML targets X_k^2", "G = np.repeat(X[:, -1] ** 2, K)", "G = (X[:, :-1] ** 2).ravel()",
         "terminal payoff"),
        ("MSTDE without terminal substitution",
         "c[:, -1] = -phi[:, -2]  # terminal substitution at k = K-1", "pass", None),
        ("MSTDE sign", "return -np.linalg.solve", "return np.linalg.solve", "wrong sign"),
    ],
    "l1_worst_case": [
        ("mass from the lowest values first", "np.argsort(-v, kind", "np.argsort(v, kind",
         "LARGEST value first"),
        ("no cap on the mass moved", "delta = min(beta / 2, 1 - p[i])", "delta = beta / 2",
         "cap the mass moved"),
    ],
    "mirror_descent_step": [
        ("sign of Q flipped", "logits = logpi + t * Q", "logits = logpi - t * Q", "sign"),
        ("not normalised per state", "    return logits - (m + np.log(",
         "    return logits\n    return logits - (m + np.log(", "normalise per state"),
        ("normalised over the whole table", "np.exp(logits - m).sum(axis=1, keepdims=True)",
         "np.exp(logits - m).sum()", None),
    ],
    "gpomdp": [
        ("undiscounted rewards-to-go",
         "disc_rewards = rewards * gamma ** np.arange(len(rewards))", "disc_rewards = rewards",
         "discount the rewards"),
        ("rewards up to t instead of from t", "togo = np.cumsum(disc_rewards[::-1])[::-1]",
         "togo = np.cumsum(disc_rewards)", "from t ON"),
    ],
}


def _grade_many(name: str, files: list[Path], timeout: float = 60.0):
    get_exercise(name).properties()  # build the inputs once, before the threads
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda f: grade(name, f, timeout=timeout), files))


def test_at_least_ten_exercises_with_statements():
    exs = list_exercises()
    assert len(exs) >= 10
    assert len(set(NAMES)) == len(NAMES)
    for e in exs:
        assert e.title and "$" in e.statement, e.name
        assert "raise NotImplementedError" in e.stub, e.name
        assert solution_path(e.name).is_file(), e.name
    assert set(MISTAKES) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_grader_accepts_reference_and_rejects_mistakes(name, tmp_path):
    source = solution_path(name).read_text()
    files = [solution_path(name)]
    for i, (label, old, new, _) in enumerate(MISTAKES[name]):
        assert source.count(old) == 1, f"{name}: mutation {label!r} does not apply"
        f = tmp_path / f"wrong_{i}.py"
        f.write_text(source.replace(old, new))
        files.append(f)
    reports = _grade_many(name, files)
    ref = reports[0]
    assert ref.passed, str(ref)
    assert ref.status == "ok" and "PASSED" in str(ref)
    for (label, _, _, expect), rep in zip(MISTAKES[name], reports[1:]):
        assert not rep.passed, f"{name}: the mistake {label!r} passed\n{rep}"
        text = str(rep)
        assert "FAIL" in text and "FAILED" in text
        if expect is not None:
            assert expect in text, f"{name}: {label!r}: no {expect!r} in\n{text}"


def test_exported_stubs_fail_as_not_implemented(tmp_path):
    paths = export(tmp_path / "handout")
    assert [p.stem for p in paths] == NAMES
    for p in paths:
        text = p.read_text()
        assert text.startswith("# ---\n# jupyter:")
        assert "# %% [markdown]" in text and "\n# %%\n" in text
        assert f"theoryrl grade {p.stem}" in text
        compile(text, str(p), "exec")
    for e in list_exercises():
        e.properties()  # build the inputs before the threads (hypothesis is not thread-safe)
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda p: grade(p.stem, p), paths))
    for rep in reports:
        assert not rep.passed and rep.status == "ok", str(rep)
        assert all("not implemented yet" in r.message for r in rep.properties), str(rep)
        assert "defines no function" not in str(rep)


def test_export_refuses_to_overwrite(tmp_path):
    export(tmp_path, names=["bellman_backup"])
    with pytest.raises(ValueError, match="overwrite=True"):
        export(tmp_path, names=["bellman_backup"])
    assert export(tmp_path, names=["bellman_backup"], overwrite=True)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="directory"):
        export(tmp_path / "file")


def _student(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "student.py"
    f.write_text("import numpy as np\n\n\ndef bellman_backup(P, R, V_next):\n" + body)
    return f


def test_crash_is_reported_not_propagated(tmp_path):
    f = _student(tmp_path, "    import faulthandler\n    faulthandler._sigsegv()\n")
    rep = grade("bellman_backup", f, timeout=30)
    assert not rep.passed and rep.status == "crashed"
    assert "SIGSEGV" in rep.detail or "killed" in rep.detail or "exited" in rep.detail
    assert "bellman_backup(" in rep.detail  # names the input it crashed on
    assert "CRASHED" in str(rep)


def test_timeout_is_reported_not_propagated(tmp_path):
    f = _student(tmp_path, "    while True:\n        pass\n")
    rep = grade("bellman_backup", f, timeout=5)
    assert not rep.passed and rep.status == "timed out"
    assert "more than 5 s" in rep.detail and "input #1" in rep.detail
    assert rep.seconds < 30


def test_exceptions_and_import_errors_are_reported(tmp_path):
    f = _student(tmp_path, "    raise ValueError('oops')\n")
    rep = grade("bellman_backup", f)
    assert not rep.passed and rep.status == "ok"
    assert "raised ValueError: oops at line 5" in str(rep)
    g = tmp_path / "broken.py"
    g.write_text("def bellman_backup(P, R, V_next)\n    return 1\n")
    rep = grade("bellman_backup", g)
    assert rep.status == "import error" and "SyntaxError" in rep.detail
    h = tmp_path / "exits.py"
    h.write_text("import sys\nsys.exit(3)\n")
    rep = grade("bellman_backup", h)
    assert rep.status == "import error" and "SystemExit" in rep.detail


def test_wrong_return_shape_is_a_failure_not_a_crash(tmp_path):
    f = _student(tmp_path, "    return R\n")
    rep = grade("bellman_backup", f)
    assert not rep.passed and rep.status == "ok"
    assert "return (Q, V, greedy)" in str(rep)
    rep = grade("bellman_backup", _student(tmp_path, "    Q = R + P @ V_next\n"))
    assert not rep.passed and "returned None (is a return statement missing?)" in str(rep)


def test_bad_arguments_name_themselves(tmp_path):
    with pytest.raises(ValueError, match=r"name must be one of \[.*'backward_induction'"):
        grade("no_such_exercise", tmp_path)
    with pytest.raises(ValueError, match="path .* is not an existing file"):
        grade("bellman_backup", tmp_path / "missing.py")
    with pytest.raises(ValueError, match="timeout must be"):
        grade("bellman_backup", solution_path("bellman_backup"), timeout=0)
    with pytest.raises(ValueError, match="name must be one of"):
        solution_path("nope")


def test_inputs_are_deterministic():
    from hypothesis import strategies as st

    from theoryrl.exercises._framework import draw_examples

    s = st.lists(st.integers(0, 10**6), min_size=3, max_size=3)
    assert draw_examples(s, 8) == draw_examples(s, 8)


def test_import_theoryrl_stays_light():
    code = ("import sys, theoryrl, theoryrl.exercises as e; e.list_exercises(); "
            "print(sorted(m for m in ('typer', 'rich', 'hypothesis') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
    assert "exercises" not in exercises.__name__.split(".")[:1]


def test_cli_list_export_and_grade(tmp_path):
    import typer
    from typer.testing import CliRunner

    from theoryrl.exercises.cli import app, grade_command

    runner = CliRunner()
    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0 and "backward_induction" in res.stdout
    res = runner.invoke(app, ["export", str(tmp_path / "out")])
    assert res.exit_code == 0 and len(list((tmp_path / "out").glob("*.py"))) == len(NAMES)
    g = typer.Typer()
    g.command()(grade_command)
    res = runner.invoke(g, ["epsmix_weight", str(solution_path("epsmix_weight"))])
    assert res.exit_code == 0, res.stdout
    assert "PASSED" in res.stdout
    res = runner.invoke(g, ["epsmix_weight", str(tmp_path / "out" / "epsmix_weight.py")])
    assert res.exit_code == 1 and "not implemented yet" in res.stdout
    res = runner.invoke(g, ["nope", str(tmp_path)])
    assert res.exit_code == 2


def test_docs_pages_are_current():
    import importlib.util

    docs = Path(__file__).resolve().parents[1] / "docs"
    spec = importlib.util.spec_from_file_location("_gen_exercises", docs / "_gen_exercises.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    teaching = (docs / "teaching.md").read_text()
    for e in list_exercises():
        assert f"exercises/{e.name}.md" in teaching, e.name
        page = docs / "exercises" / f"{e.name}.md"
        assert page.read_text() == gen.render(e), f"rerun python docs/_gen_exercises.py ({e.name})"
