"""Google's Gemini models through the official ``google-genai`` SDK's async client: the
Gemini Developer API (``provider: gemini``) or Vertex AI (``provider: vertex``).

``gemini`` sends an API key from the environment variable the study names (default
``GEMINI_API_KEY``). ``vertex`` calls the study's Google Cloud ``project`` (default: the
Application Default Credentials' project, or ``GOOGLE_CLOUD_PROJECT``) in its ``region``
(the Vertex location; default ``GOOGLE_CLOUD_LOCATION``, else ``global``) with Application
Default Credentials (``gcloud auth application-default login``, a service account, workload
identity); with ``api_key_env`` it uses a Vertex AI express-mode API key instead. A
``base_url`` replaces the API's host (a private endpoint, a proxy, a test stub). The SDK's
own retries are off: the replay engine retries, under the study's rate limits.

The mapping (``generate_config``): system messages become ``system_instruction``; the turns
become ``contents`` (``assistant`` as ``model``); ``max_tokens`` (or
``max_completion_tokens``) becomes ``max_output_tokens`` and ``stop`` ``stop_sequences``;
``response_format`` (how judges ask for JSON) becomes ``response_mime_type``
``application/json`` with its schema as ``response_json_schema``; every other parameter
(``temperature``, ``top_p``, ``top_k``, ``seed``, ``presence_penalty``,
``frequency_penalty``, ``thinking_config``, ``safety_settings``, ...) goes to
``GenerateContentConfig`` under its own name, which validates it. The reply's text parts are
joined (thoughts left out; thinking tokens are counted as output tokens, as they are
billed); ``STOP`` becomes ``finish_reason`` ``stop``, ``MAX_TOKENS`` ``length``; a prompt
or an answer blocked for safety, a blocklist, prohibited content, personal data or
recitation becomes ``content_filter``.
"""

from __future__ import annotations

import json
import os
import re
from importlib import import_module
from typing import TYPE_CHECKING, Any

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers._base import Completion, CompletionRequest, blocked_completion
from baton.providers._http import api_key_from_env, is_retired, scrub

if TYPE_CHECKING:
    from types import ModuleType

    from baton.study import ModelSpec

__all__ = [
    "GoogleGenAIProvider",
    "create_gemini_provider",
    "create_vertex_provider",
    "generate_config",
]

DEFAULT_KEY_ENV = "GEMINI_API_KEY"
DEFAULT_LOCATION = "global"
INSTALL_HINT = "the {name} provider needs google-genai: pip install 'baton-migrate[gemini]'"

_RENAMED = {
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "stop": "stop_sequences",
}
_FILTERED = {
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "MODEL_ARMOR",
}
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_MAX_CONFIGS = 64
_RETRY_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


def _sdk(name: str) -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        return (
            import_module("google.genai"),
            import_module("google.genai.errors"),
            import_module("google.genai.types"),
        )
    except ImportError as error:
        raise ProviderFatalError(INSTALL_HINT.format(name=name), cause="not_installed") from error


def create_gemini_provider(spec: ModelSpec) -> GoogleGenAIProvider:
    """The provider for a study's model with ``provider: gemini`` (the Gemini API)."""
    return GoogleGenAIProvider(
        vertex=False,
        api_key_env=spec.api_key_env,
        base_url=spec.base_url,
        timeout_s=spec.timeout_s,
    )


def create_vertex_provider(spec: ModelSpec) -> GoogleGenAIProvider:
    """The provider for a study's model with ``provider: vertex`` (Vertex AI)."""
    return GoogleGenAIProvider(
        vertex=True,
        project=spec.project,
        location=spec.region,
        api_key_env=spec.api_key_env,
        base_url=spec.base_url,
        timeout_s=spec.timeout_s,
    )


