"""Turning (item, model) pairs into distinct calls, and answers into responses.

Pairs that would send the same request (same provider, base URL, model id, messages and
parameters: the same cache key) share one call, whose answer serves each of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from baton.domain import Item, Response
from baton.providers import Completion, CompletionRequest
from baton.replay._calls import CallOutcome, error_text
from baton.replay._requests import keyed_requests, token_cost
from baton.storage import CacheEntry, Store
from baton.study import ModelSpec, Study

__all__ = [
    "Call",
    "Pair",
    "Pending",
    "cache_entry",
    "cached_responses",
    "calls_for",
    "chunks",
    "pending_pairs",
    "responses_for",
]

Pair = tuple[Item, ModelSpec]


@dataclass(frozen=True)
class Call:
    """One distinct request and the (item id, model) pairs its answer serves; ``key`` is its
    cache key, None when the cache is off; ``request_key`` its content address, always."""

    key: str | None
    spec: ModelSpec
    request: CompletionRequest
    targets: tuple[tuple[str, ModelSpec], ...]
    request_key: str = ""


@dataclass(frozen=True)
class Pending:
    """The (item, model) pairs a replay asks, and why, by model: ``unanswered`` (no
    response yet), ``failed`` (a failed one) and ``stale`` (a successful response to another
    request than the study now sends: a model's parameters, base URL or prompt changed)."""

    pairs: list[Pair]
    unanswered: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    stale: Counter[str] = field(default_factory=Counter)


def pending_pairs(
    study: Study, items: Sequence[Item], store: Store, *, failed_only: bool = False
) -> Pending:
    """Every (item, model) without a current successful response, item by item (so
    identical requests to several models fall close together), each item once; with
    ``failed_only``, only those whose stored response failed."""
    held = {spec.name: store.response_keys(spec.name) for spec in study.models}
    failed = {spec.name: store.failed(spec.name) for spec in study.models}
    makers = {spec.name: keyed_requests(study, spec) for spec in study.models}
    pending = Pending([])
    seen: set[str] = set()
    for item in items:
        if item.item_id in seen:
            continue
        seen.add(item.item_id)
        for spec in study.models:
            why = _why_pending(item, held[spec.name], failed[spec.name], makers[spec.name])
            if why is None or (failed_only and why != "failed"):
                continue
            getattr(pending, why)[spec.name] += 1
            pending.pairs.append((item, spec))
    return pending


def _why_pending(
    item: Item,
    held: dict[str, str | None],
    failed: set[str],
    keyed: Callable[[Item], tuple[CompletionRequest, str]],
) -> str | None:
    if item.item_id not in held:
        return "failed" if item.item_id in failed else "unanswered"
    stored = held[item.item_id]
    if stored is not None and stored != keyed(item)[1]:
        return "stale"
    return None


def chunks(pairs: Sequence[Pair], size: int) -> Iterator[Sequence[Pair]]:
    for start in range(0, len(pairs), size):
        yield pairs[start : start + size]


def calls_for(study: Study, pairs: Sequence[Pair], *, share: bool = True) -> dict[str, Call]:
    """The distinct calls that answer ``pairs``, by cache key, in order of first need.

    With ``share`` off (no cache) every pair gets a call of its own, keyed by position.
    """
    requests: dict[str, tuple[ModelSpec, CompletionRequest, str]] = {}
    targets: dict[str, list[tuple[str, ModelSpec]]] = {}
    makers = {spec.name: keyed_requests(study, spec) for spec in study.models}
    for index, (item, spec) in enumerate(pairs):
        request, request_key = makers[spec.name](item)
        key = request_key if share else str(index)
        if key not in requests:
            requests[key] = (spec, request, request_key)
            targets[key] = []
        targets[key].append((item.item_id, spec))
    return {
        key: Call(key if share else None, spec, request, tuple(targets[key]), request_key)
        for key, (spec, request, request_key) in requests.items()
    }


def responses_for(call: Call, outcome: CallOutcome) -> list[Response]:
    """The responses a call's outcome gives each pair it serves."""
    completion = outcome.completion
    if completion is None:
        assert outcome.error is not None
        error = error_text(outcome.error, outcome.attempts)
        return [
            Response(item_id, spec.name, None, error=error, request_key=call.request_key)
            for item_id, spec in call.targets
        ]
    return cached_responses(call, _answer(call, outcome, completion))


def cached_responses(call: Call, entry: CacheEntry) -> list[Response]:
    """The responses a stored answer gives each pair the call serves."""
    return [
        Response(
            item_id,
            spec.name,
            entry.text,
            input_tokens=entry.input_tokens,
            output_tokens=entry.output_tokens,
            latency_s=entry.latency_s,
            cost_usd=token_cost(spec, entry.input_tokens, entry.output_tokens),
            finish_reason=entry.finish_reason,
            request_key=call.request_key,
        )
        for item_id, spec in call.targets
    ]


def cache_entry(call: Call, outcome: CallOutcome) -> CacheEntry | None:
    """What the cache keeps of a successful call (None for a failed one, or no cache)."""
    if outcome.completion is None or call.key is None:
        return None
    return _answer(call, outcome, outcome.completion)


def _answer(call: Call, outcome: CallOutcome, completion: Completion) -> CacheEntry:
    return CacheEntry(
        key=call.key or "",
        provider=call.spec.provider,
        model=call.request.model,
        text=completion.text,
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        latency_s=outcome.latency_s,
        finish_reason=completion.finish_reason,
    )
