"""A study model's batch client, by its provider: ``openai`` (OpenAI Batch) and
``anthropic`` (Message Batches) have one; the SDKs are imported when a client is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from baton.errors import ProviderFatalError
from baton.providers._batch import BatchClient
from baton.providers._batch_anthropic import AnthropicBatchClient
from baton.providers._batch_openai import OpenAIBatchClient

if TYPE_CHECKING:
    from baton.study import ModelSpec

__all__ = ["create_batch_client"]


def create_batch_client(spec: ModelSpec) -> BatchClient:
    """The batch client for a study's model; ``ProviderFatalError`` (cause ``no_batch_api``)
    for a provider without one."""
    if spec.provider == "openai":
        return OpenAIBatchClient(
            base_url=spec.base_url, api_key_env=spec.api_key_env, timeout_s=spec.timeout_s
        )
    if spec.provider == "anthropic":
        return AnthropicBatchClient(
            base_url=spec.base_url, api_key_env=spec.api_key_env, timeout_s=spec.timeout_s
        )
    raise ProviderFatalError(
        f"model {spec.name!r}: provider {spec.provider!r} has no batch API in Baton "
        "(openai and anthropic have); run without --batch",
        cause="no_batch_api",
    )
