"""OpenAI's Batch API through the official ``openai`` async SDK.

A batch is a JSONL file of chat-completion requests uploaded to ``/v1/files`` (purpose
``batch``, named ``<batch key>.jsonl``), then a batch over it (``/v1/batches``, completion
window 24 h, the batch key in its metadata as ``baton_batch``). Its results are two JSONL
files, streamed line by line: the output file (one response per request, with its HTTP
status) and the error file (requests that could not be run, e.g. ``batch_expired``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

from baton.errors import ProviderError, ProviderRetryableError
from baton.providers._base import CompletionRequest
from baton.providers._batch import BatchLimits, BatchOutcome, BatchStatus, SdkErrors
from baton.providers._http import api_key_from_env, status_error
from baton.providers._openai import DEFAULT_KEY_ENV, _sdk, to_completion

__all__ = ["OpenAIBatchClient"]

ENDPOINT = "/v1/chat/completions"
METADATA_KEY = "baton_batch"
_RUNNING = {"validating", "in_progress", "finalizing", "cancelling"}
_LOOK_BACK_S = 600  # how far before a batch's intent ``find`` looks (clock skew)


class OpenAIBatchClient:
    """Batches of chat completions for one OpenAI(-compatible) endpoint."""

    provider = "openai"
    limits = BatchLimits(max_requests=50_000, max_bytes=190 * 2**20)  # API: 50,000 and 200 MB

    def __init__(
        self, *, base_url: str | None = None, api_key_env: str | None = None, timeout_s: float
    ) -> None:
        self._sdk = _sdk()
        self._secret = api_key_from_env(
            api_key_env, default=DEFAULT_KEY_ENV, provider="openai", base_url=base_url
        )
        self._client = self._sdk.AsyncOpenAI(
            api_key=self._secret, base_url=base_url, timeout=max(timeout_s, 120.0), max_retries=0
        )

    def __repr__(self) -> str:
        return "OpenAIBatchClient()"

    def entry(self, custom_id: str, request: CompletionRequest) -> dict[str, Any]:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        body = {"model": request.model, "messages": messages, **request.parameters}
        return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}

    async def submit(self, batch_key: str, entries: Sequence[dict[str, Any]]) -> str:
        lines = b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in entries)
        async with self._errors():
            uploaded = await self._client.files.create(
                file=(f"{batch_key}.jsonl", lines, "application/jsonl"), purpose="batch"
            )
            batch = await self._client.batches.create(
                input_file_id=uploaded.id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata={METADATA_KEY: batch_key},
            )
        return str(batch.id)

    async def find(
        self, batch_key: str, *, since: datetime, requests: int, known: Collection[str]
    ) -> str | None:
        oldest = since.timestamp() - _LOOK_BACK_S
        async with self._errors():
            async for batch in self._client.batches.list(limit=100):
                if (batch.metadata or {}).get(METADATA_KEY) == batch_key:
                    return str(batch.id)
                if batch.created_at < oldest:
                    break
        return None

    async def status(self, external_id: str) -> BatchStatus:
        async with self._errors():
            batch = await self._client.batches.retrieve(external_id)
        counts = batch.request_counts
        done = (counts.completed + counts.failed) if counts else 0
        total = counts.total if counts else 0
        if batch.status in _RUNNING:
            return BatchStatus("running", done, total, batch.status)
        if batch.status == "failed":
            errors = batch.errors.data if batch.errors and batch.errors.data else []
            detail = "; ".join(f"{e.code}: {e.message}" for e in errors) or "failed"
            return BatchStatus("failed", done, total, detail)
        return BatchStatus("ended", done, total, batch.status)

    async def results(self, external_id: str) -> AsyncIterator[BatchOutcome]:
        async with self._errors():
            batch = await self._client.batches.retrieve(external_id)
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            async with self._errors():
                streamed = self._client.files.with_streaming_response.content(file_id)
                async with streamed as response:
                    async for line in response.iter_lines():
                        if line.strip():
                            yield self._outcome(line)

    def _outcome(self, line: str) -> BatchOutcome:
        try:
            record = json.loads(line)
            custom_id = str(record["custom_id"])
        except (ValueError, KeyError, TypeError) as bad:
            raise ProviderRetryableError(
                f"malformed batch result line: {line[:200]!r}", cause="malformed"
            ) from bad
        error = record.get("error")
        response = record.get("response") or {}
        status = int(response.get("status_code") or 0)
        if error or status != 200:
            return BatchOutcome(custom_id, None, self._request_error(error, status, response))
        body = response.get("body")
        try:
            reply = self._sdk.types.chat.ChatCompletion.model_validate(body)
        except ValueError:
            failed = ProviderRetryableError(
                f"malformed reply: {str(body)[:200]!r}", cause="malformed"
            )
            return BatchOutcome(custom_id, None, failed)
        try:
            return BatchOutcome(custom_id, to_completion(reply))
        except ProviderError as caught:
            return BatchOutcome(custom_id, None, caught)

    def _request_error(
        self, error: dict[str, Any] | None, status: int, response: dict[str, Any]
    ) -> ProviderError:
        if error:
            code = str(error.get("code") or "batch_error")
            return ProviderRetryableError(str(error.get("message") or code), cause=code)
        body = response.get("body") or {}
        detail = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
        return status_error(status, str(detail or body), {}, secret=self._secret)

    def _errors(self) -> SdkErrors:
        return SdkErrors(self._sdk, self._secret)

    async def aclose(self) -> None:
        await self._client.close()
