"""Ingest over a study's store: read production logs, draw a redacted stratified sample and
store it (``baton ingest``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from baton.data import IngestOptions, IngestReport, ingest_logs
from baton.steps._open import study_store

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
    progress: Callable[[str], None] | None = None,
) -> IngestReport:
    """``baton ingest``: draw a stratified, deduplicated, redacted sample of ``logs`` (files
    or globs) into the study's store, whole or not at all. With ``skip_invalid``, invalid
    records are left out and written to ``rejects`` (default: beside the study file)."""
    path = Path(study)
    options = IngestOptions(
        skip_invalid=skip_invalid,
        rejects_path=(rejects or path.parent / DEFAULT_REJECTS) if skip_invalid else None,
        where=where,
        seed=seed,
        study_source=str(path),
    )
    with study_store(path, store=store) as opened:
        return ingest_logs(opened.study, logs, opened.store, options=options, progress=progress)
