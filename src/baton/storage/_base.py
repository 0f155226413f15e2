"""The storage contract: one protocol, several backends (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from baton.domain import Item, Label, Response, Verdict

__all__ = ["RunRecord", "RunStatus", "Store"]

RunStatus = Literal["running", "done", "failed"]


@dataclass(frozen=True)
class RunRecord:
    """One execution of one step of the job, with the study version it ran for."""

    run_id: int
    step: str
    fingerprint: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]


class Store(Protocol):
    """Where a study's state lives. Every ``add_*`` is one transaction: all or nothing.

    ``add_*`` methods are idempotent: a row whose key is already stored is skipped (a
    response stored with an error is replaced by a new one), and the number of rows
    actually written is returned. Keys: item ``item_id``; response ``(item_id, model)``;
    verdict ``(item_id, model, dimension, judge)``; label ``(item_id, model, dimension,
    rater)``.
    """

    url: str

    def add_items(self, items: Sequence[Item]) -> int: ...

    def items(self, *, region: str | None = None) -> list[Item]: ...

    def add_responses(self, responses: Sequence[Response]) -> int: ...

    def responses(self, *, model: str | None = None) -> list[Response]: ...

    def add_verdicts(self, verdicts: Sequence[Verdict]) -> int: ...

    def verdicts(self, *, dimension: str | None = None) -> list[Verdict]: ...

    def add_labels(self, labels: Sequence[Label]) -> int: ...

    def labels(self, *, dimension: str | None = None) -> list[Label]: ...

    def start_run(self, step: str, fingerprint: str) -> int: ...

    def finish_run(self, run_id: int, status: RunStatus, summary: dict[str, Any]) -> None: ...

    def runs(self) -> list[RunRecord]: ...

    def close(self) -> None: ...
