"""Rate limits and retry delays, on a fake clock."""

from __future__ import annotations

import random

import pytest

from baton.replay import RateLimiter, RetryPolicy


class FakeTime:
    """A clock that moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(time: FakeTime, **limits: float) -> RateLimiter:
    return RateLimiter(clock=time.clock, sleep=time.sleep, **limits)


async def test_no_limits_never_wait() -> None:
    time = FakeTime()
    unlimited = limiter(time)
    for _ in range(1000):
        await unlimited.acquire(10_000)
    assert time.sleeps == []


async def test_requests_per_minute_are_spread_evenly() -> None:
    time = FakeTime()
    sixty = limiter(time, rpm=60)  # one a second, no burst
    starts = []
    for _ in range(5):
        await sixty.acquire(1)
        starts.append(time.now)
    assert starts == pytest.approx([0, 1, 2, 3, 4])


async def test_a_second_of_requests_may_go_at_once() -> None:
    time = FakeTime()
    fast = limiter(time, rpm=600)  # ten a second
    starts = []
    for _ in range(30):
        await fast.acquire(1)
        starts.append(time.now)
    assert starts[:10] == [0] * 10
    assert starts[-1] == pytest.approx(2.0)
    for k, start in enumerate(starts):  # the token-bucket bound, request by request
        assert start >= (k - 10 + 1) / 10 - 1e-9


async def test_tokens_per_minute_wait_for_the_tokens() -> None:
    time = FakeTime()
    tokens = limiter(time, tpm=6000)  # 100 tokens a second
    await tokens.acquire(100)
    assert time.now == 0
    await tokens.acquire(50)
    assert time.now == pytest.approx(0.5)
    await tokens.acquire(500)  # more than a second's worth: waits for a full bucket
    assert time.now == pytest.approx(1.5)
    await tokens.acquire(1)  # the big one left a debt of 400 tokens
    assert time.now == pytest.approx(5.51)


async def test_settling_refunds_what_a_call_did_not_use() -> None:
    time = FakeTime()
    tokens = limiter(time, tpm=6000)
    await tokens.acquire(100)
    tokens.settle(reserved=100, used=20)
    await tokens.acquire(80)
    assert time.now == 0
    tokens.settle(reserved=80, used=0)
    tokens.settle(reserved=1000, used=0)  # never more than a full bucket
    await tokens.acquire(100)
    await tokens.acquire(100)
    assert time.now == pytest.approx(1.0)


async def test_a_pause_holds_every_call() -> None:
    time = FakeTime()
    paused = limiter(time)
    paused.pause(2.5)
    paused.pause(1.0)  # a shorter pause does not shorten the longer one
    await paused.acquire(1)
    assert time.now == pytest.approx(2.5)
    await paused.acquire(1)
    assert time.now == pytest.approx(2.5)


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(0)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (9, 8)]:
        delays = [policy.delay_s(attempt, None, rng) for _ in range(200)]
        assert ceiling / 2 <= min(delays)
        assert max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not fixed


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base_delay_s=0.1)
    rng = random.Random(1)
    delays = [policy.delay_s(1, 3.0, rng) for _ in range(100)]
    assert all(3.0 <= d <= 3.3 for d in delays)
    assert policy.delay_s(8, 0.01, rng) >= 0.01 * 2**7 / 2  # backoff still applies


def test_retry_policy_validates() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
