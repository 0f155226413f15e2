"""``baton decide``: go / no-go / inconclusive per candidate, region and dimension, now."""

from __future__ import annotations

from pathlib import Path

import typer

from baton.analysis import overall_outcome
from baton.cli._app import EXIT_CODES, JSON_OPTION, STORE_OPTION, STUDY_ARGUMENT, app, console
from baton.cli._render import decisions_table, open_reasons, print_verdict, write_atomically
from baton.report import render_json
from baton.steps import decide as decide_step
from baton.study import load_study


@app.command()
def decide(
    study: Path = STUDY_ARGUMENT,
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the result (result.json) to this file."
    ),
    store: str | None = STORE_OPTION,
    seed: int = typer.Option(0, help="Seed of the posterior draws."),
    as_json: bool = JSON_OPTION,
) -> int:
    """Decide from the labels so far; exit 0 go, 1 no-go, 3 inconclusive.

    A look of the label loop, recorded in the store: calls are made at the look's interim
    threshold and kept. --json prints the result (result.json's schema) on stdout.
    """
    result = decide_step(study, store=store, seed=seed)
    text = render_json(load_study(study), result) if output is not None or as_json else ""
    if as_json:
        print(text, end="" if text.endswith("\n") else "\n")
    else:
        console.print(decisions_table(result))
        reasons = open_reasons(result)
        if reasons:
            console.print("why the open cells are open:")
            for line in reasons:
                console.print(f"  {line}", markup=False)
        print_verdict(result)
    if output is not None:
        write_atomically(output, text)
        if not as_json:
            console.print(f"wrote {output}")
    return EXIT_CODES[overall_outcome(result.verdicts)]
