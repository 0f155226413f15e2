"""How a replay runs (concurrency, retries, cache), what it reports while running, and what
it did."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["ReplayOptions", "ReplayProgress", "ReplaySummary", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of a retryable failure: exponential backoff with jitter, and ``retry-after``.

    Attempt ``n`` (from 1) that failed waits a random time between half and all of
    ``base_delay_s * 2**(n-1)`` (at most ``max_delay_s``), or as long as the provider asked
    (plus up to 10%), whichever is longer. A provider asking for more than ``max_delay_s``
    fails the call at once.
    """

    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("max_attempts must be at least 1 and delays not negative")

    def delay_s(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """How long to wait after failed attempt number ``attempt``."""
        backoff = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        jittered = rng.uniform(backoff / 2, backoff)
        if retry_after_s is None:
            return jittered
        return max(jittered, retry_after_s * rng.uniform(1.0, 1.1))


@dataclass(frozen=True)
class ReplayOptions:
    """How a replay runs.

    ``concurrency`` calls are in flight at most (a call is in flight until its response is
    stored, so a crash loses at most that many completed calls); ``cache`` off neither reads
    nor writes the replay cache; ``lookahead`` is how many (item, model) pairs are planned
    (cache look-up) at once; ``seed`` fixes the retry jitter. ``failed_only`` asks only the
    pairs whose stored response failed (``baton replay --retry-failed``); ``down_after``
    connection failures in a row declare an endpoint down (None: never).
    """

    concurrency: int = 32
    cache: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lookahead: int = 2000
    seed: int | None = None
    failed_only: bool = False
    down_after: int | None = 5

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.lookahead < 1:
            raise ValueError("concurrency and lookahead must be at least 1")
        if self.down_after is not None and self.down_after < 1:
            raise ValueError("down_after must be at least 1")


class ReplayProgress(Protocol):
    """Told how much there is to do, then of every group of responses stored."""

    def start(self, total: int) -> None: ...

    def advance(self, responses: int, errors: int) -> None: ...


@dataclass(frozen=True)
class ReplaySummary:
    """What a replay did.

    ``pending``: (item, model) pairs without a successful response when it started;
    ``written``: responses stored (failed ones included); ``errors``: of those, failed, by
    cause in ``errors_by_cause``; ``cached``: answered from the cache (or from an identical
    request in the same run); ``called``: answered by calling a provider; ``attempts``: calls
    made, retries included. Tokens and ``cost_usd`` are those of the responses stored (at the
    study's prices); ``spent_usd`` is what this run's calls cost. ``stale``: pending pairs
    whose stored response answered what the study asked before; ``error_examples``: one
    failure's text per cause; ``down``: a line per endpoint declared down.
    """

    pending: int
    written: int
    errors: int
    cached: int = 0
    called: int = 0
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    spent_usd: float = 0.0
    elapsed_s: float = 0.0
    errors_by_cause: dict[str, int] = field(default_factory=dict)
    stale: int = 0
    error_examples: dict[str, str] = field(default_factory=dict)
    down: tuple[str, ...] = ()
