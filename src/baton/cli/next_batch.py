"""``baton next``: the responses humans should label next, where each label helps most, as
a labelling sheet."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from baton.cli._app import JSON_OPTION, STORE_OPTION, STUDY_ARGUMENT, app, console
from baton.cli._render import new_table, print_json
from baton.steps import labels_export, next_units


@app.command("next")
def next_command(
    study: Path = STUDY_ARGUMENT,
    n: int = typer.Option(
        40, "--n", min=1, help="Labels to ask for (every model's answer counts)."
    ),
    output: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Write a labelling sheet here: .csv, .jsonl or .parquet (see baton labels).",
    ),
    store: str | None = STORE_OPTION,
    seed: int = typer.Option(0, help="Seed of the draw."),
    as_json: bool = JSON_OPTION,
) -> int:
    """Choose the next labels: undecided strata first, where humans disagree with the judge.

    Each unit is an item on one dimension, with every model's answer. With -o, a blinded
    labelling sheet: per row the prompt and conversation, the rubric and what the
    dimension is judged by (style guide, expected behaviour, reference), the answers as
    answer_A, answer_B, ... in a random order per row, the inclusion probability, and empty
    label_A, label_B, ... columns (pass/fail, yes/no or 1/0), rater and note. Which model
    wrote which answer is kept in the store under the row's unit; fill the sheet and
    bring it back with `baton labels import`.
    """
    rows: list[tuple[str | None, str, str, str, float, int | None]]
    if output is not None:
        export = labels_export(study, n, output, store=store, seed=seed)
        rows = [
            (r.unit, r.item_id, r.dimension, r.region, r.inclusion_prob, len(r.answers))
            for r in export.sheet.rows
        ]
    else:
        rows = [
            (None, u.item_id, u.dimension, u.region, u.inclusion_prob, None)
            for u in next_units(study, n, store=store, seed=seed)
        ]
    if as_json:
        keys = ("unit", "item_id", "dimension", "region", "inclusion_prob", "answers")
        print_json(
            {
                "output": None if output is None else str(output),
                "units": [dict(zip(keys, row, strict=True)) for row in rows],
            }
        )
        return 0
    table = new_table(
        f"Next labels: {len(rows)} units",
        "item_id",
        "dimension",
        "region",
        "inclusion_prob",
        right=("inclusion_prob",),
        wrap=("item_id", "dimension", "region"),
    )
    for _unit, item_id, dimension, region, prob, _answers in rows:
        table.add_row(escape(item_id), dimension, escape(region), f"{prob:.4f}")
    console.print(table)
    if output is not None:
        console.print(
            f"wrote {escape(str(output))}: fill label_A, label_B, ... and run "
            f"baton labels import {escape(str(output))} --rater NAME"
        )
    return 0
