"""``baton ingest``: read production logs, draw a redacted stratified sample, store it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from baton.cli._app import JSON_OPTION, STORE_OPTION, app, console, err_console
from baton.cli._render import new_table, print_json
from baton.data import IngestSummary
from baton.steps import DEFAULT_REJECTS
from baton.steps import ingest as ingest_step

_STUDY_SUFFIXES = (".yaml", ".yml")


class Engine(StrEnum):
    """Where the sample is drawn."""

    duckdb = "duckdb"
    spark = "spark"


def summary_table(summary: IngestSummary) -> Table:
    """One row per study region: records, distinct prompts, items asked for and drawn."""
    numbers = ("records", "distinct", "asked", "drawn")
    table = new_table("Ingest", "region", *numbers, right=numbers, wrap=("region",))
    for region, counts in summary.regions.items():
        table.add_row(
            escape(region),
            f"{counts.records:,}",
            f"{counts.units:,}",
            f"{counts.allocated:,}",
            f"{counts.drawn:,}",
        )
    return table


def fields_line(summary: IngestSummary) -> str:
    """Which column each field was read from (``auto``: found under a common name), and
    which columns were left unread."""
    used = ", ".join(
        f"{field} ← {column}{' (auto)' if field in summary.auto_fields else ''}"
        for field, column in summary.fields.items()
    )
    ignored = ", ".join(summary.ignored_columns) or "none"
    return f"fields: {used}; ignored columns: {ignored}"


def _print_summary(summary: IngestSummary) -> None:
    console.print(summary_table(summary))
    console.print(escape(fields_line(summary)))
    console.print(
        f"{summary.records:,} records read, {summary.rejected:,} rejected, "
        f"{summary.where_filtered:,} left out by --where, "
        f"{summary.outside_window:,} outside the time window, "
        f"{summary.duplicates:,} duplicate prompts folded into their frequency"
    )
    redactions = {
        field: ", ".join(f"{name} {n}" for name, n in found.items()) or "none"
        for field, found in summary.redactions.items()
    }
    shown = "; ".join(f"{field}: {found}" for field, found in redactions.items())
    console.print(f"redacted: {shown}" if summary.redaction else "redaction is off")
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if summary.rejects_file:
        console.print(f"rejects written to {escape(summary.rejects_file)}")
    if summary.dry_run:
        console.print(
            f"dry run: would store up to {summary.sampled:,} items and "
            f"{summary.logged_responses:,} logged answers of the incumbent; nothing written"
        )
        return
    console.print(
        f"stored {summary.items_written or 0:,} new items (of {summary.sampled:,} drawn) and "
        f"{summary.responses_written or 0:,} logged answers of the incumbent"
    )


def _split(paths: list[str], study: Path | None) -> tuple[Path, list[str]]:
    """The study and the logs: ``--study``, else a first argument ending in .yaml/.yml,
    else study.yaml."""
    if study is None and paths and paths[0].lower().endswith(_STUDY_SUFFIXES):
        study, paths = Path(paths[0]), paths[1:]
    if not paths:
        raise typer.BadParameter("name the log files (or globs) to read", param_hint="LOGS...")
    return study or Path("study.yaml"), paths


@app.command()
def ingest(
    paths: list[str] = typer.Argument(
        ...,
        metavar="[STUDY] LOGS",
        help="Log files or globs: JSONL, CSV or Parquet, plain or .gz; a first argument "
        "ending in .yaml or .yml is the study. With --engine spark also URLs Spark reads "
        "(s3a://, abfss://, hdfs://), directories, delta:PATH and table:NAME.",
    ),
    study: Path | None = typer.Option(
        None, "--study", help="The study file (default: study.yaml)."
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Read, map and draw, show the fields, ignored columns and per-region counts, "
        "and write nothing.",
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
    engine: Engine | None = typer.Option(
        None,
        help="Where the sample is drawn: duckdb (this machine) or spark (a Spark session or "
        "cluster); default: the study's ingest.engine. Both draw the same sample.",
    ),
    spark_remote: str | None = typer.Option(
        None,
        "--spark-remote",
        help="With --engine spark: a Spark Connect URL (sc://host:15002) to draw on.",
    ),
    spark_master: str | None = typer.Option(
        None,
        "--spark-master",
        help="With --engine spark: the master of a session started here (default: the "
        "study's ingest.spark.master, local[*]).",
    ),
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> int:
    """Draw a stratified, deduplicated, redacted sample of production logs into the store.

    The field map, the sampling and the redaction are set in the study's ingest: section.
    A field the study maps to no column is looked for under its common names: prompt
    (prompt, question, input, query), incumbent_answer (answer, output, completion,
    response), region (region, locale, market), expected_behaviour (expected_behaviour,
    expected, refuse, label), reference (reference, gold, ground_truth), id, timestamp
    (timestamp, ts, time, created_at). The summary says which column each field came
    from and which columns were ignored. An ingest is stored completely or not at all; run
    again with the same seed, it adds nothing.
    """
    if rejects is not None and not skip_invalid:
        raise typer.BadParameter("--rejects goes with --skip-invalid", param_hint="--rejects")
    if spark_remote is not None and spark_master is not None:
        raise typer.BadParameter(
            "name a Spark Connect URL or a master, not both", param_hint="--spark-remote"
        )
    if spark_remote is not None and not spark_remote.startswith("sc://"):
        raise typer.BadParameter("a Spark Connect URL starts sc://", param_hint="--spark-remote")
    study_path, logs = _split(paths, study)
    with console.status("ingesting") as status:
        report = ingest_step(
            study_path,
            logs,
            store=store,
            skip_invalid=skip_invalid,
            rejects=rejects,
            where=where,
            seed=seed,
            dry_run=dry_run,
            engine=None if engine is None else engine.value,
            spark_remote=spark_remote,
            spark_master=spark_master,
            progress=status.update,
            on_change=lambda line: err_console.print(line, soft_wrap=True, markup=False),
        )
    if as_json:
        print_json(report.summary.to_dict())
    else:
        _print_summary(report.summary)
    return 0
