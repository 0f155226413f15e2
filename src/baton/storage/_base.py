"""The storage contract: one protocol, several backends (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from baton.domain import Item, Label, Look, LookCall, Response, Verdict
from baton.storage._review_base import ReviewStore

__all__ = [
    "BatchRecord",
    "BatchState",
    "CacheEntry",
    "RunRecord",
    "RunStatus",
    "SheetUnit",
    "Store",
    "StudyVersion",
]

RunStatus = Literal["running", "done", "failed", "interrupted"]
"""``interrupted``: the run's process died (was killed) before it could record an end."""


@dataclass(frozen=True)
class RunRecord:
    """One execution of one step of the job, with the study version it ran for, and the
    process that ran it (``pid N on HOST``; None for runs stored before owners were)."""

    run_id: int
    step: str
    fingerprint: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]
    owner: str | None = None


@dataclass(frozen=True)
class StudyVersion:
    """One version of the study the store has seen: ``digest`` hashes its JSON (``study``,
    the specification as a mapping), ``fingerprint`` is what its runs are recorded under."""

    digest: str
    fingerprint: str
    study: dict[str, Any]
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class CacheEntry:
    """One completed call in the replay cache, under the hash of what was asked.

    ``key`` is the content address of the request (provider, base URL, model, messages,
    parameters; never a credential); ``provider`` and ``model`` are kept for maintenance.
    """

    key: str
    provider: str
    model: str
    text: str
    input_tokens: int
    output_tokens: int
    latency_s: float
    finish_reason: str | None = None


@dataclass(frozen=True)
class SheetUnit:
    """A unit handed out on a labelling sheet: an item on one dimension, with the models in
    the order their answers stand on the sheet (``models[0]`` is answer A). ``unit`` is an
    opaque random token: the sheet carries it, never a model's name."""

    unit: str
    item_id: str
    dimension: str
    region: str
    inclusion_prob: float
    models: tuple[str, ...]


BatchState = Literal["intent", "submitted", "stored", "failed"]
"""Where a provider batch stands: ``intent`` (recorded, the provider may not have it yet),
``submitted`` (the provider's id is known), ``stored`` (its results are in the store: done),
``failed`` (the provider refused or lost it whole: its requests are asked again)."""


@dataclass(frozen=True)
class BatchRecord:
    """One batch handed to a provider's batch API, recorded before it is relied on.

    ``batch_key`` is Baton's own name for it (sent as the batch's metadata and input file
    name, so a batch accepted just before a crash is found again); ``external_id`` the
    provider's id once known; ``custom_ids`` the requests it carries (each a request's
    content address); ``model`` the study's name for the model asked."""

    batch_key: str
    step: str
    provider: str
    model: str
    custom_ids: tuple[str, ...]
    state: BatchState = "intent"
    external_id: str | None = None
    created_at: datetime | None = None
    submitted_at: datetime | None = None
    finished_at: datetime | None = None
    stored_at: datetime | None = None
    error: str | None = None


