"""A judge model's calls, through the replay machinery: the same content-addressed cache in
the store, the model's rate limits, retries with backoff and timeouts, and token costs at
the judge model's prices."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from baton.errors import ProviderError
from baton.providers import Completion, CompletionRequest, Provider, key_redactor
from baton.replay import (
    Caller,
    EndpointHealth,
    RateLimiter,
    RetryPolicy,
    cache_key,
    error_text,
    max_stored_chars,
    token_cost,
)
from baton.storage import CacheEntry, Store
from baton.study import ModelSpec

__all__ = ["JudgeClient", "JudgeReply", "JudgeSpend"]


@dataclass(frozen=True)
class JudgeReply:
    """A judge model's answer to one request, and what it cost (at the judge's prices,
    whether it came from the cache or a call)."""

    completion: Completion
    cost_usd: float
    cached: bool


@dataclass
class JudgeSpend:
    """What one judge model's calls did in this run."""

    calls: int = 0
    cached: int = 0
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    spent_usd: float = 0.0


class JudgeClient:
    """Asks one judge model, answering from the cache where it can.

    New answers wait in ``drain()`` to be stored with the verdicts they produced, in the same
    transaction. Answers and errors come with every API key redacted (``key_redactor``), as
    the replay engine stores them. Identical requests in flight at once share one call (two
    models that gave the same answer to an item, judged on style, ask one question). A
    request that fails after its retries raises its ``ProviderError``; after five connection
    failures in a row the model is declared down and every request fails at once (cause
    ``down``). With ``refresh`` the cache is not read (answers are still kept): to judge
    again what was judged, e.g. an abstention.
    """

    def __init__(
        self,
        spec: ModelSpec,
        provider: Provider,
        store: Store | None,
        *,
        retry: RetryPolicy | None = None,
        seed: int | None = None,
        refresh: bool = False,
    ) -> None:
        self.spec = spec
        self.spend = JudgeSpend()
        self._store = store
        self._refresh = refresh
        limiter = RateLimiter(rpm=spec.rpm, tpm=spec.tpm)
        self._caller = Caller(
            provider,
            limiter,
            timeout_s=spec.timeout_s,
            retry=retry or RetryPolicy(),
            rng=random.Random(seed),
            redact=key_redactor([spec]),
            max_stored_chars=max_stored_chars(spec),
            refuse_empty=False,  # an empty judgment is unparseable: retried, then abstained
            health=EndpointHealth(_endpoint(spec)),
        )
        self._fresh: dict[str, CacheEntry] = {}
        self._in_flight: dict[str, asyncio.Future[JudgeReply]] = {}

    async def ask(self, request: CompletionRequest) -> JudgeReply:
        key = cache_key(self.spec, request)
        entry = self._fresh.get(key) or self._cached(key)
        if entry is not None:
            self.spend.cached += 1
            completion = Completion(
                entry.text,
                entry.input_tokens,
                entry.output_tokens,
                entry.latency_s,
                entry.finish_reason,
            )
            return JudgeReply(completion, self._cost(completion), cached=True)
        shared = self._in_flight.get(key)
        if shared is not None:
            answer = await asyncio.shield(shared)
            self.spend.cached += 1
            return JudgeReply(answer.completion, answer.cost_usd, cached=True)
        future: asyncio.Future[JudgeReply] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            answer = await self._call(key, request)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: nobody else may be waiting for it
            raise
        finally:
            del self._in_flight[key]
        future.set_result(answer)
        return answer

    async def _call(self, key: str, request: CompletionRequest) -> JudgeReply:
        outcome = await self._caller.call(request)
        self.spend.attempts += outcome.attempts
        if outcome.completion is None:
            assert outcome.error is not None
            error = outcome.error
            message = f"judge model {self.spec.name!r}: {error_text(error, outcome.attempts)}"
            raise ProviderError(message, cause=error.cause) from error
        completion = outcome.completion
        cost = self._cost(completion)
        self.spend.calls += 1
        self.spend.input_tokens += completion.input_tokens
        self.spend.output_tokens += completion.output_tokens
        self.spend.spent_usd += cost
        self._fresh[key] = CacheEntry(
            key=key,
            provider=self.spec.provider,
            model=request.model,
            text=completion.text,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            latency_s=outcome.latency_s,
            finish_reason=completion.finish_reason,
        )
        return JudgeReply(completion, cost, cached=False)

    def drain(self) -> list[CacheEntry]:
        """The answers received since the last drain, to store."""
        fresh, self._fresh = list(self._fresh.values()), {}
        return fresh

    def _cached(self, key: str) -> CacheEntry | None:
        if self._store is None or self._refresh:
            return None
        return self._store.cached([key]).get(key)

    def _cost(self, completion: Completion) -> float:
        return token_cost(self.spec, completion.input_tokens, completion.output_tokens)


def _endpoint(spec: ModelSpec) -> str:
    where = f" at {spec.base_url}" if spec.base_url else ""
    return f"{spec.provider}{where} (model {spec.name})"
