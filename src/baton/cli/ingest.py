"""``baton ingest``: read production logs, draw a redacted stratified sample, store it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from baton.cli._app import app, console, err_console
from baton.steps import DEFAULT_REJECTS
from baton.steps import ingest as ingest_step


def summary_table(summary: dict[str, Any]) -> Table:
    """One row per study region: records, distinct prompts, items asked for and drawn."""
    table = Table(title="Ingest", title_justify="left")
    for column in ("region", "records", "distinct", "asked", "drawn"):
        table.add_column(column, justify="left" if column == "region" else "right")
    for region, counts in summary["regions"].items():
        table.add_row(
            region,
            f"{counts['records']:,}",
            f"{counts['units']:,}",
            f"{counts['allocated']:,}",
            f"{counts['drawn']:,}",
        )
    return table


def _print_summary(summary: dict[str, Any]) -> None:
    console.print(summary_table(summary))
    console.print(
        f"{summary['records']:,} records read, {summary['rejected']:,} rejected, "
        f"{summary['where_filtered']:,} left out by --where, "
        f"{summary['outside_window']:,} outside the time window, "
        f"{summary['duplicates']:,} duplicate prompts folded into their frequency"
    )
    redactions = {
        field: ", ".join(f"{name} {n}" for name, n in found.items()) or "none"
        for field, found in summary["redactions"].items()
    }
    shown = "; ".join(f"{field}: {found}" for field, found in redactions.items())
    console.print(f"redacted: {shown}" if summary["redaction"] else "redaction is off")
    for warning in summary["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}")
    if summary["rejects_file"]:
        console.print(f"rejects written to {summary['rejects_file']}")
    console.print(
        f"stored {summary['items_written']:,} new items (of {summary['sampled']:,} drawn) and "
        f"{summary['responses_written']:,} logged answers of the incumbent"
    )


@app.command()
def ingest(
    study_path: Path = typer.Argument(..., metavar="STUDY", help="The study file."),
    logs: list[str] = typer.Argument(
        ..., metavar="LOGS...", help="Log files or globs: JSONL, CSV or Parquet, plain or .gz."
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Leave out invalid records, write them to --rejects."
    ),
    rejects: Path | None = typer.Option(
        None,
        help=f"Where rejects go with --skip-invalid (default: {DEFAULT_REJECTS} "
        "next to the study).",
    ),
    where: str | None = typer.Option(
        None, help="SQL condition on the logs' columns, e.g. \"channel = 'web'\"."
    ),
    seed: int | None = typer.Option(None, help="Seed of the draw (default: the study's)."),
    store: str | None = typer.Option(
        None, help="Store URL (default: the study's, or baton.db next to it)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> int:
    """Draw a stratified, deduplicated, redacted sample of production logs into the store.

    The field map, the sampling and the redaction are set in the study's ingest: section.
    An ingest is stored completely or not at all; run again with the same seed, it adds
    nothing.
    """
    if rejects is not None and not skip_invalid:
        raise typer.BadParameter("--rejects goes with --skip-invalid", param_hint="--rejects")
    with console.status("ingesting") as status:
        report = ingest_step(
            study_path,
            logs,
            store=store,
            skip_invalid=skip_invalid,
            rejects=rejects,
            where=where,
            seed=seed,
            progress=status.update,
            on_change=lambda line: err_console.print(line, soft_wrap=True, markup=False),
        )
    if as_json:
        print(json.dumps(report.summary, indent=2, ensure_ascii=False))
    else:
        _print_summary(report.summary)
    return 0
