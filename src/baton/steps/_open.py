"""A study and its open store, and the runs each step records in it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.errors import BatonError
from baton.storage import RUN_LEASE_S, Store, default_store_url, open_store
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
    store: Store,
    step: str,
    fingerprint: str,
    summary: dict[str, Any],
    *,
    exclusive: bool = False,
) -> Iterator[dict[str, Any]]:
    """Record one step as a run: done with its summary, or failed if it raised. While it
    runs, a thread says it is alive (``Store.heartbeat``), so it is shown ``running``;
    ``exclusive``: refuse (``StepBusyError``) while another process runs ``step``."""
    run_id = store.start_run(step, fingerprint, exclusive=exclusive)
    beating = _Heartbeat(store, run_id)
    try:
        yield summary
    except BaseException as exc:
        beating.stop()
        store.finish_run(run_id, "failed", {**summary, "error": type(exc).__name__})
        raise
    beating.stop()
    store.finish_run(run_id, "done", summary)


class _Heartbeat:
    """Calls ``store.heartbeat(run_id)`` every sixth of the lease until stopped; a beat that
    fails (the store is briefly unreachable) is tried again at the next."""

    def __init__(self, store: Store, run_id: int) -> None:
        self._store, self._run_id = store, run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="baton-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(RUN_LEASE_S / 6):
            try:
                self._store.heartbeat(self._run_id)
            except BatonError:
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
