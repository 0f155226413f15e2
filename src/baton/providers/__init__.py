"""Providers: where completions come from (the Provider protocol, its adapters, the registry).

``create_provider`` builds a study model's provider from the entry point registered under
its ``provider`` name (group ``baton.providers``): ``openai`` (any OpenAI-compatible server,
through the ``openai`` SDK), ``anthropic`` (the ``anthropic`` SDK), ``azure`` (Azure OpenAI,
the ``openai`` SDK's Azure client), ``bedrock`` (Amazon Bedrock's Converse API, ``boto3``),
``gemini`` and ``vertex`` (the Gemini API and Vertex AI, ``google-genai``) and ``fake`` are
built in; the cloud SDKs are optional extras, imported only when a study uses them.
"""

from __future__ import annotations

from baton.providers._base import (
    CONTENT_FILTER,
    FILTERED_TEXT,
    Completion,
    CompletionRequest,
    Provider,
)
from baton.providers._batch import (
    BatchClient,
    BatchLimits,
    BatchOutcome,
    BatchStatus,
)
from baton.providers._batch_clients import create_batch_client
from baton.providers._fake import FakeProvider
from baton.providers._native import model_problems
from baton.providers._registry import (
    ENTRY_POINT_GROUP,
    ProviderFactory,
    close_providers,
    create_provider,
    create_providers,
    provider_names,
)
from baton.providers._secrets import REDACTED, Redactor, key_redactor

__all__ = [
    "CONTENT_FILTER",
    "ENTRY_POINT_GROUP",
    "FILTERED_TEXT",
    "REDACTED",
    "BatchClient",
    "BatchLimits",
    "BatchOutcome",
    "BatchStatus",
    "Completion",
    "CompletionRequest",
    "FakeProvider",
    "Provider",
    "ProviderFactory",
    "Redactor",
    "close_providers",
    "create_batch_client",
    "create_provider",
    "create_providers",
    "key_redactor",
    "model_problems",
    "provider_names",
]
