"""Amazon Bedrock through ``boto3``'s Converse API: any Bedrock model (Anthropic, Meta,
Mistral, Amazon Nova, ...) by its model id, an inference profile id (``eu.anthropic...``)
or ARN.

Credentials and region come from the standard AWS chain (environment variables, the shared
config and credentials files, SSO, an assumed role, the instance or task role); the study
may name the ``region`` and a named ``aws_profile`` (which may itself assume a role), and a
``base_url`` for a VPC endpoint (or a test stub). The SDK's own retries are off: the replay
engine retries, under the study's rate limits.

boto3 is synchronous: each call runs on a thread of a pool of the provider's own, which
starts a thread only when every thread it has is busy, so it grows to the replay's
concurrency (at most ``MAX_THREADS``) and no further; the botocore connection pool is as
large.

The mapping (``converse_request``): system messages become ``system`` blocks; the other
turns become ``messages`` (consecutive turns of one role merged, as Converse requires);
``max_tokens`` (or ``max_completion_tokens``), ``temperature``, ``top_p`` and ``stop`` go to
``inferenceConfig`` (``maxTokens``, ``temperature``, ``topP``, ``stopSequences``);
Converse's own request fields (``guardrailConfig``, ``performanceConfig``,
``requestMetadata``, ``serviceTier``) are sent as they are; an Anthropic-style forced tool
(``tools`` and ``tool_choice``, how judges ask for structured output) becomes
``toolConfig``; any other parameter (``top_k``, ...) goes to
``additionalModelRequestFields``, for the model itself. The reply's text blocks are joined
(a tool call gives its input as JSON); ``content_filtered`` and ``guardrail_intervened``
become ``finish_reason`` ``content_filter``; other stop reasons are kept as Bedrock says
them (``end_turn``, ``max_tokens``, ``stop_sequence``, ...).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING, Any

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers._base import Completion, CompletionRequest, blocked_completion
from baton.providers._http import is_retired, parse_retry_after, scrub

if TYPE_CHECKING:
    from types import ModuleType

    from baton.domain import Message
    from baton.study import ModelSpec

__all__ = ["MAX_THREADS", "BedrockProvider", "converse_request", "create_bedrock_provider"]

MAX_THREADS = 256
"""The most calls in flight at once to one Bedrock model (threads and connections)."""
API_KEY_ENV = "AWS_BEARER_TOKEN_BEDROCK"
"""A Bedrock API key, which boto3 sends as a bearer token instead of signing with SigV4."""
INSTALL_HINT = "the bedrock provider needs boto3: pip install 'baton-migrate[bedrock]'"

_INFERENCE = {
    "max_tokens": "maxTokens",
    "max_completion_tokens": "maxTokens",
    "temperature": "temperature",
    "top_p": "topP",
    "stop": "stopSequences",
}
_TOP_LEVEL = {"guardrailConfig", "performanceConfig", "requestMetadata", "serviceTier"}
_FILTERED = {"content_filtered", "guardrail_intervened"}

_RETRYABLE = {
    "ThrottlingException": "rate_limited",
    "TooManyRequestsException": "rate_limited",
    "ServiceQuotaExceededException": "quota",
    "ModelNotReadyException": "unavailable",
    "ServiceUnavailableException": "server_error",
    "InternalServerException": "server_error",
    "ModelErrorException": "server_error",
    "ModelTimeoutException": "timeout",
    "RequestTimeout": "timeout",
    "RequestTimeoutException": "timeout",
}
_FATAL = {
    "AccessDeniedException": "auth",
    "UnrecognizedClientException": "auth",
    "InvalidSignatureException": "auth",
    "ExpiredTokenException": "auth",
    "ExpiredToken": "auth",
    "IncompleteSignature": "auth",
    "MissingAuthenticationToken": "auth",
    "ResourceNotFoundException": "not_found",
    "ValidationException": "bad_request",
}


def _sdk() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        return (
            import_module("boto3"),
            import_module("botocore.config"),
            import_module("botocore.exceptions"),
        )
    except ImportError as error:
        raise ProviderFatalError(INSTALL_HINT, cause="not_installed") from error


def create_bedrock_provider(spec: ModelSpec) -> BedrockProvider:
    """The provider for a study's model with ``provider: bedrock``."""
    return BedrockProvider(
        region=spec.region,
        profile=spec.aws_profile,
        endpoint_url=spec.base_url,
        timeout_s=spec.timeout_s,
    )