class Store(Protocol):
    """Where a study's state lives. Every ``add_*`` is one transaction: all or nothing.

    ``add_*`` methods are idempotent: a row whose key is already stored is skipped (a
    response stored with an error is replaced by a new one), and the number of rows
    actually written is returned. A response replaces a stored failed one, and a stored one
    that answered another request (both ``request_key`` set and different), whose verdicts
    go with it; a verdict replaces an abstention. Keys: item ``item_id``; response
    ``(item_id, model)``;
    verdict ``(item_id, model, dimension, judge)``; label ``(item_id, model, dimension,
    rater)``.
    """

    url: str

    @property
    def review(self) -> ReviewStore:
        """The review app's raters and label slots (``_review_base``)."""
        ...

    def add_items(self, items: Sequence[Item]) -> int: ...

    def items(self, *, region: str | None = None) -> list[Item]: ...

    def add_responses(
        self, responses: Sequence[Response], *, cache: Sequence[CacheEntry] = ()
    ) -> int:
        """Add responses and, in the same transaction, the cache entries of the calls that
        produced them (an entry whose key is stored is skipped). Returns responses written."""
        ...

    def responses(self, *, model: str | None = None) -> list[Response]: ...

    def answered(self, model: str) -> set[str]:
        """The ids of the items ``model`` has a successful response to."""
        ...

    def failed(self, model: str) -> set[str]:
        """The ids of the items ``model`` has a failed response to."""
        ...

    def response_keys(self, model: str) -> dict[str, str | None]:
        """``model``'s successful responses: the request key each answered, by item id."""
        ...

    def cached(self, keys: Collection[str]) -> dict[str, CacheEntry]:
        """The replay cache's entries for those of ``keys`` it holds, by key."""
        ...

    def add_verdicts(self, verdicts: Sequence[Verdict], *, cache: Sequence[CacheEntry] = ()) -> int:
        """Add verdicts and, in the same transaction, the cache entries of the judge calls
        that produced them. A verdict replaces a stored one of the same key from another
        version of its judge (a rubric was edited) or an abstention; one of the same version
        is skipped."""
        ...

    def verdicts(self, *, dimension: str | None = None) -> list[Verdict]: ...

    def add_labels(self, labels: Sequence[Label]) -> int: ...

    def labels(self, *, dimension: str | None = None) -> list[Label]: ...

    def add_sheet_units(self, units: Sequence[SheetUnit]) -> int:
        """Record the units of a labelling sheet (one transaction); returns units written."""
        ...

    def sheet_units(self, units: Collection[str]) -> dict[str, SheetUnit]:
        """The recorded sheet units among ``units``, by token."""
        ...

    def add_look(self, looks: Sequence[Look], calls: Sequence[LookCall]) -> None:
        """Record a look of the label loop (its strata and the calls made at it) in one
        transaction; a look or call already recorded is kept as it was."""
        ...

    def looks(self) -> list[Look]: ...

    def look_calls(self) -> list[LookCall]: ...

    def start_run(self, step: str, fingerprint: str, *, exclusive: bool = False) -> int:
        """Record a ``running`` run of ``step`` owned by this process; return its id.
        ``exclusive``: refuse with ``StepBusyError`` while a live run of ``step`` exists
        (one writer per step), atomically across processes and machines."""
        ...

    def heartbeat(self, run_id: int) -> None:
        """Say run ``run_id`` is still alive (see ``RUN_LEASE_S``)."""
        ...

    def finish_run(self, run_id: int, status: RunStatus, summary: dict[str, Any]) -> None: ...

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first; a ``running`` run whose process is gone is reported
        ``interrupted``."""
        ...

    def secret(self, name: str) -> bytes:
        """The store's random 32-byte secret called ``name``: created on first use, the same
        for every process that opens the store ever after."""
        ...

    def add_study_version(self, digest: str, fingerprint: str, study: dict[str, Any]) -> bool:
        """Record that the study in version ``digest`` was used now: a new version is
        added (True), a known one has its ``last_seen`` moved to now (False)."""
        ...

    def study_versions(self) -> list[StudyVersion]:
        """Every version seen, the one seen longest ago first, the latest last."""
        ...

    def add_ingested(
        self,
        items: Sequence[Item],
        responses: Sequence[Response],
        *,
        fingerprint: str,
        summary: dict[str, Any],
    ) -> tuple[int, int]:
        """Add an ingest in one transaction: the items, the incumbent's logged responses
        and a ``done`` run of step ``ingest`` whose summary is ``summary`` plus
        ``items_written`` and ``responses_written``. Returns (items, responses) written."""
        ...

    def add_batch(self, batch: BatchRecord) -> None:
        """Record a new provider batch (state ``intent``), before it is submitted."""
        ...

    def update_batch(
        self,
        batch_key: str,
        *,
        state: BatchState,
        external_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Move a batch to ``state`` (stamping when it was submitted, stored or failed),
        with the provider's id once known and, for a failed one, why."""
        ...

    def batches(self, step: str, *, open_only: bool = False) -> list[BatchRecord]:
        """The batches of ``step``, oldest first; ``open_only``: those not stored or failed."""
        ...

    def close(self) -> None: ...
