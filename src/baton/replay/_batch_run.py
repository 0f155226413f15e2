"""Requests through providers' batch APIs: split, recorded, submitted, polled, stored once.

Every batch is recorded in the store (state ``intent``, with the custom ids it carries)
before it is submitted, and with the provider's id as soon as the provider accepts it. A run
killed at any moment and run again therefore finds every batch it handed over: one with an
id is polled again; one recorded without (killed between the provider accepting it and its
id being stored) is looked up with the client's ``find`` (by Baton's name for it, in the
batch's metadata where the API keeps one) and submitted only if the provider has none. Its
requests are never in another batch while it is open. An ended batch's results are streamed
to ``store_results`` a chunk at a time, then the batch is marked ``stored``; a request
the results do not hold fails with the batch's fate as its cause (``batch_expired``, ...).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers import BatchClient, BatchOutcome, BatchStatus, CompletionRequest
from baton.storage import BatchRecord, Store
from baton.study import ModelSpec

__all__ = ["BatchJob", "BatchMode", "BatchRetry", "BatchTally", "run_provider_batches"]

BatchRetry = Literal["batch", "interactive", "none"]
"""What happens to requests a batch could not answer: asked in a follow-up batch (then,
judging, interactively), asked interactively at once, or left failed for the next run."""

StoreResults = Callable[[Sequence[BatchOutcome]], Awaitable[None]]


@dataclass(frozen=True)
class BatchMode:
    """How batches run: ``poll_interval_s`` between looks at the open batches;
    ``max_requests`` per batch (None: the API's own limit); ``retry`` of what a batch could
    not answer, in up to ``follow_ups`` further batches; ``results_chunk`` results stored per
    transaction; ``max_poll_failures`` failed looks in a row at one batch before the run
    stops (the batch stays open: the next run polls it again)."""

    poll_interval_s: float = 30.0
    max_requests: int | None = None
    retry: BatchRetry = "batch"
    follow_ups: int = 1
    results_chunk: int = 2000
    max_poll_failures: int = 20

    def __post_init__(self) -> None:
        if self.poll_interval_s < 0 or self.follow_ups < 0:
            raise ValueError("poll_interval_s and follow_ups must not be negative")
        if (self.max_requests is not None and self.max_requests < 1) or self.results_chunk < 1:
            raise ValueError("max_requests and results_chunk must be at least 1")
        if self.max_poll_failures < 1:
            raise ValueError("max_poll_failures must be at least 1")


@dataclass(frozen=True)
class BatchJob:
    """One request for a batch: ``custom_id`` (its content address) and the model asked."""

    custom_id: str
    spec: ModelSpec
    request: CompletionRequest


@dataclass
class BatchTally:
    """What the batches of a run did: ``submitted`` new batches (``requests`` in them),
    ``resumed`` open batches of an earlier run, ``found`` of those recorded without an id
    that the provider turned out to have, ``outcomes`` results read (``failed`` of them),
    ``polls`` looks at a batch (``poll_failures`` of them failed)."""

    submitted: int = 0
    requests: int = 0
    resumed: int = 0
    found: int = 0
    outcomes: int = 0
    failed: int = 0
    polls: int = 0
    poll_failures: int = 0
    batch_ids: list[str] = field(default_factory=list)


async def run_provider_batches(
    step: str,
    jobs: Sequence[BatchJob],
    clients: Mapping[str, BatchClient],
    store: Store,
    *,
    mode: BatchMode,
    store_results: StoreResults,
    tally: BatchTally,
    on_event: Callable[[str], None] | None = None,
) -> None:
    """Finish every open batch of ``step``, then submit ``jobs`` (those no open batch
    carries) in batches within each API's limits and finish those; ``clients`` maps a model's
    name to its batch client."""
    runner = _Runner(
        step, clients, store, mode=mode, store_results=store_results, tally=tally, on_event=on_event
    )
    by_id = {job.custom_id: job for job in jobs}
    opened = []
    for row in store.batches(step, open_only=True):
        if row.model in clients:
            opened.append(row)
        else:  # its model left the study: what it carries is asked no more
            store.update_batch(row.batch_key, state="failed", error="its model left the study")
    tally.resumed += len(opened)
    carried = {cid for row in opened for cid in row.custom_ids}
    for row in opened:
        if row.external_id is None:
            await runner.resubmit(row, by_id)
    for spec_name, group in _grouped([job for job in jobs if job.custom_id not in carried]):
        for part in _split(group, clients[spec_name], mode.max_requests):
            await runner.submit_new(spec_name, part)
    live = [r for r in store.batches(step, open_only=True) if r.external_id is not None]
    live = [r for r in live if r.model in clients]
    await runner.poll_until_done(live)


def _grouped(jobs: Sequence[BatchJob]) -> Iterator[tuple[str, list[BatchJob]]]:
    groups: dict[str, list[BatchJob]] = {}
    for job in jobs:
        groups.setdefault(job.spec.name, []).append(job)
    yield from groups.items()


_Part = list[tuple[BatchJob, dict[str, Any]]]


def _split(
    jobs: Sequence[BatchJob], client: BatchClient, max_requests: int | None
) -> Iterator[_Part]:
    """The jobs in batches within the client's limits (count and bytes) and ``max_requests``."""
    limit = min(client.limits.max_requests, max_requests or client.limits.max_requests)
    part: _Part = []
    size = 0
    for job in jobs:
        entry = client.entry(job.custom_id, job.request)
        line = len(json.dumps(entry, ensure_ascii=False).encode()) + 1
        if part and (len(part) >= limit or size + line > client.limits.max_bytes):
            yield part
            part, size = [], 0
        part.append((job, entry))
        size += line
    if part:
        yield part


class _Runner:
    """One run's batches of one step."""

    def __init__(
        self,
        step: str,
        clients: Mapping[str, BatchClient],
        store: Store,
        *,
        mode: BatchMode,
        store_results: StoreResults,
        tally: BatchTally,
        on_event: Callable[[str], None] | None,
    ) -> None:
        self.step = step
        self.clients = clients
        self.store = store
        self.mode = mode
        self.store_results = store_results
        self.tally = tally
        self.say = on_event or (lambda line: None)

    async def submit_new(self, spec_name: str, part: _Part) -> None:
        """Record the batch's intent, submit it, record its id. A batch the provider refuses
        outright fails, and so does each of its requests, with the refusal as cause; on any
        other failure the run stops, and the next one looks the batch up before submitting."""
        client = self.clients[spec_name]
        row = BatchRecord(
            f"baton-{self.step}-{secrets.token_hex(8)}",
            self.step,
            client.provider,
            spec_name,
            tuple(job.custom_id for job, _ in part),
        )
        self.store.add_batch(row)  # before the provider can have it
        try:
            external_id = await client.submit(row.batch_key, [entry for _, entry in part])
        except ProviderFatalError as error:
            outcomes = [BatchOutcome(cid, None, error) for cid in row.custom_ids]
            await self.hand_over(outcomes)
            self.store.update_batch(row.batch_key, state="failed", error=str(error))
            self.say(f"batch of {len(part):,} requests to {spec_name} refused: {error}")
            return
        self.submitted(row, external_id)
        self.say(f"submitted batch {external_id} ({len(part):,} requests to {spec_name})")

    def submitted(self, row: BatchRecord, external_id: str) -> None:
        self.store.update_batch(row.batch_key, state="submitted", external_id=external_id)
        self.tally.submitted += 1
        self.tally.requests += len(row.custom_ids)
        self.tally.batch_ids.append(external_id)

    async def resubmit(self, row: BatchRecord, by_id: Mapping[str, BatchJob]) -> None:
        """A batch recorded without an id: the provider's if it has it, else submitted now
        (unless the study no longer asks all it carries: then it is dropped, never sent)."""
        client = self.clients[row.model]
        known = {r.external_id for r in self.store.batches(row.step) if r.external_id}
        assert row.created_at is not None
        found = await client.find(
            row.batch_key, since=row.created_at, requests=len(row.custom_ids), known=known
        )
        if found is not None:
            self.tally.found += 1
            self.tally.batch_ids.append(found)
            self.store.update_batch(row.batch_key, state="submitted", external_id=found)
            self.say(f"found batch {found}, accepted before the last run stopped")
            return
        jobs = [by_id[cid] for cid in row.custom_ids if cid in by_id]
        if len(jobs) < len(row.custom_ids):
            self.store.update_batch(row.batch_key, state="failed", error="never sent; superseded")
            return
        entries = [client.entry(job.custom_id, job.request) for job in jobs]
        self.submitted(row, await client.submit(row.batch_key, entries))

    async def poll_until_done(self, rows: list[BatchRecord]) -> None:
        """Look at every open batch each ``poll_interval_s``; store each one that ended."""
        failures = dict.fromkeys((row.batch_key for row in rows), 0)
        while rows:
            for row in list(rows):
                try:
                    status = await self.poll(row)
                except ProviderRetryableError as error:
                    self.tally.poll_failures += 1
                    failures[row.batch_key] += 1
                    if failures[row.batch_key] >= self.mode.max_poll_failures:
                        raise ProviderRetryableError(
                            f"batch {row.external_id}: {failures[row.batch_key]} looks in a "
                            f"row failed (last: {error}); run again to go on polling it",
                            cause=error.cause,
                        ) from error
                    continue
                failures[row.batch_key] = 0
                if status is not None:
                    rows.remove(row)
            if rows:
                await asyncio.sleep(self.mode.poll_interval_s)

    async def poll(self, row: BatchRecord) -> BatchStatus | None:
        """Look at one batch; if it ended, store its results and close it (its status)."""
        assert row.external_id is not None
        self.tally.polls += 1
        try:
            status = await self.clients[row.model].status(row.external_id)
        except ProviderFatalError as error:
            if error.cause != "not_found":
                raise
            status = BatchStatus("failed", detail=f"the provider no longer has it: {error}")
        if status.state == "running":
            return None
        await self.finish(row, status)
        failed = status.state == "failed"
        self.store.update_batch(
            row.batch_key,
            state="failed" if failed else "stored",
            error=status.detail if failed else None,
        )
        self.say(f"batch {row.external_id} {status.detail or status.state}: results stored")
        return status

    async def finish(self, row: BatchRecord, status: BatchStatus) -> None:
        """Store an ended batch's results, a chunk at a time; what they lack fails with the
        batch's fate (``batch_expired``, ``batch_cancelled``, ``batch_missing``); a failed
        batch's requests all fail with it (``batch_failed``)."""
        assert row.external_id is not None
        expected = set(row.custom_ids)
        seen: set[str] = set()
        chunk: list[BatchOutcome] = []
        if status.state == "ended":
            async for outcome in self.clients[row.model].results(row.external_id):
                if outcome.custom_id not in expected or outcome.custom_id in seen:
                    continue  # another batch's request, or a duplicate line
                seen.add(outcome.custom_id)
                chunk.append(outcome)
                if len(chunk) >= self.mode.results_chunk:
                    await self.hand_over(chunk)
                    chunk = []
        error = _missing_error(status)
        chunk += [BatchOutcome(cid, None, error) for cid in row.custom_ids if cid not in seen]
        if chunk:
            await self.hand_over(chunk)

    async def hand_over(self, chunk: Sequence[BatchOutcome]) -> None:
        await self.store_results(chunk)
        self.tally.outcomes += len(chunk)
        self.tally.failed += sum(outcome.error is not None for outcome in chunk)


def _missing_error(status: BatchStatus) -> ProviderError:
    """What a request an ended (or failed) batch holds no result for fails with."""
    if status.state == "failed":
        return ProviderFatalError(f"the batch failed: {status.detail}", cause="batch_failed")
    fate = {"expired": "expired", "cancelled": "cancelled", "canceled": "cancelled"}
    cause = f"batch_{fate.get(status.detail, 'missing')}"
    why = f"the batch ended ({status.detail}) without a result for this request"
    return ProviderRetryableError(why, cause=cause)
