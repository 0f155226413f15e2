"""One call to a model: under its rate limits and timeout, retried while worth retrying,
and failed at once when its endpoint is down (``EndpointHealth``).

What comes back is made fit to store before anyone sees it: every API key the caller knows
is redacted from the completion and from any error (``baton.providers.Redactor``); a
completion longer than ``max_stored_chars`` is cut there and marked (``TRUNCATION_MARK``);
an empty one is a failure with cause ``empty`` (not worth retrying at once: a model that
answers nothing tends to do it again; the next run asks again).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers import Completion, CompletionRequest, Provider, Redactor
from baton.replay._limits import RateLimiter
from baton.replay._options import RetryPolicy
from baton.replay._requests import DEFAULT_MAX_STORED_CHARS, estimated_tokens

__all__ = [
    "DEFAULT_MAX_STORED_CHARS",
    "DOWN_AFTER",
    "TRUNCATION_MARK",
    "CallOutcome",
    "Caller",
    "EndpointHealth",
    "error_text",
    "is_truncated",
    "stored_completion",
]


TRUNCATION_MARK = "\n\n[truncated by Baton: {kept:,} of {total:,} characters kept]"
"""Appended to a completion cut at ``max_stored_chars``, so a reader sees it was cut."""
_MARK_START = "\n\n[truncated by Baton: "

DOWN_AFTER = 5
"""Connection failures in a row, with no success between, that declare an endpoint down."""


@dataclass(frozen=True)
class CallOutcome:
    """How a call ended: a completion, or the last error; after how many attempts."""

    completion: Completion | None
    error: ProviderError | None
    attempts: int
    latency_s: float = 0.0


def error_text(error: ProviderError, attempts: int) -> str:
    """What a failed response records: ``"<cause>: <message>"``, and the attempts made."""
    tries = f" (gave up after {attempts} attempts)" if attempts > 1 else ""
    return f"{error.cause}: {error}{tries}"


def is_truncated(text: str | None) -> bool:
    """Whether a stored completion was cut at ``max_stored_chars``."""
    return text is not None and _MARK_START in text[-80:]


def stored_completion(
    completion: Completion, *, redact: Redactor, max_chars: int, refuse_empty: bool = True
) -> Completion:
    """``completion`` as it may be stored: keys redacted, at most ``max_chars`` characters
    (then marked); ``ProviderFatalError`` (cause ``empty``) if it holds no text and
    ``refuse_empty``."""
    text = completion.text
    if refuse_empty and not text.strip():
        raise ProviderFatalError("the model returned an empty completion", cause="empty")
    if len(text) > max_chars:
        total = len(text)
        text = redact(text[: max_chars + 200])[:max_chars]  # a key across the cut is masked
        text += TRUNCATION_MARK.format(kept=max_chars, total=total)
    else:
        text = redact(text)
    return completion if text == completion.text else replace(completion, text=text)


class EndpointHealth:
    """Whether one endpoint is up, shared by every call to it.

    ``down_after`` connection failures in a row (any call's attempts, no success between)
    declare it down, once: ``on_down`` is told, a call waiting to retry stops waiting, and
    every call from then on fails at once with cause ``down`` (None: never declared down).
    """

    def __init__(
        self,
        name: str,
        *,
        down_after: int | None = DOWN_AFTER,
        on_down: Callable[[str], None] | None = None,
    ) -> None:
        if down_after is not None and down_after < 1:
            raise ValueError("down_after must be at least 1")
        self.name = name
        self._down_after = down_after
        self._on_down = on_down
        self._streak = 0
        self._last = ""
        self._down: asyncio.Event | None = None
        self.error: ProviderError | None = None

    @property
    def is_down(self) -> bool:
        return self.error is not None

    def succeeded(self) -> None:
        self._streak = 0

    def failed(self, error: ProviderError) -> None:
        """Count a failed attempt; declare the endpoint down on the last straw."""
        if error.cause != "connection" or self.is_down:
            return
        self._streak += 1
        if self._down_after is None or self._streak < self._down_after:
            return
        message = (
            f"{self.name} is down: {self._streak} connection failures in a row "
            f"(last: {error}); its remaining calls fail at once"
        )
        self.error = ProviderFatalError(message, cause="down")
        self._event().set()
        if self._on_down is not None:
            self._on_down(message)

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the endpoint is declared down meanwhile."""
        try:
            async with asyncio.timeout(seconds):
                await self._event().wait()
        except TimeoutError:
            return

    def _event(self) -> asyncio.Event:
        if self._down is None:
            self._down = asyncio.Event()
        return self._down


class Caller:
    """Calls one provider for one model endpoint, sharing that endpoint's rate limiter.

    ``redact`` masks API keys in what comes back; ``max_stored_chars`` caps a completion;
    ``refuse_empty`` makes an empty one a failure (a judge's is an unparseable answer).
    """

    def __init__(
        self,
        provider: Provider,
        limiter: RateLimiter,
        *,
        timeout_s: float,
        retry: RetryPolicy,
        rng: random.Random,
        redact: Redactor | None = None,
        max_stored_chars: int = DEFAULT_MAX_STORED_CHARS,
        refuse_empty: bool = True,
        health: EndpointHealth | None = None,
    ) -> None:
        self._health = health or EndpointHealth("the endpoint", down_after=None)
        self._provider = provider
        self._limiter = limiter
        self._timeout_s = timeout_s
        self._retry = retry
        self._rng = rng
        self._redact = redact or Redactor()
        self._max_chars = max_stored_chars
        self._refuse_empty = refuse_empty

    async def call(self, request: CompletionRequest) -> CallOutcome:
        """Ask until answered, a failure not worth retrying, the attempts run out, or the
        endpoint is down."""
        reserved = sum(estimated_tokens(request))
        attempt = 0
        while True:
            if self._health.error is not None:
                return CallOutcome(None, self._health.error, attempt)
            attempt += 1
            await self._limiter.acquire(reserved)
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self._timeout_s):
                    answered = await self._provider.complete(request)
                completion = stored_completion(
                    answered,
                    redact=self._redact,
                    max_chars=self._max_chars,
                    refuse_empty=self._refuse_empty,
                )
            except TimeoutError:
                error: ProviderError = ProviderRetryableError(
                    f"no answer within {self._timeout_s:g} s", cause="timeout"
                )
            except ProviderError as caught:
                error = self._redact.error(caught)
            else:
                used = completion.input_tokens + completion.output_tokens
                self._limiter.settle(reserved, used)
                self._health.succeeded()
                latency = completion.latency_s
                if latency is None:
                    latency = time.perf_counter() - started
                return CallOutcome(completion, None, attempt, latency)
            self._limiter.settle(reserved, 0)
            self._health.failed(error)
            delay = self._delay_s(error, attempt)
            if delay is None or self._health.error is not None:
                return CallOutcome(None, self._health.error or error, attempt)
            await self._health.sleep(delay)

    def _delay_s(self, error: ProviderError, attempt: int) -> float | None:
        """How long to wait before the next attempt, or None to give up."""
        if not isinstance(error, ProviderRetryableError) or attempt >= self._retry.max_attempts:
            return None
        retry_after = error.retry_after_s
        if retry_after is not None:
            if retry_after > self._retry.max_delay_s:
                return None
            self._limiter.pause(retry_after)
        return self._retry.delay_s(attempt, retry_after, self._rng)
