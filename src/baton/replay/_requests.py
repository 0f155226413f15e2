"""What each model is asked, its content address in the replay cache, and what it costs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from baton.domain import Item, Message
from baton.errors import StudyError
from baton.providers import Completion, CompletionRequest
from baton.study import ModelSpec, Study

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

__all__ = [
    "BATCH_DISCOUNT",
    "BATON_PARAMETERS",
    "DEFAULT_OUTPUT_TOKENS",
    "batch_token_cost",
    "build_request",
    "cache_key",
    "completion_cost",
    "estimated_tokens",
    "keyed_requests",
    "max_stored_chars",
    "request_parameters",
    "token_cost",
]

BATON_PARAMETERS = frozenset({"max_stored_chars"})
"""Parameters that tell Baton, not the model, what to do: never sent, nor in a cache key."""
DEFAULT_MAX_STORED_CHARS = 100_000

DEFAULT_OUTPUT_TOKENS = 256
"""Output tokens assumed for a request that sets no ``max_tokens``."""

_CHARS_PER_TOKEN = 4
_TOKENS_PER_MESSAGE = 4


def build_request(study: Study, model: ModelSpec, item: Item) -> CompletionRequest:
    """The request ``model`` gets for ``item``: its own system prompt if it has one."""
    system = model.system_prompt or study.service.system_prompt
    messages = (Message("system", system), *item.context, Message("user", item.prompt))
    return CompletionRequest(model.model, messages, request_parameters(study, model))


def request_parameters(study: Study, model: ModelSpec) -> dict[str, Any]:
    """The parameters ``model`` is sent: the service's, overridden by the model's own, less
    Baton's (``BATON_PARAMETERS``)."""
    merged = {**study.service.parameters, **model.parameters}
    return {name: value for name, value in merged.items() if name not in BATON_PARAMETERS}


def max_stored_chars(model: ModelSpec, service: Mapping[str, Any] | None = None) -> int:
    """How many characters of ``model``'s completions are stored: ``max_stored_chars`` in
    its parameters, else in the ``service``'s, else ``DEFAULT_MAX_STORED_CHARS``."""
    value = {**(service or {}), **model.parameters}.get(
        "max_stored_chars", DEFAULT_MAX_STORED_CHARS
    )
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StudyError(
            "study", [(f"model {model.name!r}: max_stored_chars", "must be a whole number >= 1")]
        )
    return value


def cache_key(model: ModelSpec, request: CompletionRequest) -> str:
    """The content address of ``request`` to ``model``: a SHA-256 of the provider, the base
    URL, the model id and the parameters (as canonical JSON), then of each message's role and
    length-prefixed content. No credential is part of it."""
    digest = _head(model, request.model, request.parameters)
    return _with_messages(digest, request.messages)


def keyed_requests(
    study: Study, model: ModelSpec
) -> Callable[[Item], tuple[CompletionRequest, str]]:
    """``build_request`` and ``cache_key`` for one model, its constant part computed once."""
    system = Message("system", model.system_prompt or study.service.system_prompt)
    parameters = request_parameters(study, model)
    head = _head(model, model.model, parameters)

    def keyed(item: Item) -> tuple[CompletionRequest, str]:
        messages = (system, *item.context, Message("user", item.prompt))
        request = CompletionRequest(model.model, messages, parameters)
        return request, _with_messages(head.copy(), messages)

    return keyed


def _head(model: ModelSpec, model_id: str, parameters: Mapping[str, Any]) -> Hash:
    head = json.dumps(
        [model.provider, model.base_url, model_id, parameters],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(head.encode())


def _with_messages(digest: Hash, messages: Sequence[Message]) -> str:
    for message in messages:
        content = message.content.encode()
        digest.update(f"\n{message.role}:{len(content)}:".encode())
        digest.update(content)
    return digest.hexdigest()


def estimated_tokens(request: CompletionRequest) -> tuple[int, int]:
    """(input, output) tokens a request may use, before it is sent: about four characters a
    token in, and ``max_tokens`` (or ``DEFAULT_OUTPUT_TOKENS``) out, an upper bound."""
    chars = sum(len(m.content) for m in request.messages)
    input_tokens = chars // _CHARS_PER_TOKEN + _TOKENS_PER_MESSAGE * len(request.messages)
    limit = request.parameters.get("max_tokens") or request.parameters.get("max_completion_tokens")
    output_tokens = int(limit) if isinstance(limit, int | float) else DEFAULT_OUTPUT_TOKENS
    return input_tokens, output_tokens


def token_cost(model: ModelSpec, input_tokens: int, output_tokens: int) -> float:
    """USD cost of that many tokens at the model's prices."""
    return (
        input_tokens * model.price_per_mtok_input + output_tokens * model.price_per_mtok_output
    ) / 1e6


BATCH_DISCOUNT = 0.5
"""What a batch API charges of the interactive price where the study gives no batch price."""


def batch_token_cost(model: ModelSpec, input_tokens: int, output_tokens: int) -> float:
    """USD cost of that many tokens through the provider's batch API: the model's batch
    prices, else ``BATCH_DISCOUNT`` of its interactive ones."""
    price_in = model.batch_price_per_mtok_input
    price_out = model.batch_price_per_mtok_output
    if price_in is None:
        price_in = model.price_per_mtok_input * BATCH_DISCOUNT
    if price_out is None:
        price_out = model.price_per_mtok_output * BATCH_DISCOUNT
    return (input_tokens * price_in + output_tokens * price_out) / 1e6


def completion_cost(model: ModelSpec, completion: Completion) -> float:
    """USD cost of one completion at the model's prices."""
    return token_cost(model, completion.input_tokens, completion.output_tokens)
