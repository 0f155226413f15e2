"""What the HTTP adapters share: API keys from the environment, ``retry-after``, and turning
an HTTP status into the right ``ProviderError`` with any credential scrubbed from it."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import ModuleType

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError

__all__ = ["api_key_from_env", "parse_retry_after", "scrub", "sdk_error", "status_error"]

PLACEHOLDER_KEY = "unused"
"""Sent to a server named by its base URL when no key is set: local servers take any key."""

_RETRYABLE = {408: "timeout", 409: "conflict", 425: "too_early", 429: "rate_limited"}
_FATAL = {400: "bad_request", 401: "auth", 403: "auth", 404: "not_found", 422: "bad_request"}
_MAX_MESSAGE = 500


def api_key_from_env(variable: str, *, provider: str, base_url: str | None) -> str:
    """The API key in environment variable ``variable``.

    A server named by a base URL (llama.cpp, vLLM, Ollama) may need none; the SDKs still
    want one, so a placeholder is used. Without a base URL a missing key is an error.
    """
    key = os.environ.get(variable, "").strip()
    if key:
        return key
    if base_url is not None:
        return PLACEHOLDER_KEY
    raise ProviderFatalError(
        f"the {provider} provider reads its API key from the environment: set {variable}",
        cause="auth",
    )


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def scrub(message: str, secret: str | None) -> str:
    """``message`` on one line, shortened, with ``secret`` (and its tail) masked."""
    text = " ".join(message.split())
    if secret and secret != PLACEHOLDER_KEY:
        text = text.replace(secret, "***")
        if len(secret) >= 12:  # servers often echo a key's last characters
            text = text.replace(secret[-8:], "***")
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def status_error(
    status: int, message: str, headers: Mapping[str, str], *, secret: str | None
) -> ProviderError:
    """The error for an HTTP ``status``: 408/409/425/429 and 5xx are worth retrying."""
    detail = f"HTTP {status}: {scrub(message, secret)}"
    if status in _RETRYABLE:
        return ProviderRetryableError(
            detail, retry_after_s=parse_retry_after(headers), cause=_RETRYABLE[status]
        )
    if status >= 500:
        return ProviderRetryableError(
            detail, retry_after_s=parse_retry_after(headers), cause="server_error"
        )
    return ProviderFatalError(detail, cause=_FATAL.get(status, "rejected"))


def sdk_error(sdk: ModuleType, error: Exception, *, secret: str) -> ProviderError | None:
    """The ``ProviderError`` for an exception from the ``openai`` or ``anthropic`` SDK (they
    share their exception names), or None for one that is not the provider's failure."""
    message = scrub(str(error) or type(error).__name__, secret)
    if isinstance(error, sdk.APIStatusError):
        headers = dict(error.response.headers)
        return status_error(error.status_code, message, headers, secret=secret)
    if isinstance(error, sdk.APITimeoutError):
        return ProviderRetryableError(f"timed out: {message}", cause="timeout")
    if isinstance(error, sdk.APIConnectionError):
        return ProviderRetryableError(f"connection failed: {message}", cause="connection")
    if isinstance(error, sdk.APIError | ValueError):  # ValueError: a body that is not JSON
        return ProviderRetryableError(f"malformed reply: {message}", cause="malformed")
    if isinstance(error, TypeError):  # the SDK refused a parameter
        return ProviderFatalError(f"bad request: {message}", cause="bad_request")
    return None
