"""The Markdown report: short enough for a pull-request comment."""

from __future__ import annotations

from baton.analysis import StudyResult, overall_outcome
from baton.report._details import budget_view
from baton.report._recommend import recommendation
from baton.report._view import (
    OUTCOME_ICON,
    OUTCOME_LABEL,
    OUTCOME_WORD,
    GridCell,
    candidate_grid,
    decision_family,
    go_confidence,
    percent,
    usage_rows,
    verdict_sentence,
)
from baton.study import Study

__all__ = ["md_text", "render_markdown"]

_MARKDOWN_SPECIAL = "\\`*_[]|#~"


def md_text(text: str) -> str:
    """Plain text made safe inside Markdown (and a table cell): one line, nothing live."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in _MARKDOWN_SPECIAL:
        text = text.replace(char, "\\" + char)
    return " ".join(text.splitlines()).strip()


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _cell_text(cell: GridCell) -> str:
    if cell.outcome is None:
        status = "no decision"
    else:
        status = f"{OUTCOME_ICON[cell.outcome]} {OUTCOME_WORD[cell.outcome]}"
    if cell.outcome == "inconclusive" and cell.labels_needed is not None:
        status += f" · +{cell.labels_needed} labels"
    elif cell.outcome == "inconclusive" and cell.reason and cell.calibrated:
        status += f" · {md_text(cell.reason)}"
    if not cell.calibrated:
        return f"{status}<br>uncalibrated: no human labels"
    return f"{status}<br>Δ {cell.delta} pp {cell.interval}"


def _verdicts(study: Study, result: StudyResult) -> list[str]:
    lines = []
    for verdict in result.verdicts:
        name = md_text(verdict.candidate)
        sentence = md_text(verdict_sentence(study, result, verdict))
        lines.append(f"- **{name}: {OUTCOME_LABEL[verdict.outcome]}** — {sentence}")
    return lines


def _grids(study: Study, result: StudyResult) -> list[str]:
    lines = []
    header = ["region"] + [
        f"{md_text(d.name)} (margin {result.margins[d.name] * 100:.1f} pp)"
        for d in study.dimensions
    ]
    for verdict in result.verdicts:
        name, outcome = md_text(verdict.candidate), OUTCOME_LABEL[verdict.outcome]
        lines += ["", f"### {name} vs {md_text(study.incumbent.name)}: {outcome}", ""]
        rows = []
        for row in candidate_grid(study, result, verdict.candidate):
            caption = md_text(row.caption)
            if row.pooled:
                cells = [f"Δ {c.delta} pp {c.interval}" if c.calibrated else "—" for c in row.cells]
            else:
                cells = [_cell_text(c) for c in row.cells]
            rows.append([caption, *cells])
        lines += _table(header, rows)
    return lines


def _usage(study: Study, result: StudyResult) -> list[str]:
    header = ["model", "responses", "errors", "cost / 1k", "vs incumbent", "p50", "p95"]
    rows = [
        [
            md_text(u.model) + (f" ({u.role})" if u.role else ""),
            u.responses,
            u.errors,
            u.cost_per_1k,
            u.cost_vs_incumbent,
            u.latency_p50,
            u.latency_p95,
        ]
        for u in usage_rows(study, result)
    ]
    return ["", "### Cost and latency", "", *_table(header, rows)]


def _recommendation(study: Study, result: StudyResult) -> list[str]:
    found = recommendation(study, result)
    if found is None:
        return []
    header = ["candidate", *[f"P(best) {md_text(d)}" for d in found.dimensions]]
    header += ["cost / 1k", "p95"]
    rows = []
    for r in found.rows:
        name = md_text(r.candidate) + (" (suggested)" if r.suggested else "")
        cells = [f"**{p}**" if lead else p for p, lead in zip(r.p_best, r.leads, strict=True)]
        rows.append([name, *cells, r.cost_per_1k, r.latency_p95])
    return ["", "### Recommendation", "", md_text(found.sentence), "", *_table(header, rows)]


def render_markdown(study: Study, result: StudyResult) -> str:
    """The report as Markdown: verdicts first, then one decision grid per candidate."""
    overall = OUTCOME_LABEL[overall_outcome(result.verdicts)]
    lines = [f"## Baton: {md_text(study.name)} — {overall}", "", *_verdicts(study, result)]
    lines += _recommendation(study, result)
    lines += [
        "",
        f"Each cell: candidate minus {md_text(study.incumbent.name)} pass rate (Δ) with its "
        f"{percent(result.level, 0)} interval in percentage points; go needs "
        f"P(non-inferior) ≥ {go_confidence(study, result)}.",
    ]
    family = decision_family(study, result)
    if family.candidates > 1:
        lines += ["", f"Several candidates: {md_text(family.sentence())}."]
    lines += _grids(study, result)
    lines += ["", "### Human labels", "", md_text(budget_view(result).sentence)]
    if result.usage:
        lines += _usage(study, result)
    if result.warnings:
        lines += ["", "### Warnings", "", *[f"- {md_text(w)}" for w in result.warnings]]
    p = result.provenance
    lines += [
        "",
        f"<sub>baton {md_text(p.baton_version)} · study fingerprint "
        f"{md_text(p.study_fingerprint)} · seed {p.seed} · {md_text(p.created_at)}</sub>",
        "",
    ]
    return "\n".join(lines)
