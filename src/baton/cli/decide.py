"""``baton decide``: go / no-go / inconclusive per candidate, region and dimension, now."""

from __future__ import annotations

from pathlib import Path

import typer

from baton.analysis import overall_outcome
from baton.cli._app import EXIT_CODES, app, console
from baton.cli._render import decisions_table, verdict_table, write_atomically
from baton.report import render_json
from baton.steps import decide as decide_step
from baton.study import load_study


@app.command()
def decide(
    study: Path = typer.Argument(Path("study.yaml"), help="The study file."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write result.json here."),
    store: str | None = typer.Option(None, help="Store URL (default: the study's)."),
    seed: int = typer.Option(0, help="Seed of the posterior draws."),
) -> int:
    """Decide from the labels so far (a look of the label loop, recorded in the store; calls
    are made at the look's interim threshold and kept); exit 0 go, 1 no-go, 3 inconclusive."""
    result = decide_step(study, store=store, seed=seed)
    console.print(decisions_table(result))
    console.print(verdict_table(result))
    if output is not None:
        write_atomically(output, render_json(load_study(study), result))
        console.print(f"wrote {output}")
    return EXIT_CODES[overall_outcome(result.verdicts)]
