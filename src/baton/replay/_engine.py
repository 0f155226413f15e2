"""Replay: send each item to every model under study and store the responses."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from baton._batches import BatchOptions, run_in_batches
from baton.domain import Item, Message, Response
from baton.errors import ProviderError
from baton.providers import Completion, CompletionRequest, Provider
from baton.storage import Store
from baton.study import ModelSpec, Study

__all__ = ["ReplaySummary", "build_request", "completion_cost", "replay_responses"]


@dataclass(frozen=True)
class ReplaySummary:
    """What a replay did: calls it made, responses it stored, and how many failed."""

    pending: int
    written: int
    errors: int


def build_request(study: Study, model: ModelSpec, item: Item) -> CompletionRequest:
    """The request ``model`` gets for ``item``: its own system prompt if it has one."""
    system = model.system_prompt or study.service.system_prompt
    messages = (Message("system", system), *item.context, Message("user", item.prompt))
    parameters = {**study.service.parameters, **model.parameters}
    return CompletionRequest(model.model, messages, parameters)


def completion_cost(model: ModelSpec, completion: Completion) -> float:
    """USD cost of one completion at the model's prices."""
    return (
        completion.input_tokens * model.price_per_mtok_input
        + completion.output_tokens * model.price_per_mtok_output
    ) / 1e6


async def _call(study: Study, provider: Provider, model: ModelSpec, item: Item) -> Response:
    request = build_request(study, model, item)
    started = time.perf_counter()
    try:
        completion = await provider.complete(request)
    except ProviderError as exc:
        return Response(item.item_id, model.name, None, error=f"{type(exc).__name__}: {exc}")
    latency = completion.latency_s
    return Response(
        item.item_id,
        model.name,
        completion.text,
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        latency_s=latency if latency is not None else time.perf_counter() - started,
        cost_usd=completion_cost(model, completion),
    )


async def replay_responses(
    study: Study,
    items: Sequence[Item],
    providers: Mapping[str, Provider],
    store: Store,
    *,
    options: BatchOptions = BatchOptions(),
    on_batch: Callable[[int], None] | None = None,
) -> ReplaySummary:
    """Ask every model in ``study`` every item that has no successful response yet.

    ``providers`` maps each model's name to its provider. Provider errors are stored on the
    response and counted; a re-run retries them and skips everything already answered.
    """
    answered = {(r.item_id, r.model) for r in store.responses() if r.error is None}
    tasks = [
        (model, item)
        for model in study.models
        for item in items
        if (item.item_id, model.name) not in answered
    ]
    errors = 0

    def commit(responses: list[Response]) -> int:
        nonlocal errors
        errors += sum(r.error is not None for r in responses)
        return store.add_responses(responses)

    async def work(task: tuple[ModelSpec, Item]) -> Response:
        model, item = task
        return await _call(study, providers[model.name], model, item)

    written = await run_in_batches(tasks, work, commit, options=options, on_batch=on_batch)
    return ReplaySummary(pending=len(tasks), written=written, errors=errors)
