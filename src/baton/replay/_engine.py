"""Replay: send each item to every model under study and store the responses.

A producer plans the (item, model) pairs without a current answer a ``lookahead`` at a time: pairs
asking the same thing share one call, and calls the cache can answer are stored at once.
The rest go through a bounded queue to ``concurrency`` workers, each of which calls (under
the endpoint's rate limits, with retries and a timeout) and hands the answer to the store
writer, which commits many per transaction. A worker takes its next call only once its
answer is stored: a run killed at any point loses at most the calls in flight, and a re-run
asks only what has no successful response.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from baton.domain import Item, Response
from baton.errors import ProviderFatalError
from baton.providers import Provider, key_redactor
from baton.replay._batching import (
    Call,
    Pair,
    cache_entry,
    cached_responses,
    calls_for,
    chunks,
    pending_pairs,
    responses_for,
)
from baton.replay._calls import Caller, CallOutcome, EndpointHealth
from baton.replay._limits import RateLimiter
from baton.replay._options import ReplayOptions, ReplayProgress, ReplaySummary
from baton.replay._requests import max_stored_chars, token_cost
from baton.replay._writer import StoreWriter
from baton.storage import Store
from baton.study import ModelSpec, Study

__all__ = ["replay_responses"]

_DEFAULTS = ReplayOptions()


class _Tally:
    """Counts what a replay did, as responses are stored."""

    def __init__(self, progress: ReplayProgress | None) -> None:
        self.progress = progress
        self.written = self.errors = self.cached = self.called = self.attempts = 0
        self.input_tokens = self.output_tokens = 0
        self.cost_usd = self.spent_usd = 0.0
        self.causes: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self.down: list[str] = []

    def committed(self, responses: Sequence[Response], written: int) -> None:
        errors = [r.error for r in responses if r.error is not None]
        self.written += written
        self.errors += len(errors)
        for error in errors:
            cause = error.split(":", 1)[0]
            self.causes[cause] += 1
            self.examples.setdefault(cause, error)
        for response in responses:
            self.input_tokens += response.input_tokens
            self.output_tokens += response.output_tokens
            self.cost_usd += response.cost_usd
        if self.progress is not None:
            self.progress.advance(len(responses), len(errors))

    def called_once(self, call: Call, outcome: CallOutcome) -> None:
        self.attempts += outcome.attempts
        completion = outcome.completion
        if completion is not None:
            self.called += 1
            self.cached += len(call.targets) - 1
            tokens = (completion.input_tokens, completion.output_tokens)
            self.spent_usd += token_cost(call.spec, *tokens)

    def summary(self, pending: int, stale: int, elapsed_s: float) -> ReplaySummary:
        return ReplaySummary(
            pending=pending,
            stale=stale,
            error_examples=dict(sorted(self.examples.items())),
            down=tuple(self.down),
            written=self.written,
            errors=self.errors,
            cached=self.cached,
            called=self.called,
            attempts=self.attempts,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.cost_usd,
            spent_usd=self.spent_usd,
            elapsed_s=elapsed_s,
            errors_by_cause=dict(sorted(self.causes.items())),
        )


async def replay_responses(
    study: Study,
    items: Sequence[Item],
    providers: Mapping[str, Provider],
    store: Store,
    *,
    options: ReplayOptions = _DEFAULTS,
    progress: ReplayProgress | None = None,
    on_down: Callable[[str], None] | None = None,
) -> ReplaySummary:
    """Ask every model in ``study`` every item that has no current successful response.

    ``providers`` maps each model's name to its provider. A failed call is stored as a
    response with its cause and counted; a re-run retries it and skips everything answered
    with what the study asks now (a response to another request, from an older version of
    the study, is asked again: the cache answers what was asked before). An endpoint
    declared down is reported to ``on_down`` once; its calls then fail at once (cause
    ``down``) while the other models' go on. An exception that is not a provider's failure
    stops the run, after storing every answer already received.
    """
    started = time.perf_counter()
    pending = pending_pairs(study, items, store, failed_only=options.failed_only)
    pairs = pending.pairs
    tally = _Tally(progress)
    if progress is not None:
        progress.start(len(pairs))

    def down(message: str) -> None:
        tally.down.append(message)
        if on_down is not None:
            on_down(message)

    callers = _callers(study, providers, options, down)
    async with StoreWriter(store, tally.committed) as writer:
        queue: asyncio.Queue[Call | None] = asyncio.Queue(maxsize=options.concurrency)
        workers = [_work(queue, callers, writer, tally) for _ in range(options.concurrency)]
        producer = _produce(
            study, pairs, store=store, queue=queue, writer=writer, options=options, tally=tally
        )
        await _first_error([producer, *workers])
    stale = sum(pending.stale.values())
    return tally.summary(len(pairs), stale, time.perf_counter() - started)


async def _produce(
    study: Study,
    pairs: Sequence[Pair],
    *,
    store: Store,
    queue: asyncio.Queue[Call | None],
    writer: StoreWriter,
    options: ReplayOptions,
    tally: _Tally,
) -> None:
    """Plan the pairs a lookahead at a time: store cache hits, queue the calls."""
    stored: asyncio.Future[None] | None = None
    for chunk in chunks(pairs, options.lookahead):
        calls = calls_for(study, chunk, share=options.cache)
        if options.cache:
            hits = await writer.read(store.cached, list(calls))
            answered = [r for key, e in hits.items() for r in cached_responses(calls.pop(key), e)]
            tally.cached += len(answered)
            if stored is not None:
                await stored  # one commit of hits at a time, overlapping the next plan
            stored = writer.submit(answered, ()) if answered else None
        for call in calls.values():
            await queue.put(call)
    if stored is not None:
        await stored
    for _ in range(options.concurrency):
        await queue.put(None)


async def _work(
    queue: asyncio.Queue[Call | None],
    callers: Mapping[str, Caller],
    writer: StoreWriter,
    tally: _Tally,
) -> None:
    """Make calls from the queue until told to stop; each is stored before the next."""
    while (call := await queue.get()) is not None:
        outcome = await callers[call.spec.name].call(call.request)
        tally.called_once(call, outcome)
        entry = cache_entry(call, outcome)
        await writer.commit(responses_for(call, outcome), [entry] if entry else [])


async def _first_error(coroutines: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run the coroutines until all are done or one fails; then cancel the rest and raise."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _callers(
    study: Study,
    providers: Mapping[str, Provider],
    options: ReplayOptions,
    on_down: Callable[[str], None],
) -> dict[str, Caller]:
    """A caller per model; models on the same endpoint share its (tightest) rate limits
    and whether it is up."""
    rng = random.Random(options.seed)
    redact = key_redactor(study.models)
    endpoints: dict[tuple[str, str | None, str], list[ModelSpec]] = {}
    for spec in study.models:
        endpoints.setdefault((spec.provider, spec.base_url, spec.model), []).append(spec)
    callers: dict[str, Caller] = {}
    for specs in endpoints.values():
        limiter = RateLimiter(
            rpm=_tightest([s.rpm for s in specs]), tpm=_tightest([s.tpm for s in specs])
        )
        health = EndpointHealth(
            _endpoint_name(specs), down_after=options.down_after, on_down=on_down
        )
        for spec in specs:
            provider = providers.get(spec.name)
            if provider is None:
                raise ProviderFatalError(f"no provider was given for model {spec.name!r}")
            callers[spec.name] = Caller(
                provider,
                limiter,
                timeout_s=spec.timeout_s,
                retry=options.retry,
                rng=rng,
                redact=redact,
                max_stored_chars=max_stored_chars(spec, study.service.parameters),
                health=health,
            )
    return callers


def _endpoint_name(specs: Sequence[ModelSpec]) -> str:
    first = specs[0]
    where = f" at {first.base_url}" if first.base_url else ""
    names = ", ".join(spec.name for spec in specs)
    return f"{first.provider}{where} (model {names})"


def _tightest(limits: list[float | None]) -> float | None:
    given = [limit for limit in limits if limit is not None]
    return min(given) if given else None