class GoogleGenAIProvider:
    """``generate_content`` calls to the Gemini API or to Vertex AI."""

    def __init__(
        self,
        *,
        vertex: bool,
        project: str | None = None,
        location: str | None = None,
        api_key_env: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.name = "vertex" if vertex else "gemini"
        self._configs: dict[str, Any] = {}
        genai, self._errors, self._types = _sdk(self.name)
        self.base_url = base_url
        options = self._types.HttpOptions(
            base_url=base_url,
            timeout=int(timeout_s * 1000),
            retry_options=self._types.HttpRetryOptions(attempts=1),
        )
        self._secret = ""
        self.location = ""
        arguments: dict[str, Any] = {"http_options": options}
        if vertex:
            self.location = location or os.environ.get("GOOGLE_CLOUD_LOCATION") or DEFAULT_LOCATION
            arguments |= {"vertexai": True}
            if api_key_env:  # express mode: an API key instead of a project
                self._secret = _key(api_key_env, "vertex", base_url)
                arguments["api_key"] = self._secret
            else:
                arguments |= {"project": project, "location": self.location}
        else:
            self._secret = _key(api_key_env or DEFAULT_KEY_ENV, "gemini", base_url)
            arguments["api_key"] = self._secret
        try:
            self._client = genai.Client(**arguments)
        except ValueError as error:
            message = scrub(str(error), self._secret)
            raise ProviderFatalError(f"{self.name}: {message}", cause="auth") from error

    def __repr__(self) -> str:
        return f"GoogleGenAIProvider(name={self.name!r}, base_url={self.base_url!r})"

    async def complete(self, request: CompletionRequest) -> Completion:
        contents = [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in request.messages
            if m.role != "system"
        ]
        config = self._config(request)
        try:
            reply = await self._client.aio.models.generate_content(
                model=request.model, contents=contents, config=config
            )
        except Exception as error:
            translated = self._error(error)
            if translated is None:
                raise
            raise translated from error
        return _completion(reply)

    def _config(self, request: CompletionRequest) -> Any:
        """The request's ``GenerateContentConfig``, built (and validated) once per system
        prompt and parameters: a study asks every item with the same."""
        system = [m.content for m in request.messages if m.role == "system"]
        key = json.dumps([system, request.parameters], sort_keys=True, default=str)
        config = self._configs.get(key)
        if config is not None:
            return config
        try:
            config = self._types.GenerateContentConfig(**generate_config(request))
        except ValueError as error:  # pydantic's ValidationError: a parameter it refuses
            message = scrub(" ".join(str(error).split()), self._secret)
            raise ProviderFatalError(f"bad request: {message}", cause="bad_request") from error
        if len(self._configs) < _MAX_CONFIGS:
            self._configs[key] = config
        return config

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aio.aclose()

    def _error(self, error: Exception) -> ProviderError | None:
        message = scrub(str(error) or type(error).__name__, self._secret)
        if isinstance(error, self._errors.APIError):
            return _api_error(error, scrub(str(error.message or message), self._secret))
        kinds = {cls.__module__.split(".")[0] + "." + cls.__name__ for cls in type(error).__mro__}
        if kinds & {"httpx.TimeoutException"}:
            return ProviderRetryableError(f"timed out: {message}", cause="timeout")
        if kinds & {"httpx.TransportError", "aiohttp.ClientError"}:
            return ProviderRetryableError(f"connection failed: {message}", cause="connection")
        names = {cls.__name__ for cls in type(error).__mro__}
        unresolved = isinstance(error, ValueError) and "project" in message.lower()
        if names & {"DefaultCredentialsError", "RefreshError"} or unresolved:
            return ProviderFatalError(f"Google Cloud credentials: {message}", cause="auth")
        if names & {"UnknownApiResponseError", "JSONDecodeError"}:
            return ProviderRetryableError(f"malformed reply: {message}", cause="malformed")
        return None


def _key(variable: str, name: str, base_url: str | None) -> str:
    key = api_key_from_env(variable, default=variable, provider=name, base_url=base_url)
    if key == "unused":
        raise ProviderFatalError(
            f"the {name} provider reads its API key from the environment: set {variable}",
            cause="auth",
        )
    return key


def _api_error(error: Any, message: str) -> ProviderError:
    """The ``ProviderError`` for an error reply of the Gemini API or Vertex AI."""
    code, status = int(error.code or 0), str(error.status or "")
    detail = f"HTTP {code} {status}: {message}"
    retryable = _retryable_cause(code, status, message)
    if retryable is not None:
        return ProviderRetryableError(detail, retry_after_s=_retry_delay(error), cause=retryable)
    return ProviderFatalError(detail, cause=_fatal_cause(code, status, message, error.details))


def _retryable_cause(code: int, status: str, message: str) -> str | None:
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return "rate_limited"  # the Gemini API says "quota" of its per-minute limits too
    if code == 504 or status == "DEADLINE_EXCEEDED":
        return "timeout"
    if code in (408, 409) or code >= 500:
        return "server_error"
    return None


def _fatal_cause(code: int, status: str, message: str, details: Any) -> str:
    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return "auth"
    if "API_KEY_INVALID" in str(details) or "API key not valid" in message:
        return "auth"  # the Gemini API answers a bad key with 400 INVALID_ARGUMENT
    if is_retired(message):
        return "retired"
    if code == 404 or status == "NOT_FOUND":
        return "not_found"
    if status == "INVALID_ARGUMENT" or code == 400:
        return "bad_request"
    return "rejected"


def _retry_delay(error: Any) -> float | None:
    """The ``retryDelay`` of a ``google.rpc.RetryInfo`` in the error's details (``"17s"``)."""
    body = error.details if isinstance(error.details, dict) else {}
    inner = body.get("error", body) if isinstance(body, dict) else {}
    for detail in inner.get("details", []) if isinstance(inner, dict) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            found = _RETRY_DELAY.match(str(detail.get("retryDelay", "")))
            if found:
                return float(found.group(1))
    return None


def generate_config(request: CompletionRequest) -> dict[str, Any]:
    """``GenerateContentConfig``'s fields for ``request`` (the mapping is in the module's
    docstring)."""
    config: dict[str, Any] = {}
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    if system:
        config["system_instruction"] = system
    for name, value in request.parameters.items():
        if name == "response_format":
            config |= _json_output(value)
            continue
        config[_RENAMED.get(name, name)] = value
    stop = config.get("stop_sequences")
    if isinstance(stop, str):
        config["stop_sequences"] = [stop]
    return config


def _json_output(response_format: Any) -> dict[str, Any]:
    if not isinstance(response_format, dict) or response_format.get("type") == "text":
        return {}
    schema = response_format.get("schema")
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
    config: dict[str, Any] = {"response_mime_type": "application/json"}
    if schema is not None:
        config["response_json_schema"] = schema
    return config


def _completion(reply: Any) -> Completion:
    usage = getattr(reply, "usage_metadata", None)
    tokens_in = int(getattr(usage, "prompt_token_count", 0) or 0)
    tokens_out = int(getattr(usage, "candidates_token_count", 0) or 0)
    tokens_out += int(getattr(usage, "thoughts_token_count", 0) or 0)
    candidates = getattr(reply, "candidates", None) or []
    if not candidates:
        feedback = getattr(reply, "prompt_feedback", None)
        if getattr(feedback, "block_reason", None) is not None:
            return blocked_completion(None, tokens_in, tokens_out)
        shown = scrub(str(reply), None)[:200]
        raise ProviderRetryableError(
            f"malformed reply: no candidates in {shown!r}", cause="malformed"
        )
    candidate = candidates[0]
    parts = getattr(getattr(candidate, "content", None), "parts", None) or []
    text = "".join(p.text for p in parts if getattr(p, "text", None) and not p.thought)
    reason = getattr(candidate, "finish_reason", None)
    name = str(getattr(reason, "name", reason)) if reason is not None else None
    if name in _FILTERED:
        return blocked_completion(text, tokens_in, tokens_out)
    finish = _FINISH.get(name, name.lower()) if name is not None else None
    return Completion(text, tokens_in, tokens_out, finish_reason=finish)
