"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no requests).

The template lives in ``templates/report.html.j2`` and is rendered with autoescaping on:
every name, region, reason and warning is user or model text and is escaped there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jinja2

from baton.analysis import StudyResult, overall_outcome
from baton.decision import Outcome
from baton.report._curves import confidence_charts
from baton.report._details import (
    budget_view,
    judge_tables,
    provenance_view,
    refusal_source,
    refusal_views,
)
from baton.report._forest import forest_plots
from baton.report._recommend import recommendation
from baton.report._view import (
    OUTCOME_LABEL,
    OUTCOME_MARK,
    OUTCOME_WORD,
    EstimateRow,
    GridRow,
    candidate_grid,
    decision_family,
    estimate_rows,
    go_confidence,
    percent,
    region_caption,
    report_regions,
    usage_rows,
    verdict_sentence,
)
from baton.study import Study

__all__ = ["TEMPLATE_NAME", "render_html"]

TEMPLATE_NAME = "report.html.j2"


@dataclass(frozen=True)
class VerdictView:
    """A candidate's verdict in one sentence, with the decision stage's reasons."""

    name: str
    outcome: Outcome
    sentence: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class GridView:
    """A candidate's region x dimension grid."""

    name: str
    outcome: Outcome
    rows: tuple[GridRow, ...]


@dataclass(frozen=True)
class EstimateTable:
    """One dimension's pass rates: one row per model, one column per region."""

    dimension: str
    rows: tuple[EstimateRow, ...]


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("baton.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _estimate_tables(study: Study, result: StudyResult) -> list[EstimateTable]:
    rows = estimate_rows(study, result)
    return [
        EstimateTable(d.name, tuple(r for r in rows if r.dimension == d.name))
        for d in study.dimensions
        if any(r.dimension == d.name for r in rows)
    ]


def _context(study: Study, result: StudyResult) -> dict[str, Any]:
    return {
        "study": study,
        "overall": overall_outcome(result.verdicts),
        "verdicts": [
            VerdictView(v.candidate, v.outcome, verdict_sentence(study, result, v), v.reasons)
            for v in result.verdicts
        ],
        "grids": [
            GridView(v.candidate, v.outcome, tuple(candidate_grid(study, result, v.candidate)))
            for v in result.verdicts
        ],
        "plots": forest_plots(study, result),
        "regions": [region_caption(study, r) for r in report_regions(study, result)],
        "estimates": _estimate_tables(study, result),
        "budget": budget_view(result),
        "recommendation": recommendation(study, result),
        "curves": confidence_charts(study, result),
        "curves_source": result.curves_source,
        "judges": judge_tables(study, result),
        "refusals": refusal_views(study, result),
        "refusal_source": refusal_source(result),
        "examples": result.examples,
        "usage": usage_rows(study, result),
        "warnings": result.warnings,
        "provenance": provenance_view(result),
        "level": percent(result.level, 0),
        "confidence": percent(result.confidence, 0),
        "go_confidence": go_confidence(study, result),
        "family": decision_family(study, result),
        "label": OUTCOME_LABEL,
        "word": OUTCOME_WORD,
        "icon": OUTCOME_MARK,
    }


def render_html(study: Study, result: StudyResult) -> str:
    """The report as one self-contained HTML page."""
    template = _environment().get_template(TEMPLATE_NAME)
    return template.render(_context(study, result))
