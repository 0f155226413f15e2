"""Replay: items x models -> responses.

Async with a concurrency cap, per-endpoint request and token rate limits, retries with
backoff and jitter that honour ``retry-after``, per-call timeouts, a content-addressed cache
in the store, and group commits that make a killed run resumable without losing or
repeating a completed call. ``plan_replay`` is the dry run.
"""

from __future__ import annotations

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
    BATON_PARAMETERS,
    DEFAULT_MAX_STORED_CHARS,
    build_request,
    cache_key,
    completion_cost,
    estimated_tokens,
    max_stored_chars,
    request_parameters,
    token_cost,
)

__all__ = [
    "BATON_PARAMETERS",
    "DEFAULT_MAX_STORED_CHARS",
    "DOWN_AFTER",
    "TRUNCATION_MARK",
    "BatchOptions",
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
    "build_request",
    "cache_key",
    "completion_cost",
    "error_text",
    "estimated_tokens",
    "is_truncated",
    "max_stored_chars",
    "pending_pairs",
    "plan_replay",
    "replay_responses",
    "request_parameters",
    "run_in_batches",
    "stored_completion",
    "token_cost",
]
