"""``baton status``: the pipeline's state over the study's store, and what to redo."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from baton.cli._app import app, console
from baton.cli._render import change_lines, new_table
from baton.steps import StudyStatus
from baton.steps import status as status_step


@app.command()
def status(
    path: Path = typer.Argument(Path("study.yaml"), help="The study file."),
    store: str | None = typer.Option(None, help="Store URL (default: the study's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the state as JSON."),
) -> int:
    """Items, each model's responses (failed by cause, stale after an edit), each judge's
    verdicts and abstentions (top reasons), labels per stratum, the label loop's calls so
    far, what the last edit of the study changed, and the command that refreshes each
    stale part. Reads only."""
    state = status_step(path, store=store)
    if as_json:
        data = {**asdict(state), "changes": _changes(state)}
        console.print_json(json.dumps(data, default=str))
        return 0
    for line in change_lines(state.changes):
        console.print(line, soft_wrap=True, markup=False)
    regions = ", ".join(f"{r} {n:,}" for r, n in state.items_by_region.items())
    console.print(f"study {state.study} in {state.store}: {state.items:,} items ({regions})")
    console.print(_models_table(state))
    console.print(_judges_table(state))
    if state.judges_note:
        console.print(state.judges_note, markup=False)
    console.print(_labels_line(state))
    console.print(_decisions_line(state))
    for work in state.todo:
        count = f"{work.count:,} " if work.count else ""
        console.print(f"to do: {count}{work.what} -> {work.command}", markup=False)
    if not state.todo:
        console.print("nothing stale: every step is up to date")
    return 0


def _changes(state: StudyStatus) -> dict[str, object]:
    changes = state.changes
    return {
        **asdict(changes),
        "stale_models": list(changes.stale_models),
        "lines": changes.lines(),
    }


def _models_table(state: StudyStatus) -> Table:
    table = new_table(
        "Responses",
        "model",
        "current",
        "stale",
        "failed",
        "missing",
        "errors by cause",
        right=("current", "stale", "failed", "missing"),
        wrap=("model", "errors by cause"),
    )
    for m in state.models:
        causes = ", ".join(f"{n:,} {c}" for c, n in m.errors_by_cause.items()) or "-"
        cells = (m.answered, m.stale, m.failed, m.missing)
        table.add_row(m.model, *(f"{c:,}" for c in cells), causes)
    return table


def _judges_table(state: StudyStatus) -> Table:
    table = new_table(
        "Verdicts",
        "dimension",
        "judge",
        "verdicts",
        "abstained",
        "pending",
        "top abstention reasons",
        right=("verdicts", "abstained", "pending"),
        wrap=("dimension", "judge", "top abstention reasons"),
    )
    for j in state.judges:
        reasons = ", ".join(f"{n:,} {r}" for r, n in j.top_reasons.items()) or "-"
        pending = "?" if j.pending is None else f"{j.pending:,}"
        table.add_row(
            j.dimension, j.judge, f"{j.verdicts:,}", f"{j.abstentions:,}", pending, reasons
        )
    return table


def _labels_line(state: StudyStatus) -> str:
    cells = ", ".join(f"{s.dimension}/{s.region} {s.labels:,}" for s in state.labels)
    return f"labels: {cells}"


def _decisions_line(state: StudyStatus) -> str:
    if not state.decisions:
        return f"decisions: none recorded ({state.looks:,} looks)"
    calls = ", ".join(
        f"{d.candidate} {d.dimension}/{d.region} {d.outcome}" for d in state.decisions
    )
    return f"decisions at the looks so far ({state.looks:,} looks): {calls}"
