"""Replay through the providers' batch APIs (``baton replay --batch``).

The (item, model) pairs without a current successful response become distinct requests
(identical ones shared, as the interactive engine shares them), each named by its content
address, its ``custom_id``; they go out in batches (``_batch_run``) and every result is
stored once, as the responses it answers and a cache entry, costed at the model's batch
prices (``batch_token_cost``). A request a batch could not answer is stored as a failed
response with its cause, like an interactive failure; with ``retry="batch"`` the failures
go out again in up to ``follow_ups`` further batches, with ``"interactive"`` the caller asks
them interactively (``replay_responses`` with ``failed_only``), with ``"none"`` they wait for
the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from baton.domain import Item, Response
from baton.errors import ProviderError
from baton.providers import BatchClient, BatchOutcome, key_redactor
from baton.replay._batch_run import BatchJob, BatchMode, BatchTally, run_provider_batches
from baton.replay._batching import Call, cache_entry, calls_for, pending_pairs, responses_for
from baton.replay._calls import CallOutcome, stored_completion
from baton.replay._options import ReplayProgress, ReplaySummary
from baton.replay._requests import batch_token_cost, max_stored_chars
from baton.storage import CacheEntry, Store
from baton.study import Study

__all__ = ["replay_in_batches"]

STEP = "replay"


async def replay_in_batches(
    study: Study,
    items: Sequence[Item],
    clients: Mapping[str, BatchClient],
    store: Store,
    *,
    mode: BatchMode,
    progress: ReplayProgress | None = None,
    on_event: Callable[[str], None] | None = None,
    failed_only: bool = False,
) -> tuple[ReplaySummary, BatchTally]:
    """Ask every model in ``study`` every item without a current successful response
    (with ``failed_only``, only those whose stored response failed), through ``clients`` (a
    batch client per model name); resume the open batches of an earlier run first. Returns
    what was stored and what the batches did."""
    started = time.perf_counter()
    tally = BatchTally()
    written = _Written(progress)
    rounds = 1 + (mode.follow_ups if mode.retry == "batch" else 0)
    first_pending = stale = 0
    for round_number in range(rounds):
        retrying = failed_only or round_number > 0
        pending = pending_pairs(study, items, store, failed_only=retrying)
        if round_number == 0:
            first_pending, stale = len(pending.pairs), sum(pending.stale.values())
            if progress is not None:
                progress.start(first_pending)
        calls = calls_for(study, pending.pairs, share=True)
        if not calls and not store.batches(STEP, open_only=True):
            break
        jobs = [BatchJob(key, call.spec, call.request) for key, call in calls.items()]
        results = _ResultWriter(study, calls, store, written)
        await run_provider_batches(
            STEP,
            jobs,
            clients,
            store,
            mode=mode,
            store_results=results,
            tally=tally,
            on_event=on_event,
        )
    summary = written.summary(first_pending, stale, time.perf_counter() - started, tally)
    return summary, tally


class _ResultWriter:
    """Stores a chunk of a batch's results in one transaction: the responses each answers
    (only for requests still pending in this run: a result stored before is never stored
    again) and the cache entries."""

    def __init__(
        self, study: Study, calls: dict[str, Call], store: Store, written: _Written
    ) -> None:
        self._calls = calls
        self._store = store
        self._written = written
        self._redact = key_redactor(study.models)
        self._max_chars = {
            spec.name: max_stored_chars(spec, study.service.parameters) for spec in study.models
        }

    async def __call__(self, outcomes: Sequence[BatchOutcome]) -> None:
        responses: list[Response] = []
        entries: list[CacheEntry] = []
        for outcome in outcomes:
            call = self._calls.pop(outcome.custom_id, None)
            if call is None:
                continue  # answered already, or no longer asked
            answered = self._outcome(call, outcome)
            responses += [_batch_priced(call, r) for r in responses_for(call, answered)]
            entry = cache_entry(call, answered)
            if entry is not None:
                entries.append(entry)
        if responses:
            count = self._store.add_responses(responses, cache=entries)
            self._written.committed(responses, count)

    def _outcome(self, call: Call, outcome: BatchOutcome) -> CallOutcome:
        error: ProviderError | None = outcome.error
        if outcome.completion is not None:
            try:
                completion = stored_completion(
                    outcome.completion,
                    redact=self._redact,
                    max_chars=self._max_chars[call.spec.name],
                )
            except ProviderError as caught:
                error = caught
            else:
                return CallOutcome(completion, None, 1)
        assert error is not None
        return CallOutcome(None, self._redact.error(error), 1)


def _batch_priced(call: Call, response: Response) -> Response:
    spec = next(s for _, s in call.targets if s.name == response.model)
    cost = batch_token_cost(spec, response.input_tokens, response.output_tokens)
    return replace(response, cost_usd=cost)


class _Written:
    """Counts the responses stored, passing the news on to ``progress``; a pair that failed
    in one batch and was answered in a follow-up counts as answered."""

    def __init__(self, progress: ReplayProgress | None) -> None:
        self.progress = progress
        self.written = 0
        self.input_tokens = self.output_tokens = 0
        self.cost_usd = 0.0
        self.failed: dict[tuple[str, str], str] = {}
        self.reported: set[tuple[str, str]] = set()

    def committed(self, responses: Sequence[Response], written: int) -> None:
        self.written += written
        new = errors = 0
        for response in responses:
            key = (response.item_id, response.model)
            if key not in self.reported:
                self.reported.add(key)
                new += 1
                errors += response.error is not None
            if response.error is None:
                self.failed.pop(key, None)
            else:
                self.failed[key] = response.error
            self.input_tokens += response.input_tokens
            self.output_tokens += response.output_tokens
            self.cost_usd += response.cost_usd
        if self.progress is not None and new:
            self.progress.advance(new, errors)

    def summary(
        self, pending: int, stale: int, elapsed_s: float, tally: BatchTally
    ) -> ReplaySummary:
        causes: dict[str, int] = {}
        examples: dict[str, str] = {}
        for error in self.failed.values():
            cause = error.split(":", 1)[0]
            causes[cause] = causes.get(cause, 0) + 1
            examples.setdefault(cause, error)
        return ReplaySummary(
            pending=pending,
            written=self.written,
            errors=len(self.failed),
            called=tally.outcomes - tally.failed,
            attempts=tally.outcomes,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
            spent_usd=self.cost_usd,
            elapsed_s=elapsed_s,
            errors_by_cause=dict(sorted(causes.items())),
            stale=stale,
            error_examples=dict(sorted(examples.items())),
        )
