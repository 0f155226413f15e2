"""``baton decide``: go / no-go / inconclusive per candidate, region and dimension, now."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from baton.analysis import StudyResult, overall_outcome
from baton.cli._app import EXIT_CODES, app, console
from baton.cli.demo import verdict_table
from baton.cli.estimate import write_atomically
from baton.labelling import decide_study, open_study
from baton.report import render_json


def decisions_table(result: StudyResult) -> Table:
    """Every call with the probability behind it and the probability it needed (the
    look's interim threshold)."""
    table = Table(title="Decisions", title_justify="left")
    columns = ("candidate", "dimension", "region", "call", "P(non-inferior)", "needed P")
    for column in (*columns, "labels needed"):
        table.add_column(column)
    for d in result.decisions:
        p = "—" if math.isnan(d.p_noninferior) else f"{d.p_noninferior:.3f}"
        needed = "—" if d.labels_needed is None else f"+{d.labels_needed}"
        region = d.region if d.blocking or d.region == "ALL" else f"{d.region} (does not block)"
        threshold = "—" if math.isnan(d.threshold) else f"{d.threshold:.3f}"
        table.add_row(d.candidate, d.dimension, region, d.outcome, p, threshold, needed)
    return table


@app.command()
def decide(
    study: Path = typer.Argument(Path("study.yaml"), help="The study file."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write result.json here."),
    seed: int = typer.Option(0, help="Seed of the posterior draws."),
) -> int:
    """Decide from the labels so far (a look of the label loop, recorded in the store; calls
    are made at the look's interim threshold and kept); exit 0 go, 1 no-go, 3 inconclusive."""
    opened = open_study(study)
    try:
        result = decide_study(opened, seed=seed)
    finally:
        opened.store.close()
    console.print(decisions_table(result))
    console.print(verdict_table(result))
    if output is not None:
        write_atomically(output, render_json(opened.study, result))
        console.print(f"wrote {output}")
    return EXIT_CODES[overall_outcome(result.verdicts)]
