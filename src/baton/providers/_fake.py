"""A provider that answers without a network: queued replies or a reply function."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from baton.errors import ProviderError
from baton.providers._base import Completion, CompletionRequest

if TYPE_CHECKING:
    from baton.study import ModelSpec

__all__ = ["FakeProvider", "create_fake_provider"]

Reply = Completion | ProviderError
ReplyFunction = Callable[[CompletionRequest], Reply]


class FakeProvider:
    """Answers from a queue of replies, or from a function of the request.

    A queued or returned ``ProviderError`` is raised, so tests can script failures.
    Every request is recorded in ``requests``.
    """

    name = "fake"

    def __init__(
        self,
        replies: Iterable[Reply | str] = (),
        *,
        reply_function: ReplyFunction | None = None,
    ) -> None:
        self._queue: deque[Reply | str] = deque(replies)
        self._reply_function = reply_function
        self.requests: list[CompletionRequest] = []

    async def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        reply = self._next_reply(request)
        if isinstance(reply, ProviderError):
            raise reply
        return reply

    def _next_reply(self, request: CompletionRequest) -> Reply:
        if self._queue:
            queued = self._queue.popleft()
            if isinstance(queued, str):
                words = sum(len(m.content.split()) for m in request.messages)
                return Completion(queued, input_tokens=words, output_tokens=len(queued.split()))
            return queued
        if self._reply_function is not None:
            return self._reply_function(request)
        raise ProviderError("FakeProvider has no reply left")


def create_fake_provider(spec: ModelSpec) -> FakeProvider:
    """The provider for a study's model with ``provider: fake``: it answers every request
    with the model id and the last message, counting words as tokens. Offline dry runs."""

    def echo(request: CompletionRequest) -> Completion:
        text = f"{spec.model} answers: {request.messages[-1].content}"
        words = sum(len(m.content.split()) for m in request.messages)
        return Completion(text, words, len(text.split()), finish_reason="stop")

    return FakeProvider(reply_function=echo)
