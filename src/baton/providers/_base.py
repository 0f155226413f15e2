"""The provider seam: one request in, one completion out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from baton.domain import Message

__all__ = ["Completion", "CompletionRequest", "Provider"]


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
    stopping (``stop``, ``length``, ...), when it gives one."""

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
