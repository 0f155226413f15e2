"""Forest plots as geometry: numbers and plain labels that the HTML template draws as SVG.

One plot per dimension; one row per candidate x region (the pooled row included), a point
at the posterior mean of Δ = candidate − incumbent and a bar over its interval, a solid line
at Δ = 0 and a dashed one at Δ = −margin. Nothing here is markup: the template escapes
every label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from baton.analysis import StudyResult
from baton.calibration import ALL_REGIONS, Comparison
from baton.decision import Decision
from baton.report._view import POOLED_LABEL, Tick, finite, interval_pp, report_regions, signed_pp
from baton.study import Study

__all__ = ["ForestPlot", "ForestRow", "forest_plot", "forest_plots"]

WIDTH = 960.0
CANDIDATE_X = 8.0
REGION_X = 188.0
PLOT_LEFT = 340.0
PLOT_RIGHT = 770.0
VALUE_X = 784.0
TOP = 22.0
ROW_HEIGHT = 24.0
BOTTOM = 40.0
_CANDIDATE_CHARS = 22
_REGION_CHARS = 20
_STEPS = (1.0, 2.0, 2.5, 5.0)


@dataclass(frozen=True)
class ForestRow:
    """One candidate x region: ``x_*`` are None when there is no calibrated interval."""

    y: float
    candidate: str
    candidate_full: str
    region: str
    outcome: str
    x_lower: float | None
    x_mean: float | None
    x_upper: float | None
    value: str
    first_of_group: bool


@dataclass(frozen=True)
class ForestPlot:
    """Everything needed to draw one dimension's forest plot, in pixels."""

    dimension: str
    margin_label: str
    width: float
    height: float
    candidate_x: float
    region_x: float
    value_x: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_zero: float
    x_margin: float
    ticks: tuple[Tick, ...]
    rows: tuple[ForestRow, ...]


@dataclass(frozen=True)
class _Axis:
    lo: float
    hi: float

    def x(self, value_pp: float) -> float:
        fraction = (value_pp - self.lo) / (self.hi - self.lo)
        return round(PLOT_LEFT + fraction * (PLOT_RIGHT - PLOT_LEFT), 1)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nice_step(span: float, target_ticks: int = 6) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about the target."""
    raw = max(span, 1e-9) / target_ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next((s * power for s in _STEPS if s * power >= raw), 10 * power)


def _axis(comparisons: list[Comparison], margin: float) -> tuple[_Axis, tuple[Tick, ...]]:
    values = [0.0, -margin * 100]
    for c in comparisons:
        values += [v * 100 for v in (c.lower, c.upper, c.mean) if c.calibrated and finite(v)]
    lo, hi = min(values), max(values)
    pad = 0.08 * (hi - lo) or 1.0
    step = nice_step(hi - lo + 2 * pad)
    axis = _Axis(math.floor((lo - pad) / step) * step, math.ceil((hi + pad) / step) * step)
    count = round((axis.hi - axis.lo) / step)
    ticks = []
    for i in range(count + 1):
        value = axis.lo + i * step
        label = "0" if abs(value) < step / 2 else f"{value:+g}".replace("-", "−")
        ticks.append(Tick(at=axis.x(value), label=label))
    return axis, tuple(ticks)


def _row_outcome(region: str, decision: Decision | None) -> str:
    """The row's colour: its call; grey for the pooled row, which informs but never decides
    (as the legend says), and for a cell without a decision."""
    if region == ALL_REGIONS:
        return "pooled"
    return decision.outcome if decision is not None else "none"


_Bar = tuple[float | None, float | None, float | None, str]


def _bar(axis: _Axis, comparison: Comparison | None) -> _Bar:
    """Lower, mean and upper in pixels (None where missing), and the value in words."""
    if comparison is None:
        return None, None, None, "no comparison"
    if not comparison.calibrated or not finite(comparison.mean):
        return None, None, None, "uncalibrated"
    lower, upper = comparison.lower, comparison.upper
    return (
        axis.x(lower * 100) if finite(lower) else None,
        axis.x(comparison.mean * 100),
        axis.x(upper * 100) if finite(upper) else None,
        f"{signed_pp(comparison.mean)} {interval_pp(lower, upper)}",
    )


def _rows(study: Study, result: StudyResult, dimension: str, axis: _Axis) -> list[ForestRow]:
    """One row per candidate x region, candidates in verdict order, pooled row last."""
    comparisons = {
        (c.candidate, c.region): c for c in result.comparisons if c.dimension == dimension
    }
    decisions = {(d.candidate, d.region): d for d in result.decisions if d.dimension == dimension}
    rows: list[ForestRow] = []
    for verdict in result.verdicts:
        for i, region in enumerate(report_regions(study, result)):
            key = (verdict.candidate, region)
            x_lower, x_mean, x_upper, value = _bar(axis, comparisons.get(key))
            rows.append(
                ForestRow(
                    y=TOP + (len(rows) + 0.5) * ROW_HEIGHT,
                    candidate=_clip(verdict.candidate, _CANDIDATE_CHARS) if i == 0 else "",
                    candidate_full=verdict.candidate,
                    region=_clip(POOLED_LABEL if region == ALL_REGIONS else region, _REGION_CHARS),
                    outcome=_row_outcome(region, decisions.get(key)),
                    x_lower=x_lower,
                    x_mean=x_mean,
                    x_upper=x_upper,
                    value=value,
                    first_of_group=i == 0,
                )
            )
    return rows


def forest_plot(study: Study, result: StudyResult, dimension: str) -> ForestPlot:
    """The forest plot of one dimension: every candidate in every region, then pooled."""
    margin = result.margins[dimension]
    own = [c for c in result.comparisons if c.dimension == dimension]
    axis, ticks = _axis(own, margin)
    rows = _rows(study, result, dimension, axis)
    bottom = TOP + len(rows) * ROW_HEIGHT
    return ForestPlot(
        dimension=dimension,
        margin_label=f"−{margin * 100:g} pp margin",
        width=WIDTH,
        height=bottom + BOTTOM,
        candidate_x=CANDIDATE_X,
        region_x=REGION_X,
        value_x=VALUE_X,
        plot_left=PLOT_LEFT,
        plot_right=PLOT_RIGHT,
        plot_top=TOP,
        plot_bottom=bottom,
        x_zero=axis.x(0.0),
        x_margin=axis.x(-margin * 100),
        ticks=ticks,
        rows=tuple(rows),
    )


def forest_plots(study: Study, result: StudyResult) -> list[ForestPlot]:
    """One forest plot per dimension of the study, in the study's order."""
    return [forest_plot(study, result, d.name) for d in study.dimensions]
