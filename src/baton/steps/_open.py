"""A study and its open store, and the runs each step records in it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.storage import Store, default_store_url, open_store
from baton.study import Study, load_study

__all__ = ["StudyStore", "open_study", "recorded_step", "study_store"]


@dataclass(frozen=True)
class StudyStore:
    """A study and its open store."""

    study: Study
    store: Store


def open_study(path: str | Path, *, store: str | None = None) -> StudyStore:
    """Load ``study.yaml`` and open its store: ``store`` if given, else ``store:`` in the
    file, else baton.db beside it."""
    study = load_study(path)
    return StudyStore(study, open_store(store or study.store or default_store_url(Path(path))))


@contextmanager
def study_store(path: str | Path, *, store: str | None = None) -> Iterator[StudyStore]:
    """``open_study`` as a context: the store is closed however the block ends."""
    opened = open_study(path, store=store)
    try:
        yield opened
    finally:
        opened.store.close()


@contextmanager
def recorded_step(
    store: Store, step: str, fingerprint: str, summary: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Record one step as a run: done with its summary, or failed if it raised."""
    run_id = store.start_run(step, fingerprint)
    try:
        yield summary
    except BaseException as exc:
        store.finish_run(run_id, "failed", {**summary, "error": type(exc).__name__})
        raise
    store.finish_run(run_id, "done", summary)
