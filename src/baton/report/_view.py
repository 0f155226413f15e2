"""What every report shows, as plain text and numbers: verdict sentences, grid cells, tables.

The renderers (Markdown, HTML) only lay these values out; they never compute. Every string
here is plain, unescaped text: each renderer escapes it for its own format.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from baton.analysis import StudyResult, study_family
from baton.calibration import ALL_REGIONS, Comparison, PassRateEstimate
from baton.decision import CandidateVerdict, Decision, FamilyRule, Outcome
from baton.study import Study

__all__ = [
    "OUTCOME_ICON",
    "OUTCOME_LABEL",
    "OUTCOME_MARK",
    "OUTCOME_WORD",
    "POOLED_LABEL",
    "EstimateCell",
    "EstimateRow",
    "GridCell",
    "GridRow",
    "Tick",
    "UsageRow",
    "candidate_grid",
    "decision_family",
    "estimate_rows",
    "finite",
    "go_confidence",
    "interval_pp",
    "percent",
    "probability",
    "region_caption",
    "report_regions",
    "share",
    "signed_pp",
    "usage_rows",
    "verdict_sentence",
]

OUTCOME_LABEL: dict[Outcome, str] = {"go": "GO", "no_go": "NO-GO", "inconclusive": "INCONCLUSIVE"}
OUTCOME_WORD: dict[Outcome, str] = {"go": "go", "no_go": "no-go", "inconclusive": "inconclusive"}
OUTCOME_ICON: dict[Outcome, str] = {"go": "✅", "no_go": "❌", "inconclusive": "❓"}
OUTCOME_MARK: dict[Outcome, str] = {"go": "✓", "no_go": "✗", "inconclusive": "?"}
"""Marks for HTML, drawn by ordinary text fonts (emoji fonts are not everywhere)."""

_MINUS = "−"
_DASH = "—"
POOLED_LABEL = "all regions (pooled)"


@dataclass(frozen=True)
class Tick:
    """An axis tick at ``at`` pixels (x or y), with its label."""

    at: float
    label: str


# ---------------------------------------------------------------- number formatting


def finite(x: float) -> bool:
    return not (math.isnan(x) or math.isinf(x))


def signed_pp(x: float) -> str:
    """A difference of rates in percentage points with its sign: ``−1.2``, ``+0.8``, ``0.0``."""
    if not finite(x):
        return _DASH
    value = round(x * 100, 1)
    if value == 0:
        return "0.0"
    return f"{value:+.1f}".replace("-", _MINUS)


def interval_pp(lower: float, upper: float) -> str:
    """``[−1.8, +0.9]`` in percentage points."""
    return f"[{signed_pp(lower)}, {signed_pp(upper)}]"


def percent(x: float, digits: int = 1) -> str:
    """A rate as a percentage: ``91.2%``."""
    if not finite(x):
        return _DASH
    return f"{x * 100:.{digits}f}%"


def probability(p: float) -> str:
    """A probability as a percentage that never rounds to a certainty: ``97%``, ``>99%``."""
    if not finite(p):
        return _DASH
    if p > 0.995:
        return ">99%"
    if p < 0.005:
        return "<1%"
    return f"{p * 100:.0f}%"


def share(x: float) -> str:
    """A traffic share without trailing zeros: ``5%``, ``2.5%``."""
    return f"{round(x * 100, 2):g}%"


# ---------------------------------------------------------------- verdicts


def decision_family(study: Study, result: StudyResult) -> FamilyRule:
    """How the result shared the false go across the candidates (from the study when the
    result does not say)."""
    return result.family if result.family is not None else study_family(study)


def go_confidence(study: Study, result: StudyResult) -> str:
    """The P(non-inferior) a cell needs for go at a single look, in words: the study's
    confidence, or each candidate's share of it when false go is controlled across them."""
    return f"{decision_family(study, result).candidate_confidence * 100:.4g}%"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _cells(decisions: Iterable[Decision], with_labels: bool = False) -> str:
    parts = []
    for d in decisions:
        text = f"{d.dimension} in {d.region}"
        if with_labels and d.labels_needed is not None:
            text += f" (+{d.labels_needed} labels)"
        parts.append(text)
    return _join(parts)


