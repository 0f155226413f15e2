"""Requests- and tokens-per-minute limits: token buckets refilled continuously.

Each bucket holds at most one second's worth (so calls are spread out, not fired in a burst
each minute) and at least one request's worth. Tokens are reserved before a call from an
estimate and settled with what the call used; a provider's ``retry-after`` pauses every call
to that endpoint, not only the one that was told.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["RateLimiter"]

_SLACK = 1e-9  # rounding: a bucket this close to enough is enough
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class _Bucket:
    rate_per_s: float
    capacity: float
    level: float
    updated: float

    @classmethod
    def per_minute(cls, limit: float, now: float) -> _Bucket:
        capacity = max(1.0, limit / 60)
        return cls(rate_per_s=limit / 60, capacity=capacity, level=capacity, updated=now)

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate_per_s)
        self.updated = now

    def wait_s(self, amount: float) -> float:
        """Seconds until ``amount`` can be taken (a full bucket lets any amount through)."""
        missing = min(amount, self.capacity) - self.level
        return 0.0 if missing <= _SLACK else missing / self.rate_per_s


class RateLimiter:
    """Waits so that calls to one endpoint stay within ``rpm`` requests and ``tpm`` tokens
    per minute (None: unlimited). Waiters are served first come, first served."""

    def __init__(
        self,
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        now = clock()
        self._requests = _Bucket.per_minute(rpm, now) if rpm else None
        self._tokens = _Bucket.per_minute(tpm, now) if tpm else None
        self._clock = clock
        self._sleep = sleep
        self._paused_until = now
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: int) -> None:
        """Wait for a slot for one request of about ``tokens`` tokens, and take it."""
        if self._requests is None and self._tokens is None and not self._is_paused():
            return
        async with self._lock:
            while (wait := self._wait_s(tokens)) > 0:
                await self._sleep(wait)
            if self._requests is not None:
                self._requests.level -= 1
            if self._tokens is not None:
                self._tokens.level -= tokens

    def settle(self, reserved: int, used: int) -> None:
        """Correct a reservation of ``reserved`` tokens to the ``used`` the call reported."""
        if self._tokens is not None:
            level = self._tokens.level + reserved - used
            self._tokens.level = min(self._tokens.capacity, level)

    def pause(self, seconds: float) -> None:
        """Hold every call for ``seconds`` from now (a provider's ``retry-after``)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _is_paused(self) -> bool:
        return self._paused_until > self._clock()

    def _wait_s(self, tokens: int) -> float:
        now = self._clock()
        wait = self._paused_until - now
        if self._requests is not None:
            self._requests.refill(now)
            wait = max(wait, self._requests.wait_s(1))
        if self._tokens is not None:
            self._tokens.refill(now)
            wait = max(wait, self._tokens.wait_s(tokens))
        return wait
