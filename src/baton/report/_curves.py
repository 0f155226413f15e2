"""Confidence curves as geometry: P(candidate − incumbent > −δ) as the tolerance δ varies.

One small chart per candidate and dimension: a bold line for all regions pooled, a
coloured one for the blocking region with the least confidence at the configured margin,
thin grey ones for the other regions, a dashed vertical line at the margin and a dashed
horizontal one at the decision confidence. Nothing here is markup: the template escapes
every label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from baton.analysis import ConfidenceCurve, StudyResult
from baton.calibration import ALL_REGIONS
from baton.decision import Decision
from baton.report._view import Tick, percent, probability
from baton.study import Study

__all__ = ["CurveChart", "CurveLine", "confidence_charts", "tolerance_for"]

WIDTH = 320.0
HEIGHT = 196.0
LEFT = 44.0
RIGHT = 308.0
TOP = 12.0
BOTTOM = 160.0


@dataclass(frozen=True)
class CurveLine:
    """One region's curve: ``role`` is pooled, limiting (the weakest blocking region) or
    other; ``outcome`` colours the limiting line."""

    region: str
    role: str
    outcome: str
    points: str


@dataclass(frozen=True)
class CurveChart:
    """Everything needed to draw one candidate's curve on one dimension, in pixels."""

    candidate: str
    dimension: str
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    x_margin: float
    y_confidence: float
    margin_label: str
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[CurveLine, ...]
    limiting: str | None
    summary: str


def _x(delta: float, top: float) -> float:
    return round(LEFT + delta / top * (RIGHT - LEFT), 1)


def _y(p: float) -> float:
    return round(BOTTOM - p * (BOTTOM - TOP), 1)


def _pp(x: float) -> str:
    return f"{x * 100:.3g}"


def tolerance_for(curve: ConfidenceCurve, confidence: float) -> str:
    """The smallest tolerance on the curve at which P(Δ > −δ) reaches ``confidence``."""
    for delta, p in zip(curve.margins, curve.p_noninferior, strict=True):
        if p >= confidence:
            return f"{_pp(delta)} pp"
    return f"more than {_pp(curve.margins[-1])} pp"


def _limiting(curves: dict[str, ConfidenceCurve], decisions: dict[str, Decision]) -> str | None:
    """The blocking region with the least confidence at the configured margin."""
    blocking = [
        (d.p_noninferior, region)
        for region, d in decisions.items()
        if d.blocking and region in curves and not math.isnan(d.p_noninferior)
    ]
    return min(blocking)[1] if blocking else None


def _summary(
    study: Study,
    result: StudyResult,
    curves: dict[str, ConfidenceCurve],
    decisions: dict[str, Decision],
    *,
    dimension: str,
    limiting: str | None,
) -> str:
    """``At the 5 pp margin: all regions >99%; eu (least sure region) 97%. Reaches 95% at
    δ = 3 pp (all regions), 4.5 pp (eu).``"""
    shown = [r for r in (ALL_REGIONS, limiting) if r is not None and r in curves]
    if not shown:
        return "No calibrated comparison to draw."
    names = {ALL_REGIONS: "all regions", limiting: f"{limiting} (least sure region)"}
    short = {ALL_REGIONS: "all regions", limiting: str(limiting)}
    at_margin = [
        f"{names[r]} {probability(decisions[r].p_noninferior)}" for r in shown if r in decisions
    ]
    within = [f"{tolerance_for(curves[r], result.confidence)} ({short[r]})" for r in shown]
    margin = _pp(result.margins[dimension])
    text = f"At the {margin} pp margin: {'; '.join(at_margin)}. " if at_margin else ""
    return text + f"Reaches {percent(result.confidence, 0)} at δ = {', '.join(within)}."


def _chart(study: Study, result: StudyResult, candidate: str, dimension: str) -> CurveChart:
    curves = {
        c.region: c for c in result.curves if c.candidate == candidate and c.dimension == dimension
    }
    decisions = {
        d.region: d
        for d in result.decisions
        if d.candidate == candidate and d.dimension == dimension
    }
    margin = result.margins[dimension]
    top = max((c.margins[-1] for c in curves.values()), default=3 * margin) or 0.01
    limiting = _limiting(curves, decisions)
    lines = []
    regions = [r.name for r in study.regions if r.name in curves]
    for region in [*(r for r in regions if r != limiting), limiting, ALL_REGIONS]:
        curve = curves.get(region) if region else None
        if curve is None or region is None:
            continue
        role = "pooled" if region == ALL_REGIONS else "limiting" if region == limiting else "other"
        decision = decisions.get(region)
        points = " ".join(
            f"{_x(d, top)},{_y(p)}" for d, p in zip(curve.margins, curve.p_noninferior, strict=True)
        )
        lines.append(CurveLine(region, role, decision.outcome if decision else "none", points))
    x_ticks = tuple(Tick(_x(top * i / 4, top), _pp(top * i / 4)) for i in range(5))
    y_ticks = tuple(Tick(_y(p), percent(p, 0)) for p in (0.0, 0.5, 1.0))
    return CurveChart(
        candidate=candidate,
        dimension=dimension,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        x_margin=_x(min(margin, top), top),
        y_confidence=_y(result.confidence),
        margin_label=f"margin {_pp(margin)} pp",
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        lines=tuple(lines),
        limiting=limiting,
        summary=_summary(study, result, curves, decisions, dimension=dimension, limiting=limiting),
    )


def confidence_charts(study: Study, result: StudyResult) -> list[list[CurveChart]]:
    """One row of charts per candidate (verdict order), one chart per dimension with curves."""
    rows = []
    for verdict in result.verdicts:
        charts = [
            _chart(study, result, verdict.candidate, d.name)
            for d in study.dimensions
            if any(
                c.candidate == verdict.candidate and c.dimension == d.name for c in result.curves
            )
        ]
        if charts:
            rows.append(charts)
    return rows
