"""Turning (item, model) pairs into distinct calls, and answers into responses.

Pairs that would send the same request (same provider, base URL, model id, messages and
parameters: the same cache key) share one call, whose answer serves each of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from baton.domain import Item, Response
from baton.providers import Completion, CompletionRequest
from baton.replay._calls import CallOutcome, error_text
from baton.replay._requests import keyed_requests, token_cost
from baton.storage import CacheEntry, Store
from baton.study import ModelSpec, Study

__all__ = [
    "Call",
    "Pair",
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
    cache key, None when the cache is off."""

    key: str | None
    spec: ModelSpec
    request: CompletionRequest
    targets: tuple[tuple[str, ModelSpec], ...]


def pending_pairs(study: Study, items: Sequence[Item], store: Store) -> list[Pair]:
    """Every (item, model) without a successful response, item by item (so identical
    requests to several models fall close together), each item once."""
    answered = {spec.name: store.answered(spec.name) for spec in study.models}
    seen: set[str] = set()
    pairs: list[Pair] = []
    for item in items:
        if item.item_id in seen:
            continue
        seen.add(item.item_id)
        missing = [spec for spec in study.models if item.item_id not in answered[spec.name]]
        pairs.extend((item, spec) for spec in missing)
    return pairs


def chunks(pairs: Sequence[Pair], size: int) -> Iterator[Sequence[Pair]]:
    for start in range(0, len(pairs), size):
        yield pairs[start : start + size]


def calls_for(study: Study, pairs: Sequence[Pair], *, share: bool = True) -> dict[str, Call]:
    """The distinct calls that answer ``pairs``, by cache key, in order of first need.

    With ``share`` off (no cache) every pair gets a call of its own, keyed by position.
    """
    requests: dict[str, tuple[ModelSpec, CompletionRequest]] = {}
    targets: dict[str, list[tuple[str, ModelSpec]]] = {}
    makers = {spec.name: keyed_requests(study, spec) for spec in study.models}
    for index, (item, spec) in enumerate(pairs):
        request, key = makers[spec.name](item)
        if not share:
            key = str(index)
        if key not in requests:
            requests[key] = (spec, request)
            targets[key] = []
        targets[key].append((item.item_id, spec))
    return {
        key: Call(key if share else None, spec, request, tuple(targets[key]))
        for key, (spec, request) in requests.items()
    }


def responses_for(call: Call, outcome: CallOutcome) -> list[Response]:
    """The responses a call's outcome gives each pair it serves."""
    completion = outcome.completion
    if completion is None:
        assert outcome.error is not None
        error = error_text(outcome.error, outcome.attempts)
        return [Response(item_id, spec.name, None, error=error) for item_id, spec in call.targets]
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
