"""Anthropic's Message Batches API through the official ``anthropic`` async SDK.

A batch is created with its list of requests (``custom_id`` and the Messages API's
parameters); its results stream as JSON lines once it has ended. The API keeps no metadata
on a batch, so ``find`` recognises one accepted just before a crash by when it was created
(after Baton recorded its intent) and how many requests it holds, among the batches Baton
has not recorded; the results say which requests it carried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers._anthropic import DEFAULT_KEY_ENV, _sdk, message_params, to_completion
from baton.providers._base import CompletionRequest
from baton.providers._batch import BatchLimits, BatchOutcome, BatchStatus, SdkErrors
from baton.providers._http import api_key_from_env

__all__ = ["AnthropicBatchClient"]

_LOOK_BACK = timedelta(minutes=10)  # clock skew between this machine and the API
_FATAL_TYPES = {"invalid_request_error": "bad_request", "authentication_error": "auth"}
_FATAL_TYPES |= {"permission_error": "auth", "not_found_error": "not_found"}


class AnthropicBatchClient:
    """Message batches for one Anthropic(-compatible) endpoint."""

    provider = "anthropic"
    limits = BatchLimits(max_requests=100_000, max_bytes=250 * 2**20)  # API: 100,000, 256 MB

    def __init__(
        self, *, base_url: str | None = None, api_key_env: str | None = None, timeout_s: float
    ) -> None:
        self._sdk = _sdk()
        self._secret = api_key_from_env(
            api_key_env, default=DEFAULT_KEY_ENV, provider="anthropic", base_url=base_url
        )
        self._client = self._sdk.AsyncAnthropic(
            api_key=self._secret, base_url=base_url, timeout=max(timeout_s, 120.0), max_retries=0
        )

    def __repr__(self) -> str:
        return "AnthropicBatchClient()"

    def entry(self, custom_id: str, request: CompletionRequest) -> dict[str, Any]:
        return {"custom_id": custom_id, "params": message_params(request)}

    async def submit(self, batch_key: str, entries: Sequence[dict[str, Any]]) -> str:
        async with SdkErrors(self._sdk, self._secret):
            batch = await self._client.messages.batches.create(requests=list(entries))
        return str(batch.id)

    async def find(
        self, batch_key: str, *, since: datetime, requests: int, known: Collection[str]
    ) -> str | None:
        oldest = since - _LOOK_BACK
        found: list[tuple[datetime, str]] = []
        async with SdkErrors(self._sdk, self._secret):
            async for batch in self._client.messages.batches.list(limit=100):
                if batch.created_at < oldest:
                    break
                if batch.id in known or _total(batch.request_counts) != requests:
                    continue
                found.append((batch.created_at, str(batch.id)))
        return min(found)[1] if found else None

    async def status(self, external_id: str) -> BatchStatus:
        async with SdkErrors(self._sdk, self._secret):
            batch = await self._client.messages.batches.retrieve(external_id)
        counts = batch.request_counts
        total = _total(counts)
        done = total - counts.processing
        if batch.processing_status == "ended":
            detail = "expired" if counts.expired else "canceled" if counts.canceled else "ended"
            return BatchStatus("ended", done, total, detail)
        return BatchStatus("running", done, total, batch.processing_status)

    async def results(self, external_id: str) -> AsyncIterator[BatchOutcome]:
        async with SdkErrors(self._sdk, self._secret):
            decoder = await self._client.messages.batches.results(external_id)
            async for line in decoder:
                yield _outcome(line)

    async def aclose(self) -> None:
        await self._client.close()


def _total(counts: Any) -> int:
    return int(
        counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired
    )


def _outcome(line: Any) -> BatchOutcome:
    custom_id = str(line.custom_id)
    result = line.result
    kind = getattr(result, "type", "")
    if kind == "succeeded":
        try:
            return BatchOutcome(custom_id, to_completion(result.message))
        except ProviderError as failed:
            return BatchOutcome(custom_id, None, failed)
    if kind == "errored":
        inner = getattr(getattr(result, "error", None), "error", None)
        error_type = str(getattr(inner, "type", "api_error"))
        message = f"{error_type}: {getattr(inner, 'message', '')}"
        cause = _FATAL_TYPES.get(error_type)
        error: ProviderError = (
            ProviderFatalError(message, cause=cause)
            if cause
            else ProviderRetryableError(message, cause="batch_errored")
        )
        return BatchOutcome(custom_id, None, error)
    why = "canceled" if kind == "canceled" else "expired"
    return BatchOutcome(
        custom_id,
        None,
        ProviderRetryableError(f"the batch request was {why}", cause=f"batch_{why}"),
    )
