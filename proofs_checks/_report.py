"""The verification report: a self-contained Markdown page with figures.

:func:`write_report` turns the records of one run (one tier, optionally with
its replication) into ``report.md`` plus one PNG per paper: per check the
claim, theorem, kind, registered and applied rules, measured value, interval,
bite, power (binomial rules) and verdicts, then every amendment with its date
and reason, the family-wise rule and the replication seed.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from theoryrl.claims import CheckResult

from ._harness import REPLICATION_BASE_SEED, entry, family, family_text, summary

__all__ = ["write_report"]

_COLOR = {"pass": "tab:green", "fail": "tab:red", "inconclusive": "tab:orange"}


def _f(x) -> str:
    if x is None:
        return "-"
    x = float(x)
    return "nan" if not math.isfinite(x) else f"{x:.4g}"


def _cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _figure(paper: str, rows: list[CheckResult], folder: Path) -> str | None:
    # A bare Figure draws with the Agg canvas and leaves pyplot's backend alone
    # (a report written from a notebook keeps its inline plots).
    from matplotlib.figure import Figure

    th = [r for r in rows if r.kind == "theorem"]
    if not th:
        return None
    fig = Figure(figsize=(11, 0.45 * len(th) + 1.6))
    axes = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[3, 2]))
    ax, bx = axes
    for i, r in enumerate(th):
        lo, hi = r.ci
        c = _COLOR[r.verdict]
        if math.isfinite(lo) and math.isfinite(hi):
            ax.plot([lo, hi], [i, i], color=c, lw=2)
        if math.isfinite(r.measured):
            ax.plot([r.measured], [i], "o", color=c)
        if r.bite is not None and r.bite_min and math.isfinite(r.bite) and r.bite > 0:
            bx.barh(i, r.bite / r.bite_min, color=c)
    ax.set_yticks(range(len(th)), [r.check for r in th])
    ax.set_xlabel("measured statistic and its interval (colour: verdict)")
    bx.axvline(1.0, color="k", lw=1, ls="--")
    bx.set_yticks(range(len(th)), [""] * len(th))
    bx.set_xscale("log")
    bx.set_xlabel("bite / pre-registered minimum (below 1: inconclusive)")
    fig.suptitle(f"{paper}: theorem checks")
    fig.tight_layout()
    name = f"fig_{paper}.png"
    fig.savefig(folder / name, dpi=110)
    return name


def _power(r: CheckResult) -> str:
    pw = r.details.get("power") or {}
    parts = []
    for k, v in pw.items():
        parts.append(f"{k}: {v['failures']}/{v['runs']} failed; detects a failure rate of "
                     f"{_f(v['detectable_failure_rate_80'])} (= {_f(v['detectable_over_delta'])} "
                     f"delta) with 80% power at level {_f(v['level'])}")
    return "; ".join(parts) or "-"


def write_report(results: list[CheckResult], folder: str | Path, tier: str = "quick",
                 replicate: bool = False) -> Path:
    """Write ``report.md`` and its figures into ``folder``; returns the Markdown path.

    Parameters
    ----------
    results : list of CheckResult
        Records of one run (``theoryrl check``), all papers.
    folder : str or Path
        Created if missing.
    tier : {"quick", "full"}
    replicate : bool
        Whether ``results`` carry replication verdicts.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fam = family()
    lines = [f"# Verification report ({tier} tier)", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", "",
             f"**{summary(results)}.** Total measurement time "
             f"{sum(r.seconds for r in results):.1f} s.", "",
             "## Protocol", "",
             "- Every rule was registered before its data (`proofs_checks/registry.toml`); a "
             "changed rule is an amendment with its date and reason, and both verdicts are "
             "computed on every run.",
             "- *Theorem* checks are evidence for a paper's claim; *invariants* hold by algebra "
             "for any algorithm and catch implementation bugs.",
             "- A theorem check whose bite statistic is below its pre-registered minimum is "
             "*inconclusive*, never a pass.",
             f"- Family-wise rule: {fam.method}, alpha = {fam.alpha}, m = {fam.m} tests, per-test "
             f"level {fam.level:.3g}. {family_text()}",
             f"- Replication base seed: {REPLICATION_BASE_SEED} "
             + ("(this run includes the replication)." if replicate
                else "(not run here: `theoryrl check --replicate`)."),
             "- A check on an amended rule counts as passing only if its replication passes.",
             ""]
    papers = list(dict.fromkeys(r.paper for r in results))
    for paper in papers:
        rows = [r for r in results if r.paper == paper]
        lines += [f"## {paper}", "", summary(rows) + ".", ""]
        fig = _figure(paper, rows, folder)
        if fig:
            lines += [f"![{paper}]({fig})", ""]
        head = ["check", "kind", "measured", "CI", "bite (min)", "verdict", "registered rule "
                "verdict"] + (["replication"] if replicate else []) + ["s"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in rows:
            rep = (r.replication or {}).get("verdict", "-") if replicate else None
            cells = [f"`{r.check}`" + (" (amended)" if r.amended else ""), r.kind,
                     _f(r.measured), f"[{_f(r.ci[0])}, {_f(r.ci[1])}]",
                     "-" if r.bite_min is None else f"{_f(r.bite)} ({_f(r.bite_min)})",
                     f"**{r.verdict}**",
                     "-" if r.registered_passed is None
                     else ("pass" if r.registered_passed else "fail")]
            cells += [str(rep)] if replicate else []
            cells += [f"{r.seconds:.1f}"]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
        for r in rows:
            e = entry(r.paper, r.check)
            lines += [f"### `{r.check}` ({r.kind})", "",
                      f"- Claim: {_cell(r.claim)}",
                      f"- Theorem: {_cell(r.theorem or '-')}",
                      f"- Registered rule: {_cell(r.registered_rule or '-')}"
                      + (f" (registered {e.registered})" if e else ""),
                      f"- Applied rule: {_cell(r.rule or '-')}"]
            if e is not None:
                for a in e.amendments:
                    lines.append(f"  - amendment {a.date}: {_cell(a.rule)} -- {_cell(a.reason)}")
                if e.note:
                    lines.append(f"- Note: {_cell(e.note)}")
                if e.kind == "theorem" and e.bite_what:
                    lines.append(f"- Bite: {_cell(e.bite_what)}")
            if r.kind == "theorem":
                lines.append(f"- Power: {_power(r)}")
            lines.append("")
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
