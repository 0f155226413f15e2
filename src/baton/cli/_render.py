"""Renderers the CLI commands share: tables, progress bars, atomic writes."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from rich import box
from rich.markup import escape
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
from baton.report import OUTCOME_LABEL, interval_pp, signed_pp
from baton.steps import Failures, StudyChanges

__all__ = [
    "RichProgress",
    "change_lines",
    "cost_table",
    "count_bar",
    "decisions_table",
    "delta_pp",
    "failure_lines",
    "first_reasons",
    "new_table",
    "open_reasons",
    "outcome_text",
    "print_json",
    "print_verdict",
    "progress_bar",
    "verdict_reasons",
    "verdict_table",
    "write_atomically",
]


_STYLE = {"go": "green", "no_go": "red", "inconclusive": "yellow"}


def outcome_text(outcome: str) -> str:
    """A call as every human output writes it: ``GO``, ``NO-GO``, ``INCONCLUSIVE``, in its
    colour (JSON keeps ``go``, ``no_go``, ``inconclusive``)."""
    label = {str(k): v for k, v in OUTCOME_LABEL.items()}.get(outcome, outcome.upper())
    return f"[{_STYLE.get(outcome, 'default')}]{label}[/]"


def delta_pp(mean: float, lower: float | None = None, upper: float | None = None) -> str:
    """A Δ in percentage points, with its interval when given: ``−57.4 pp [−60.1, −54.2]``."""
    if math.isnan(mean):
        return "n/a"
    text = f"{signed_pp(mean)} pp"
    if lower is not None and upper is not None:
        text += f" {interval_pp(lower, upper)}"
    return text


def new_table(
    title: str, *columns: str, right: tuple[str, ...] = (), wrap: tuple[str, ...] = ()
) -> Table:
    """A table laid out to fit 80 columns: light rules, no outer padding. Columns named in
    ``wrap`` (names and free text) wrap at spaces, and fold a word only if it alone is
    wider than the screen; the others (numbers, calls) are never wrapped or cut."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in columns:
        table.add_column(
            column,
            justify="right" if column in right else "left",
            overflow="fold",
            no_wrap=column not in wrap,
        )
    return table


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (no colour, no wrapping)."""
    print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))


def verdict_table(result: StudyResult) -> Table:
    """Per candidate its call, and per dimension the pooled Δ (all regions) with its
    interval; the reasons follow in ``verdict_reasons``. One row per candidate and
    dimension, so it fits 80 columns whatever the number of dimensions."""
    dimensions = sorted({c.dimension for c in result.comparisons})
    table = new_table(
        "Migration verdict",
        "candidate",
        "verdict",
        "dimension",
        "Δ all regions",
        wrap=("candidate", "dimension"),
    )
    for verdict in result.verdicts:
        for index, dimension in enumerate(dimensions):
            comp = next(
                c
                for c in result.comparisons
                if c.candidate == verdict.candidate
                and c.dimension == dimension
                and c.region == ALL_REGIONS
            )
            first = index == 0
            table.add_row(
                verdict.candidate if first else "",
                outcome_text(verdict.outcome) if first else "",
                dimension,
                delta_pp(comp.mean, comp.lower, comp.upper),
                end_section=index == len(dimensions) - 1,
            )
    return table


def first_reasons(reasons: tuple[str, ...], shown: int = 3) -> str:
    """The first ``shown`` reasons, and how many more there are (none left out unsaid)."""
    text = "; ".join(reasons[:shown])
    left = len(reasons) - shown
    return text + (f"; and {left} more" if left > 0 else "")


def verdict_reasons(result: StudyResult) -> list[str]:
    """Why each candidate got its call, one line each (Rich markup)."""
    return [
        f"{escape(v.candidate)} {outcome_text(v.outcome)}: {escape(first_reasons(v.reasons))}"
        for v in result.verdicts
    ]


def print_verdict(result: StudyResult) -> None:
    """The verdict table and the reasons under it."""
    console.print(verdict_table(result))
    for line in verdict_reasons(result):
        console.print(line)


def open_reasons(result: StudyResult) -> list[str]:
    """Why each open regional cell is open, a line each (the pooled row never decides)."""
    return [
        f"{d.candidate} · {d.dimension} · {d.region}: {d.reason}"
        for d in result.decisions
        if d.outcome == "inconclusive" and d.region != ALL_REGIONS and d.reason
    ]


def decisions_table(result: StudyResult) -> Table:
    """Every call with the probability behind it and the probability it needed (the
    look's interim threshold); a region below the traffic threshold is marked ``*``."""
    table = new_table(
        "Decisions",
        "candidate",
        "dimension",
        "region",
        "call",
        "P(Δ>−m)",
        "needed",
        "+labels",
        right=("P(Δ>−m)", "needed", "+labels"),
        wrap=("candidate", "dimension", "region"),
    )
    for d in result.decisions:
        p = "—" if math.isnan(d.p_noninferior) else f"{d.p_noninferior:.3f}"
        needed = "—" if d.labels_needed is None else f"+{d.labels_needed}"
        region = d.region if d.blocking or d.region == ALL_REGIONS else f"{d.region}*"
        threshold = "—" if math.isnan(d.threshold) else f"{d.threshold:.3f}"
        call = outcome_text(d.outcome)
        if d.region == ALL_REGIONS:
            region, call = "all (pooled)", "—"
        table.add_row(d.candidate, d.dimension, region, call, p, threshold, needed)
    table.caption = (
        "P(Δ>−m): P(non-inferior within the margin); needed: the P a call needs at this "
        "look; +labels: more labels an open call needs"
    )
    if any(not d.blocking and d.region != ALL_REGIONS for d in result.decisions):
        table.caption += "; * below the traffic threshold: does not block a go"
        table.caption_justify = "left"
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


def count_bar() -> Progress:
    """A progress bar for a step counted in units (judgments, simulated studies): count,
    elapsed time and ETA (when the total is known)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


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
    """Per model: answers from the cache, calls to make, tokens and the most they cost,
    interactively and through a batch API. Fits 80 columns with the model's name."""
    numbers = ("cached", "calls", "tokens in ≈", "tokens out ≤", "USD ≤", "batch USD ≤")
    table = new_table(title, "model", *numbers, right=numbers, wrap=("model",))
    for m in plan.models:
        cells = (m.cached, m.calls, m.input_tokens, m.output_tokens)
        prices = (f"{m.cost_usd:,.4f}", f"{m.batch_cost_usd:,.4f}")
        table.add_row(m.model, *(f"{c:,}" for c in cells), *prices)
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
