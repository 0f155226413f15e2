"""One call to a model: under its rate limits and timeout, retried while worth retrying,
and failed at once when its endpoint is down (``EndpointHealth``)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers import Completion, CompletionRequest, Provider
from baton.replay._limits import RateLimiter
from baton.replay._options import RetryPolicy
from baton.replay._requests import estimated_tokens

__all__ = ["DOWN_AFTER", "CallOutcome", "Caller", "EndpointHealth", "error_text"]

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
    """Calls one provider for one model endpoint, sharing that endpoint's rate limiter."""

    def __init__(
        self,
        provider: Provider,
        limiter: RateLimiter,
        *,
        timeout_s: float,
        retry: RetryPolicy,
        rng: random.Random,
        health: EndpointHealth | None = None,
    ) -> None:
        self._health = health or EndpointHealth("the endpoint", down_after=None)
        self._provider = provider
        self._limiter = limiter
        self._timeout_s = timeout_s
        self._retry = retry
        self._rng = rng

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
                    completion = await self._provider.complete(request)
            except TimeoutError:
                error: ProviderError = ProviderRetryableError(
                    f"no answer within {self._timeout_s:g} s", cause="timeout"
                )
            except ProviderError as caught:
                error = caught
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
