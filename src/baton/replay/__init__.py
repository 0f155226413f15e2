"""Replay: items x models -> responses.

Async with a concurrency cap, per-endpoint request and token rate limits, retries with
backoff and jitter that honour ``retry-after``, per-call timeouts, a content-addressed cache
in the store, and group commits that make a killed run resumable without losing or
repeating a completed call. ``plan_replay`` is the dry run. ``replay_in_batches`` sends the
same requests through the providers' batch APIs instead (``run_provider_batches``: recorded
before submission, polled, stored once, resumed after a crash), at batch prices.
"""

from __future__ import annotations

from baton.replay._batch_replay import replay_in_batches
from baton.replay._batch_run import (
    BatchJob,
    BatchMode,
    BatchRetry,
    BatchTally,
    run_provider_batches,
)
from baton.replay._batches import BatchOptions, run_in_batches
from baton.replay._batching import Pending, pending_pairs
from baton.replay._calls import (
    DOWN_AFTER,
    TRUNCATION_MARK,
    Caller,
    CallOutcome,
    EndpointHealth,
    error_text,
    is_truncated,
    stored_completion,
)
from baton.replay._engine import replay_responses
from baton.replay._limits import RateLimiter
from baton.replay._options import ReplayOptions, ReplayProgress, ReplaySummary, RetryPolicy
from baton.replay._plan import ModelPlan, ReplayPlan, plan_replay
from baton.replay._requests import (
    BATCH_DISCOUNT,
    BATON_PARAMETERS,
    DEFAULT_MAX_STORED_CHARS,
    batch_token_cost,
    build_request,
    cache_key,
    completion_cost,
    estimated_tokens,
    max_stored_chars,
    request_parameters,
    token_cost,
)

__all__ = [
    "BATCH_DISCOUNT",
    "BATON_PARAMETERS",
    "DEFAULT_MAX_STORED_CHARS",
    "DOWN_AFTER",
    "TRUNCATION_MARK",
    "BatchJob",
    "BatchMode",
    "BatchOptions",
    "BatchRetry",
    "BatchTally",
    "CallOutcome",
    "Caller",
    "EndpointHealth",
    "ModelPlan",
    "Pending",
    "RateLimiter",
    "ReplayOptions",
    "ReplayPlan",
    "ReplayProgress",
    "ReplaySummary",
    "RetryPolicy",
    "batch_token_cost",
    "build_request",
    "cache_key",
    "completion_cost",
    "error_text",
    "estimated_tokens",
    "is_truncated",
    "max_stored_chars",
    "pending_pairs",
    "plan_replay",
    "replay_in_batches",
    "replay_responses",
    "request_parameters",
    "run_in_batches",
    "run_provider_batches",
    "stored_completion",
    "token_cost",
]