def verdict_sentence(study: Study, result: StudyResult, verdict: CandidateVerdict) -> str:
    """The reason for a candidate's outcome in one sentence, ending with a full stop."""
    own = [d for d in result.decisions if d.candidate == verdict.candidate]
    blocking = [d for d in own if d.blocking]
    threshold = share(study.decision.min_traffic_share)
    text = ""
    if verdict.outcome == "go":
        text = f"non-inferior on every dimension in every region above {threshold} of traffic"
    elif failing := [d for d in blocking if d.outcome == "no_go"]:
        worse = f"worse than {study.incumbent.name} by more than the margin"
        text = f"{worse} on {_cells(failing)}"
    elif open_cells := [d for d in blocking if d.outcome == "inconclusive"]:
        text = f"not decided yet on {_cells(open_cells, with_labels=True)}"
    if not text:
        text = "; ".join(verdict.reasons) or "no decisions were made"
    if verdict.flagged_regions:
        flagged = _join(list(verdict.flagged_regions))
        text += f"; clearly worse in {flagged}, below the traffic threshold"
    return text + "."


# ---------------------------------------------------------------- decision grid


@dataclass(frozen=True)
class GridCell:
    """One candidate's result on one dimension in one region."""

    dimension: str
    region: str
    outcome: Outcome | None
    delta: str
    interval: str
    p_noninferior: str
    labels_needed: int | None
    calibrated: bool
    reason: str = ""


@dataclass(frozen=True)
class GridRow:
    """One region of a candidate's grid (or the pooled row)."""

    region: str
    caption: str
    pooled: bool
    blocking: bool
    cells: tuple[GridCell, ...]


def report_regions(study: Study, result: StudyResult) -> list[str]:
    """The study's regions in order, then ``ALL`` when the result pools over regions."""
    regions = [r.name for r in study.regions]
    pooled = any(c.region == ALL_REGIONS for c in result.comparisons) or any(
        e.stratum.region == ALL_REGIONS for e in result.estimates
    )
    return [*regions, ALL_REGIONS] if pooled else regions


def region_caption(study: Study, region: str) -> str:
    """``eu (70% of traffic)``; small regions say they do not block."""
    if region == ALL_REGIONS:
        return POOLED_LABEL
    shares = study.traffic_shares
    if region not in shares:
        return region
    caption = f"{region} ({share(shares[region])} of traffic"
    if shares[region] < study.decision.min_traffic_share:
        caption += ", does not block"
    return caption + ")"


def _cell(
    dimension: str, region: str, comparison: Comparison | None, decision: Decision | None
) -> GridCell:
    p = decision.p_noninferior if decision else comparison.p_noninferior if comparison else math.nan
    calibrated = comparison.calibrated if comparison else False
    has_delta = comparison is not None and calibrated and finite(comparison.mean)
    return GridCell(
        dimension=dimension,
        region=region,
        outcome=decision.outcome if decision else None,
        delta=signed_pp(comparison.mean) if comparison and has_delta else _DASH,
        interval=interval_pp(comparison.lower, comparison.upper)
        if comparison and has_delta
        else "",
        p_noninferior=probability(p) if has_delta else _DASH,
        labels_needed=decision.labels_needed if decision else None,
        calibrated=calibrated,
        reason=decision.reason if decision else "",
    )


def candidate_grid(study: Study, result: StudyResult, candidate: str) -> list[GridRow]:
    """A candidate's grid: one row per region (then pooled), one cell per dimension."""
    comparisons = {
        (c.dimension, c.region): c for c in result.comparisons if c.candidate == candidate
    }
    decisions = {
        (d.dimension, d.region): d
        for d in result.decisions
        if d.candidate == candidate and d.region != ALL_REGIONS  # the pooled row never decides
    }
    rows = []
    for region in report_regions(study, result):
        cells = tuple(
            _cell(
                dim.name,
                region,
                comparisons.get((dim.name, region)),
                decisions.get((dim.name, region)),
            )
            for dim in study.dimensions
        )
        row_decisions = [d for (_, r), d in decisions.items() if r == region]
        blocking = any(d.blocking for d in row_decisions) if row_decisions else False
        rows.append(
            GridRow(
                region=region,
                caption=region_caption(study, region),
                pooled=region == ALL_REGIONS,
                blocking=blocking,
                cells=cells,
            )
        )
    return rows


