"""The report's supporting sections as plain text: the judge's calibration per model, the
refusal transition table, the human-label budget, failure examples and provenance.

Every string is plain, unescaped text; each renderer escapes it for its own format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from baton.analysis import (
    Behaviour,
    JudgeCalibration,
    JudgeCategory,
    RefusalTransitions,
    StudyResult,
    labels_needed_total,
)
from baton.calibration import ALL_REGIONS
from baton.report._view import finite, percent, probability
from baton.study import Study

__all__ = [
    "BudgetCell",
    "BudgetView",
    "JudgeRow",
    "JudgeTable",
    "ProvenanceView",
    "RefusalView",
    "budget_view",
    "category_name",
    "judge_tables",
    "provenance_view",
    "refusal_views",
]

_DASH = "—"


def category_name(scale: str, category: int | None) -> str:
    """How a judge output reads in a column heading: ``fail``/``pass``, ``1``..``5``."""
    if category is None:
        return "abstained"
    if scale == "binary":
        return "pass" if category >= 1 else "fail"
    return str(category)


# ---------------------------------------------------------------- judges


@dataclass(frozen=True)
class JudgeCell:
    """P(human pass | judge category) for one model, with the counts behind it and how
    often the judge gave that category."""

    rate: str
    counts: str


@dataclass(frozen=True)
class JudgeRow:
    """One model under one dimension's judge."""

    model: str
    cells: tuple[JudgeCell, ...]
    sensitivity: str
    specificity: str
    youden_j: str
    j_gap: str
    flagged: bool


@dataclass(frozen=True)
class JudgeTable:
    """One dimension's judge: one row per model, one column per judge category."""

    dimension: str
    judge: str
    categories: tuple[str, ...]
    rows: tuple[JudgeRow, ...]


def _number(x: float, digits: int = 2, signed: bool = False) -> str:
    if not finite(x):
        return _DASH
    text = f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"
    return text.replace("-", "−")


def _judge_cell(category: JudgeCategory, n_judged: int) -> JudgeCell:
    share = category.n_judged / n_judged if n_judged else float("nan")
    return JudgeCell(
        rate=percent(category.p_human_pass, 0) if category.n_labelled else _DASH,
        counts=f"{category.n_human_pass}/{category.n_labelled} · {percent(share, 0)}",
    )


def _judge_row(row: JudgeCalibration, incumbent: str) -> JudgeRow:
    n_judged = sum(c.n_judged for c in row.categories)
    return JudgeRow(
        model=row.model,
        cells=tuple(_judge_cell(c, n_judged) for c in row.categories),
        sensitivity=_number(row.sensitivity),
        specificity=_number(row.specificity),
        youden_j=_number(row.youden_j),
        j_gap=_DASH if row.model == incumbent else _number(row.j_gap, signed=True),
        flagged=row.treated_differently,
    )


def judge_tables(study: Study, result: StudyResult) -> list[JudgeTable]:
    """One table per dimension and judge with calibration rows, in the study's order."""
    tables = []
    for dim in study.dimensions:
        own = [r for r in result.judges if r.dimension == dim.name]
        for judge in dict.fromkeys(r.judge for r in own):
            rows = [r for r in own if r.judge == judge]
            tables.append(
                JudgeTable(
                    dimension=dim.name,
                    judge=judge,
                    categories=tuple(
                        category_name(rows[0].scale, c.category) for c in rows[0].categories
                    ),
                    rows=tuple(_judge_row(r, study.incumbent.name) for r in rows),
                )
            )
    return tables


# ---------------------------------------------------------------- refusals


@dataclass(frozen=True)
class RefusalView:
    """One candidate's 2 × 2 table for one expected behaviour, with what changed."""

    candidate: str
    expected: str
    title: str
    n_items: int
    counts: tuple[tuple[int, int], tuple[int, int]]  # [incumbent][candidate]: complied, refused
    worse: tuple[int, int]  # (incumbent, candidate) index of the cell that is a regression
    better: tuple[int, int]
    change: str


_BEHAVIOURS: tuple[Behaviour, Behaviour] = ("complied", "refused")


def _refusal_view(t: RefusalTransitions, incumbent: str) -> RefusalView:
    counts = tuple(tuple(t.counts.get((a, b), 0) for b in _BEHAVIOURS) for a in _BEHAVIOURS)
    table = ((counts[0][0], counts[0][1]), (counts[1][0], counts[1][1]))
    if t.expected == "refuse":
        worse, better = (1, 0), (0, 1)
        title = "refusal appropriate"
        change = (
            f"complies with {table[1][0]} that {incumbent} refused and "
            f"refuses {table[0][1]} that {incumbent} complied with"
        )
    else:
        worse, better = (0, 1), (1, 0)
        title = "refusal not appropriate"
        change = (
            f"refuses {table[0][1]} that {incumbent} answered and "
            f"answers {table[1][0]} that {incumbent} refused"
        )
    return RefusalView(
        t.candidate, t.expected, title, sum(t.counts.values()), table, worse, better, change
    )


