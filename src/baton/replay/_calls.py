"""One call to a model: under its rate limits and timeout, retried while worth retrying."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from baton.errors import ProviderError, ProviderRetryableError
from baton.providers import Completion, CompletionRequest, Provider
from baton.replay._limits import RateLimiter
from baton.replay._options import RetryPolicy
from baton.replay._requests import estimated_tokens

__all__ = ["CallOutcome", "Caller", "error_text"]


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
    ) -> None:
        self._provider = provider
        self._limiter = limiter
        self._timeout_s = timeout_s
        self._retry = retry
        self._rng = rng

    async def call(self, request: CompletionRequest) -> CallOutcome:
        """Ask until answered, a failure not worth retrying, or the attempts run out."""
        reserved = sum(estimated_tokens(request))
        attempt = 0
        while True:
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
                latency = completion.latency_s
                if latency is None:
                    latency = time.perf_counter() - started
                return CallOutcome(completion, None, attempt, latency)
            self._limiter.settle(reserved, 0)
            delay = self._delay_s(error, attempt)
            if delay is None:
                return CallOutcome(None, error, attempt)
            await asyncio.sleep(delay)

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