class BedrockProvider:
    """Converse calls to Amazon Bedrock."""

    name = "bedrock"

    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        boto3, config, self._errors = _sdk()
        self._parser_error: type[Exception] = import_module("botocore.parsers").ResponseParserError
        api_key = os.environ.get(API_KEY_ENV, "").strip()
        secrets = [api_key]
        try:
            session = boto3.Session(profile_name=profile, region_name=region)
            credentials = session.get_credentials()
            if credentials is not None:  # resolved now: an expired SSO login fails here
                frozen = credentials.get_frozen_credentials()
                secrets += [frozen.secret_key, frozen.token]
        except (self._errors.BotoCoreError, self._errors.ClientError) as error:
            # an unknown profile, a broken config, an expired SSO token, a role not assumable
            message = scrub(str(error), None)
            raise ProviderFatalError(f"AWS credentials: {message}", cause="auth") from error
        if credentials is None and not api_key:
            raise ProviderFatalError(
                "the bedrock provider found no AWS credentials (environment, shared config "
                f"or credentials file, SSO, role) and no {API_KEY_ENV}: configure them, or "
                "name aws_profile",
                cause="auth",
            )
        self._secrets = tuple(s for s in secrets if s)
        settings = config.Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=MAX_THREADS,
            connect_timeout=min(10.0, timeout_s),
            read_timeout=timeout_s,
            user_agent_extra="baton",
        )
        try:
            self._client = session.client(
                "bedrock-runtime", endpoint_url=endpoint_url, config=settings
            )
        except self._errors.NoRegionError as error:
            raise ProviderFatalError(
                "the bedrock provider needs a region: set region in the study, AWS_REGION, "
                "or the profile's region",
                cause="bad_request",
            ) from error
        self.region = self._client.meta.region_name
        self.endpoint_url = endpoint_url
        self._pool = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="baton-bedrock")

    def __repr__(self) -> str:
        return f"BedrockProvider(region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    async def complete(self, request: CompletionRequest) -> Completion:
        call = partial(self._client.converse, **converse_request(request))
        try:
            reply = await asyncio.get_running_loop().run_in_executor(self._pool, call)
        except Exception as error:
            translated = self._error(error)
            if translated is None:
                raise
            raise translated from error
        return _completion(reply)

    async def aclose(self) -> None:
        """Let the calls in flight end, then close the connections."""
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)
        self._client.close()

    def _error(self, error: Exception) -> ProviderError | None:
        errors = self._errors
        message = self._scrub(str(error) or type(error).__name__)
        if isinstance(error, errors.ClientError):
            return _client_error(error.response, message)
        kinds: list[tuple[tuple[type[Exception], ...], type[ProviderError], str, str]] = [
            (
                (errors.ReadTimeoutError, errors.ConnectTimeoutError),
                ProviderRetryableError,
                "timeout",
                "timed out",
            ),
            (
                (
                    errors.EndpointConnectionError,
                    errors.ConnectionClosedError,
                    errors.HTTPClientError,
                ),
                ProviderRetryableError,
                "connection",
                "connection failed",
            ),
            (
                (errors.NoCredentialsError, errors.TokenRetrievalError),
                ProviderFatalError,
                "auth",
                "AWS credentials",
            ),
            ((errors.ParamValidationError,), ProviderFatalError, "bad_request", "bad request"),
            ((self._parser_error,), ProviderRetryableError, "malformed", "malformed reply"),
            ((errors.BotoCoreError,), ProviderFatalError, "rejected", "AWS SDK"),
        ]
        for classes, kind, cause, words in kinds:
            if isinstance(error, classes):
                return kind(f"{words}: {message}", cause=cause)
        return None

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = scrub(text, secret)
        return scrub(text, None)