def refusal_views(study: Study, result: StudyResult) -> list[RefusalView]:
    """Per candidate: refusal appropriate first, then not appropriate."""
    order = {c.name: i for i, c in enumerate(study.candidates)}
    rows = sorted(
        result.refusals, key=lambda t: (order.get(t.candidate, len(order)), t.expected != "refuse")
    )
    return [_refusal_view(t, study.incumbent.name) for t in rows]


def refusal_source(result: StudyResult) -> str:
    """Where the complied/refused calls came from, in one sentence."""
    if not result.refusals:
        return ""
    dimension = result.refusals[0].dimension
    labels = sum(t.from_labels for t in result.refusals)
    judge = sum(t.from_judge for t in result.refusals)
    return (
        f"Complied or refused is read from the {dimension} dimension, with no refusal text "
        f"detection: a pass there is the expected behaviour (refused when refusal was "
        f"appropriate, answered otherwise), a fail its opposite. {labels} of the "
        f"{labels + judge} calls come from human labels, {judge} from the judge's verdicts "
        f"(where no human labelled the response)."
    )


# ---------------------------------------------------------------- labels


@dataclass(frozen=True)
class BudgetCell:
    """One inconclusive cell and the labels it still needs."""

    candidate: str
    dimension: str
    region: str
    p_noninferior: str
    labels_needed: str
    blocking: bool
    reason: str = ""


@dataclass(frozen=True)
class BudgetView:
    """The label budget: used, remaining, needed, and the cells still open."""

    used: int
    budget: int
    remaining: int
    needed: int
    fraction_used: float
    sentence: str
    cells: tuple[BudgetCell, ...]


def budget_view(result: StudyResult) -> BudgetView:
    """What was spent, what is left, and what the open cells would take."""
    used, budget = result.labels_used, result.labels_budget
    remaining = max(budget - used, 0)
    needed = labels_needed_total(result.decisions)
    open_cells = [
        d for d in result.decisions if d.outcome == "inconclusive" and d.region != ALL_REGIONS
    ]
    share = f" ({used / budget:.0%})" if budget else ""
    sentence = f"{used} of {budget} human labels used{share}, {remaining} remaining."
    if not any(d.blocking for d in open_cells):
        sentence += " No cell that blocks a decision is open."
    elif needed == 0 and not any(d.reason.startswith("not reachable") for d in open_cells):
        sentence += " The open cells have no human labels yet, so no estimate of what they need."
    elif needed == 0:
        sentence += " The open cells cannot be decided at their margins: see why below."
    elif needed <= remaining:
        sentence += f" About {needed} more would decide the open cells: the budget covers it."
    else:
        over = needed - remaining
        sentence += f" About {needed} more would decide the open cells: {over} beyond the budget."
    cells = tuple(
        BudgetCell(
            d.candidate,
            d.dimension,
            d.region,
            probability(d.p_noninferior),
            _DASH if d.labels_needed is None else f"+{d.labels_needed}",
            d.blocking,
            d.reason,
        )
        for d in open_cells
    )
    return BudgetView(
        used, budget, remaining, needed, min(1.0, used / budget) if budget else 0.0, sentence, cells
    )


# ---------------------------------------------------------------- provenance


@dataclass(frozen=True)
class ModelProvenance:
    name: str
    model: str
    parameters: str
    prompt_hash: str


@dataclass(frozen=True)
class DimensionProvenance:
    name: str
    judge: str
    versions: str
    rubric_hash: str


@dataclass(frozen=True)
class ProvenanceView:
    """Models, dimensions, and the result's own facts."""

    models: tuple[ModelProvenance, ...]
    dimensions: tuple[DimensionProvenance, ...]
    facts: tuple[tuple[str, str], ...]


def provenance_view(result: StudyResult) -> ProvenanceView:
    p = result.provenance
    models = tuple(
        ModelProvenance(
            name,
            model,
            json.dumps(p.model_parameters.get(name, {}), sort_keys=True, ensure_ascii=False),
            p.prompt_hashes.get(name, _DASH),
        )
        for name, model in p.models.items()
    )
    dims = tuple(
        DimensionProvenance(
            name,
            judge,
            ", ".join(p.judge_versions.get(name, ())) or _DASH,
            p.rubric_hashes.get(name, _DASH),
        )
        for name, judge in p.judges.items()
    )
    facts = [
        ("study", p.study_name),
        ("study fingerprint", p.study_fingerprint),
        ("baton version", p.baton_version or _DASH),
        ("seed", str(p.seed)),
        ("created", p.created_at),
    ]
    if p.data is not None:
        d = p.data
        facts.append(
            (
                "data snapshot",
                f"{d.n_items} items, {d.n_responses} responses, {d.n_verdicts} verdicts, "
                f"{d.n_labels} labels; digest {d.digest}",
            )
        )
    if p.source:
        facts.append(("source", p.source))
    return ProvenanceView(models, dims, tuple(facts))
