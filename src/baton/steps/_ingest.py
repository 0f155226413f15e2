"""Ingest over a study's store: read production logs, draw a redacted stratified sample and
store it (``baton ingest``), or show what it would store (``dry_run``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

from baton.data import IngestOptions, IngestReport, ingest_logs, read_logs
from baton.steps._open import study_store
from baton.steps._versions import StudyChanges, record_version
from baton.study import load_study

__all__ = ["DEFAULT_REJECTS", "ingest"]

DEFAULT_REJECTS = "ingest-rejects.jsonl"
"""Where rejected records go with ``skip_invalid`` unless told: beside the study file."""


def ingest(
    study: str | Path,
    logs: Sequence[str],
    *,
    store: str | None = None,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    where: str | None = None,
    seed: int | None = None,
    dry_run: bool = False,
    engine: Literal["duckdb", "spark"] | None = None,
    spark_remote: str | None = None,
    spark_master: str | None = None,
    progress: Callable[[str], None] | None = None,
    on_change: Callable[[str], None] | None = None,
) -> IngestReport:
    """``baton ingest``: draw a stratified, deduplicated, redacted sample of ``logs`` (files
    or globs) into the study's store, whole or not at all. With ``skip_invalid``, invalid
    records are left out and written to ``rejects`` (default: beside the study file).

    ``dry_run``: read, check, map and draw as an ingest would, and write nothing (no store
    is opened, no rejects file written): the summary says which column each field would be
    read from, which columns would be ignored, and what each region would give.

    ``engine``: where the sample is drawn, ``duckdb`` (this machine) or ``spark``; default:
    the study's ``ingest.engine``. With Spark, ``spark_remote`` (a Spark Connect URL,
    sc://...) or ``spark_master`` (local[*], yarn, spark://...) names the session, else the
    study's ``ingest.spark``; the logs may then also be URLs, ``delta:PATH`` or
    ``table:NAME``. Both engines draw the same sample.

    ``on_change`` is told, a line at a time, what changed in the study since the store last
    saw it (and what that means for the items stored)."""
    path = Path(study)
    options = IngestOptions(
        skip_invalid=skip_invalid,
        rejects_path=(rejects or path.parent / DEFAULT_REJECTS)
        if skip_invalid and not dry_run
        else None,
        where=where,
        seed=seed,
        study_source=str(path),
        engine=engine,
        spark_remote=spark_remote,
        spark_master=spark_master,
    )
    if dry_run:
        result = read_logs(load_study(path), logs, options=options, progress=progress)
        return IngestReport(replace(result.summary, dry_run=True), 0, 0)
    with study_store(path, store=store) as opened:
        changes = record_version(opened.store, opened.study)
        if on_change is not None:
            for line in _change_notes(changes, len(opened.store.items())):
                on_change(line)
        return ingest_logs(opened.study, logs, opened.store, options=options, progress=progress)


def _change_notes(changes: StudyChanges, stored: int) -> list[str]:
    """What an edit of the study since the last step means for this ingest, in words."""
    if not changes.changes:
        return []
    notes = ["the study changed since this store last saw it:", *changes.lines()]
    if stored and any(change.scope == "items" for change in changes.changes):
        notes.append(
            f"the ingest section changed: this ingest adds a new sample beside the {stored:,} "
            "items stored, which stay (with their responses and verdicts) and are still "
            "replayed, judged and analysed; an item drawn again under the same id keeps its "
            "stored text. To study the new sample alone, ingest into a new store (--store)"
        )
    return notes
