"""Providers: where completions come from (the Provider protocol, its adapters, the registry).

``create_provider`` builds a study model's provider from the entry point registered under
its ``provider`` name (group ``baton.providers``): ``openai`` (any OpenAI-compatible server,
through the ``openai`` SDK), ``anthropic`` (the ``anthropic`` SDK) and ``fake`` are built in.
"""

from __future__ import annotations

from baton.providers._base import Completion, CompletionRequest, Provider
from baton.providers._batch import (
    BatchClient,
    BatchLimits,
    BatchOutcome,
    BatchStatus,
)
from baton.providers._batch_clients import create_batch_client
from baton.providers._fake import FakeProvider
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
    "ENTRY_POINT_GROUP",
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
    "provider_names",
]
