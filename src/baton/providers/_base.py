"""The provider seam: one request in, one completion out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from baton.domain import Message

__all__ = [
    "CONTENT_FILTER",
    "FILTERED_TEXT",
    "Completion",
    "CompletionRequest",
    "Provider",
    "blocked_completion",
]

CONTENT_FILTER = "content_filter"
"""The ``finish_reason`` of an answer the platform's content filter (or guardrail) blocked,
whatever the platform calls it (Azure's ``content_filter``, Gemini's ``SAFETY``, Bedrock's
``content_filtered`` or ``guardrail_intervened``): the refusal judges read it as a refusal."""

FILTERED_TEXT = "[no answer: the provider's content filter blocked it]"
"""The text of a blocked answer that came back empty (so it is stored, and judged, as the
refusal it is, rather than failing as an empty completion)."""


@dataclass(frozen=True)
class CompletionRequest:
    """What is sent to a model: the provider's model id, the messages and the parameters."""

    model: str
    messages: tuple[Message, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    """A model's answer. ``latency_s`` is set only by providers that simulate latency;
    otherwise the replay engine measures it. ``finish_reason`` is the provider's reason for
    stopping (``stop``, ``length``, ...), when it gives one; ``CONTENT_FILTER`` for an answer
    the platform's content filter blocked (then ``text`` is what got through, or
    ``FILTERED_TEXT``)."""

    text: str
    input_tokens: int
    output_tokens: int
    latency_s: float | None = None
    finish_reason: str | None = None


class Provider(Protocol):
    """A source of completions (OpenAI-compatible server, Anthropic, a fake for tests)."""

    name: str

    async def complete(self, request: CompletionRequest) -> Completion:
        """Answer one request, or raise ProviderRetryableError / ProviderFatalError."""
        ...


def blocked_completion(
    text: str | None = None, input_tokens: int = 0, output_tokens: int = 0
) -> Completion:
    """The completion of an answer the platform's content filter blocked: what got through,
    or ``FILTERED_TEXT`` when nothing did, with ``finish_reason`` ``CONTENT_FILTER``."""
    shown = text if text and text.strip() else FILTERED_TEXT
    return Completion(shown, input_tokens, output_tokens, finish_reason=CONTENT_FILTER)
