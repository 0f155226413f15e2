"""Providers: where completions come from (the Provider protocol and its adapters)."""

from __future__ import annotations

from baton.providers._base import Completion, CompletionRequest, Provider
from baton.providers._fake import FakeProvider

__all__ = ["Completion", "CompletionRequest", "FakeProvider", "Provider"]
