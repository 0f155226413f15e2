"""Renderers the CLI commands share: tables, progress bars, atomic writes."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from baton.analysis import StudyResult
from baton.calibration import ALL_REGIONS
from baton.cli._app import console
from baton.replay import ReplayPlan
from baton.steps import Failures, StudyChanges

__all__ = [
    "RichProgress",
    "change_lines",
    "cost_table",
    "decisions_table",
    "failure_lines",
    "progress_bar",
    "verdict_table",
    "write_atomically",
]


_STYLE = {"go": "green", "no_go": "red", "inconclusive": "yellow"}


def verdict_table(result: StudyResult) -> Table:
    """One row per candidate: the call, and the pooled Δ per dimension."""
    dimensions = sorted({c.dimension for c in result.comparisons})
    table = Table(title="Migration verdict", title_justify="left")
    table.add_column("candidate")
    table.add_column("verdict")
    for dimension in dimensions:
        table.add_column(f"Δ {dimension} (all regions)", justify="right")
    table.add_column("why")
    for verdict in result.verdicts:
        cells = []
        for dimension in dimensions:
            comp = next(
                c
                for c in result.comparisons
                if c.candidate == verdict.candidate
                and c.dimension == dimension
                and c.region == ALL_REGIONS
            )
            cells.append(
                "n/a"
                if math.isnan(comp.mean)
                else f"{comp.mean:+.1%} [{comp.lower:+.1%}, {comp.upper:+.1%}]"
            )
        style = _STYLE[verdict.outcome]
        outcome = f"[{style}]{verdict.outcome.upper().replace('_', '-')}[/]"
        table.add_row(verdict.candidate, outcome, *cells, "; ".join(verdict.reasons[:3]))
    return table


def decisions_table(result: StudyResult) -> Table:
    """Every call with the probability behind it and the probability it needed (the
    look's interim threshold)."""
    table = Table(title="Decisions", title_justify="left")
    columns = ("candidate", "dimension", "region", "call", "P(non-inferior)", "needed P")
    for column in (*columns, "labels needed", "why open"):
        table.add_column(column)
    for d in result.decisions:
        p = "—" if math.isnan(d.p_noninferior) else f"{d.p_noninferior:.3f}"
        needed = "—" if d.labels_needed is None else f"+{d.labels_needed}"
        threshold = "—" if math.isnan(d.threshold) else f"{d.threshold:.3f}"
        call: str = d.outcome
        region, why = d.region, d.reason
        if d.region == ALL_REGIONS:
            call, region, why = "—", "all (pooled)", "pooled: shown, never decides"
        elif not d.blocking:
            region = f"{d.region} (does not block)"
        table.add_row(d.candidate, d.dimension, region, call, p, threshold, needed, why)
    return table


class _Rate(ProgressColumn):
    """Responses per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="cyan")


class RichProgress:
    """A Rich progress bar for a replay: count, rate, ETA and errors."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._errors = 0

    def start(self, total: int) -> None:
        self._task = self._progress.add_task("replaying", total=total, errors=0)

    def advance(self, responses: int, errors: int) -> None:
        if self._task is not None:
            self._errors += errors
            self._progress.update(self._task, advance=responses, errors=self._errors)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("[red]{task.fields[errors]} errors"),
        console=console,
    )


def cost_table(plan: ReplayPlan, *, title: str = "Dry run: what a replay would do now") -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("model", "pending", "cached", "calls"):
        table.add_column(name, justify="left" if name == "model" else "right")
    table.add_column("input tokens ≈", justify="right")
    table.add_column("output tokens ≤", justify="right")
    table.add_column("cost ≤ (USD)", justify="right")
    for m in plan.models:
        cells = (m.pending, m.cached, m.calls, m.input_tokens, m.output_tokens)
        table.add_row(m.model, *(f"{c:,}" for c in cells), f"{m.cost_usd:,.4f}")
    return table


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def change_lines(changes: StudyChanges) -> list[str]:
    """What changed in the study since the store last saw it, a line a field (none: [])."""
    if not changes.changes:
        return []
    return ["the study changed since this store last saw it:", *changes.lines()]


def failure_lines(failures: Failures, step: str) -> list[str]:
    """A step's failures against its threshold, and each top reason with one example."""
    if not failures.failed and not failures.reasons:
        return []
    verdict = "above" if failures.exceeded else "within"
    lines = [
        f"{step}: {failures.failed:,} of {failures.total:,} failed or abstained "
        f"({failures.share:.1%}, {verdict} --max-failures {failures.max_share:g})"
    ]
    for reason in failures.reasons[:5]:
        lines.append(f"  {reason.count:,} {reason.reason}, e.g. {reason.example}")
    return lines
