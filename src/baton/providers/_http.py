"""What the HTTP adapters share: API keys from the environment, ``retry-after``, and turning
an HTTP status into the right ``ProviderError`` with any credential scrubbed from it."""

from __future__ import annotations

import ipaddress
import math
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import ModuleType
from urllib.parse import urlsplit

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers._secrets import Redactor

__all__ = [
    "PLACEHOLDER_KEY",
    "api_key_from_env",
    "is_loopback",
    "is_retired",
    "parse_retry_after",
    "say_once",
    "scrub",
    "sdk_error",
    "status_error",
]

PLACEHOLDER_KEY = "unused"
"""Sent to a server named by its base URL when no key is set: local servers take any key."""

_RETRYABLE = {408: "timeout", 409: "conflict", 425: "too_early", 429: "rate_limited"}
_FATAL = {400: "bad_request", 401: "auth", 403: "auth", 404: "not_found", 422: "bad_request"}
_MAX_MESSAGE = 500
_RETIRED = re.compile(
    r"end of (?:its )?life|\bretired\b|has been deprecated|is deprecated|"
    r"no longer (?:available|supported)",
    re.IGNORECASE,
)
_SAID: set[str] = set()


def api_key_from_env(
    variable: str | None, *, default: str, provider: str, base_url: str | None
) -> str:
    """The API key to send: from environment variable ``variable``, or ``default`` (the
    provider's own, e.g. ``OPENAI_API_KEY``) when the study names none.

    A server named by a base URL (llama.cpp, vLLM, Ollama, a proxy) never gets the default
    variable's key: only a study that names the variable (``api_key_env``) sends one there.
    Without it, or when that variable is unset, a placeholder is sent (the SDKs want one;
    local servers take any), and that is said once on stderr. Plain HTTP to a host that is
    not this machine is warned about once. Without a base URL a missing key is an error.
    """
    if base_url is None:
        name = variable or default
        key = os.environ.get(name, "").strip()
        if key:
            return key
        raise ProviderFatalError(
            f"the {provider} provider reads its API key from the environment: set {name}",
            cause="auth",
        )
    key = os.environ.get(variable, "").strip() if variable else ""
    _warn_plain_http(base_url, sends_key=bool(key))
    if key:
        return key
    if variable is None:
        say_once(
            f"note: {provider} model at {base_url}: no API key is sent (the study names no "
            f"api_key_env; {default} goes only to the provider's own API)"
        )
    return PLACEHOLDER_KEY


def say_once(line: str) -> None:
    """Write ``line`` to stderr, unless this process already did."""
    if line not in _SAID:
        _SAID.add(line)
        print(line, file=sys.stderr, flush=True)


def _warn_plain_http(base_url: str, *, sends_key: bool) -> None:
    parts = urlsplit(base_url)
    if parts.scheme.lower() != "http" or is_loopback(parts.hostname or ""):
        return
    what = "the API key and every prompt" if sends_key else "every prompt"
    say_once(f"warning: {base_url} is plain HTTP to another host: {what} travel unencrypted")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this machine:
    a loopback address (127.0.0.0/8, ::1, IPv4-mapped loopback) or the name ``localhost``."""
    bare = host.strip("[]").rstrip(".").lower()
    if bare == "localhost" or bare.endswith(".localhost"):
        return True  # RFC 6761: resolves to loopback
    try:
        address = ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


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
    """``message`` on one line, shortened, with ``secret`` (and its head or tail) masked."""
    text = Redactor().with_secrets(secret)(" ".join(message.split()))
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
    if status in (400, 404, 410) and is_retired(message):
        return ProviderFatalError(detail, cause="retired")
    return ProviderFatalError(detail, cause=_FATAL.get(status, "rejected"))


def is_retired(message: str) -> bool:
    """Whether a platform's refusal says the model reached end of life (retired,
    deprecated, no longer available): the migration's very reason, recorded as ``retired``."""
    return _RETIRED.search(message) is not None


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
