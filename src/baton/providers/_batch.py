"""The batch seam: many requests handed to a provider's batch API at once, at about half
the price, answered within a day.

A ``BatchClient`` turns each request into the API's entry (``entry``), submits a batch of
them under Baton's own name for it (``submit``; the name travels as the batch's metadata or
input file name where the API keeps one, so ``find`` can look a batch up again after a crash
between the API accepting it and Baton recording its id), says how it stands (``status``)
and streams its results (``results``), one ``BatchOutcome`` per request answered or failed.
``create_batch_client`` (``_batch_clients``) builds one for a study's model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from baton.errors import ProviderError
from baton.providers._base import Completion, CompletionRequest
from baton.providers._http import sdk_error

__all__ = [
    "BatchClient",
    "BatchLimits",
    "BatchOutcome",
    "BatchStatus",
    "SdkErrors",
]


@dataclass(frozen=True)
class BatchLimits:
    """The most requests, and bytes of entries (as JSON lines), one batch may carry."""

    max_requests: int
    max_bytes: int


@dataclass(frozen=True)
class BatchStatus:
    """How a batch stands: ``running``; ``ended`` (its results can be read: completed,
    expired or cancelled, said in ``detail``); ``failed`` (refused or lost whole, ``detail``
    says why). ``done`` of ``total`` requests are finished."""

    state: Literal["running", "ended", "failed"]
    done: int = 0
    total: int = 0
    detail: str = ""


@dataclass(frozen=True)
class BatchOutcome:
    """One request's result: a completion, or the error it failed with."""

    custom_id: str
    completion: Completion | None
    error: ProviderError | None = None


class BatchClient(Protocol):
    """One model endpoint's batch API."""

    provider: str
    limits: BatchLimits

    def entry(self, custom_id: str, request: CompletionRequest) -> dict[str, Any]:
        """What the API is sent for ``request`` (JSON-serialisable)."""
        ...

    async def submit(self, batch_key: str, entries: Sequence[dict[str, Any]]) -> str:
        """Submit a batch of ``entries`` under ``batch_key``; return the provider's id."""
        ...

    async def find(
        self, batch_key: str, *, since: datetime, requests: int, known: Collection[str]
    ) -> str | None:
        """The id of the batch submitted under ``batch_key`` (at or after ``since``, with
        ``requests`` requests, not one of the ``known`` ids), or None if there is none."""
        ...

    async def status(self, external_id: str) -> BatchStatus: ...

    def results(self, external_id: str) -> AsyncIterator[BatchOutcome]:
        """Every result the provider holds for an ended batch, streamed."""
        ...

    async def aclose(self) -> None: ...


class SdkErrors:
    """An async context in which an SDK's exception becomes Baton's ``ProviderError`` (with
    the key scrubbed from its message)."""

    def __init__(self, sdk: Any, secret: str) -> None:
        self._sdk = sdk
        self._secret = secret

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: object, error: BaseException | None, trace: object) -> bool:
        if not isinstance(error, Exception) or isinstance(error, ProviderError):
            return False
        translated = sdk_error(self._sdk, error, secret=self._secret)
        if translated is None:
            return False
        raise translated from error