def _client_error(response: Mapping[str, Any], message: str) -> ProviderError:
    """The ``ProviderError`` for a Bedrock error reply (its code, status and headers)."""
    code = str(response.get("Error", {}).get("Code", ""))
    meta = response.get("ResponseMetadata", {})
    status = int(meta.get("HTTPStatusCode", 0) or 0)
    headers = meta.get("HTTPHeaders", {}) or {}
    detail = f"{code or 'HTTP ' + str(status)}: {message}"
    if code in _RETRYABLE or status in (408, 429) or status >= 500:
        cause = _RETRYABLE.get(code) or ("rate_limited" if status == 429 else "server_error")
        if status == 408 and code not in _RETRYABLE:
            cause = "timeout"
        return ProviderRetryableError(detail, retry_after_s=parse_retry_after(headers), cause=cause)
    if code in ("ResourceNotFoundException", "ValidationException") and is_retired(message):
        return ProviderFatalError(detail, cause="retired")
    cause = _FATAL.get(code) or {401: "auth", 403: "auth", 404: "not_found"}.get(status, "rejected")
    return ProviderFatalError(detail, cause=cause)


def converse_request(request: CompletionRequest) -> dict[str, Any]:
    """The keyword arguments of ``converse`` for ``request`` (the mapping is in the module's
    docstring)."""
    parameters = dict(request.parameters)
    inference: dict[str, Any] = {}
    for name, field in _INFERENCE.items():
        if name in parameters:
            inference[field] = parameters.pop(name)
    stop = inference.get("stopSequences")
    if isinstance(stop, str):
        inference["stopSequences"] = [stop]
    kwargs: dict[str, Any] = {"modelId": request.model, "messages": _turns(request.messages)}
    system = [{"text": m.content} for m in request.messages if m.role == "system"]
    if system:
        kwargs["system"] = system
    if inference:
        kwargs["inferenceConfig"] = inference
    tools, choice = parameters.pop("tools", None), parameters.pop("tool_choice", None)
    if tools:
        kwargs["toolConfig"] = _tool_config(tools, choice)
    for name in _TOP_LEVEL & parameters.keys():
        kwargs[name] = parameters.pop(name)
    if parameters:
        kwargs["additionalModelRequestFields"] = parameters
    return kwargs


def _turns(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        block = {"text": message.content}
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"].append(block)
        else:
            turns.append({"role": message.role, "content": [block]})
    return turns


def _tool_config(tools: list[Mapping[str, Any]], choice: Any) -> dict[str, Any]:
    """Anthropic-shaped tools (``name``, ``description``, ``input_schema``) as Converse's."""
    specs = [
        {
            "toolSpec": {
                "name": tool["name"],
                "description": tool.get("description", tool["name"]),
                "inputSchema": {"json": tool.get("input_schema", {"type": "object"})},
            }
        }
        for tool in tools
    ]
    config: dict[str, Any] = {"tools": specs}
    if isinstance(choice, Mapping) and choice.get("type") == "tool":
        config["toolChoice"] = {"tool": {"name": choice["name"]}}
    elif isinstance(choice, Mapping) and choice.get("type") == "any":
        config["toolChoice"] = {"any": {}}
    return config


def _completion(reply: Mapping[str, Any]) -> Completion:
    """A completion from Converse's reply: text blocks joined, or a tool call's input."""
    message = (reply.get("output") or {}).get("message")
    usage = reply.get("usage")
    if message is None or usage is None:
        shown = scrub(str(reply), None)[:200]
        raise ProviderRetryableError(f"malformed reply: {shown!r}", cause="malformed")
    blocks = message.get("content") or []
    tools = [block["toolUse"] for block in blocks if "toolUse" in block]
    if tools:
        text = json.dumps(tools[0].get("input", {}), ensure_ascii=False)
    else:
        text = "".join(block["text"] for block in blocks if "text" in block)
    tokens_in = int(usage.get("inputTokens", 0) or 0)
    tokens_out = int(usage.get("outputTokens", 0) or 0)
    reason = reply.get("stopReason")
    if reason in _FILTERED:
        return blocked_completion(text, tokens_in, tokens_out)
    return Completion(text, tokens_in, tokens_out, finish_reason=reason)