# ---------------------------------------------------------------- pass-rate estimates


@dataclass(frozen=True)
class EstimateCell:
    """A stratum's pass rate, or its judge-only share when it has no human labels."""

    region: str
    calibrated: bool
    mean: str
    interval: str
    judge_only: str
    labelled: str


@dataclass(frozen=True)
class EstimateRow:
    """One model's pass rates on one dimension, one cell per region."""

    dimension: str
    model: str
    cells: tuple[EstimateCell | None, ...]


def _estimate_cell(estimate: PassRateEstimate) -> EstimateCell:
    calibrated = estimate.calibrated and finite(estimate.mean)
    return EstimateCell(
        region=estimate.stratum.region,
        calibrated=calibrated,
        mean=percent(estimate.mean) if calibrated else "",
        interval=f"[{percent(estimate.lower)}, {percent(estimate.upper)}]" if calibrated else "",
        judge_only=f"uncalibrated — judge only: {percent(estimate.judge_mean)}",
        labelled=f"{estimate.n_labelled} of {estimate.n_items} labelled",
    )


def estimate_rows(study: Study, result: StudyResult) -> list[EstimateRow]:
    """Pass rates by dimension, then model (incumbent first), one cell per report region."""
    by_stratum = {
        (e.stratum.dimension, e.stratum.model, e.stratum.region): e for e in result.estimates
    }
    regions = report_regions(study, result)
    known = [m.name for m in study.models]
    extra = sorted({e.stratum.model for e in result.estimates} - set(known))
    rows = []
    for dim in study.dimensions:
        for model in [*known, *extra]:
            found = [by_stratum.get((dim.name, model, region)) for region in regions]
            if any(found):
                cells = tuple(_estimate_cell(e) if e else None for e in found)
                rows.append(EstimateRow(dimension=dim.name, model=model, cells=cells))
    return rows


# ---------------------------------------------------------------- labels and usage


@dataclass(frozen=True)
class UsageRow:
    """A model's responses, cost and latency, with its cost relative to the incumbent."""

    model: str
    role: str
    responses: str
    errors: str
    cost_per_1k: str
    cost_vs_incumbent: str
    latency_p50: str
    latency_p95: str


def _seconds(x: float) -> str:
    return f"{x:.2f} s" if finite(x) else _DASH


def usage_rows(study: Study, result: StudyResult) -> list[UsageRow]:
    """One row per model in the result's usage, in the order the result gives them."""
    incumbent = study.incumbent.name
    base = next((u.cost_per_1k for u in result.usage if u.model == incumbent), math.nan)
    candidates = {c.name for c in study.candidates}
    rows = []
    for u in result.usage:
        relative = _DASH
        if u.model != incumbent and finite(base) and base > 0 and finite(u.cost_per_1k):
            relative = signed_pp(u.cost_per_1k / base - 1) + "%"
        role = "incumbent" if u.model == incumbent else "candidate" if u.model in candidates else ""
        error_rate = f" ({u.n_errors / u.n_responses:.1%})" if u.n_responses else ""
        rows.append(
            UsageRow(
                model=u.model,
                role=role,
                responses=str(u.n_responses),
                errors=f"{u.n_errors}{error_rate}",
                cost_per_1k=f"${u.cost_per_1k:.2f}" if finite(u.cost_per_1k) else _DASH,
                cost_vs_incumbent=relative,
                latency_p50=_seconds(u.latency_p50_s),
                latency_p95=_seconds(u.latency_p95_s),
            )
        )
    return rows
