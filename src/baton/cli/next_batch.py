"""``baton next``: the responses humans should label next, where each label helps most."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import typer
from rich.table import Table

from baton.cli._app import app, console
from baton.cli._render import write_atomically
from baton.steps import next_units
from baton.study import load_study


@app.command("next")
def next_command(
    study: Path = typer.Argument(Path("study.yaml"), help="The study file."),
    n: int = typer.Option(
        40, "--n", min=1, help="Labels to ask for (every model's answer counts)."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the batch as CSV."),
    store: str | None = typer.Option(None, help="Store URL (default: the study's)."),
    seed: int = typer.Option(0, help="Seed of the draw."),
) -> int:
    """Choose the next batch: undecided strata first, judge cells where humans disagree
    with the judge most; both models' answers to each item. Inclusion probabilities are
    written with the batch: keep them with the labels so estimates stay unbiased."""
    units = next_units(study, n, store=store, seed=seed)
    models = [m.name for m in load_study(study).models]
    table = Table(title=f"Next {len(units) * len(models)} labels", title_justify="left")
    for column in ("item_id", "dimension", "region", "inclusion_prob"):
        table.add_column(column)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["item_id", "model", "dimension", "region", "inclusion_prob"])
    for u in units:
        table.add_row(u.item_id, u.dimension, u.region, f"{u.inclusion_prob:.4f}")
        for model in models:
            writer.writerow([u.item_id, model, u.dimension, u.region, f"{u.inclusion_prob:.6g}"])
    console.print(table)
    if output is not None:
        write_atomically(output, buffer.getvalue())
        console.print(f"wrote {output}")
    return 0
