"""OpenAI-compatible chat completions through the official ``openai`` async SDK.

One adapter serves every server that speaks the OpenAI chat-completions API: OpenAI, Azure
OpenAI (its ``/openai/v1/`` base URL), vLLM, llama.cpp's server, Ollama. The base URL comes
from the study; the API key from the environment variable the study names (default
``OPENAI_API_KEY``, which goes only to OpenAI's own API: a model with a ``base_url`` gets a
key only from the variable it names), never from a file. The SDK's own retries are off: the
replay engine retries, under the study's rate limits.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers._base import (
    CONTENT_FILTER,
    Completion,
    CompletionRequest,
    blocked_completion,
)
from baton.providers._http import api_key_from_env, scrub, sdk_error

if TYPE_CHECKING:
    from types import ModuleType

    from baton.study import ModelSpec

__all__ = [
    "OpenAICompatProvider",
    "chat_completion",
    "create_openai_provider",
    "is_prompt_filtered",
    "to_completion",
]

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
INSTALL_HINT = "the openai provider needs the openai SDK: pip install 'baton-migrate[openai]'"


def _sdk() -> ModuleType:
    try:
        return import_module("openai")
    except ImportError as error:
        raise ProviderFatalError(INSTALL_HINT, cause="not_installed") from error


def create_openai_provider(spec: ModelSpec) -> OpenAICompatProvider:
    """The provider for a study's model with ``provider: openai``."""
    return OpenAICompatProvider(
        base_url=spec.base_url,
        api_key_env=spec.api_key_env,
        timeout_s=spec.timeout_s,
    )


class OpenAICompatProvider:
    """Chat completions from an OpenAI-compatible server."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key_env: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self._sdk = _sdk()
        self.base_url = base_url
        self._secret = api_key_from_env(
            api_key_env, default=DEFAULT_KEY_ENV, provider="openai", base_url=base_url
        )
        self._client = self._sdk.AsyncOpenAI(
            api_key=self._secret, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(base_url={self.base_url!r})"

    async def complete(self, request: CompletionRequest) -> Completion:
        return await chat_completion(self._client, self._sdk, request, secret=self._secret)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()


async def chat_completion(
    client: Any,
    sdk: ModuleType,
    request: CompletionRequest,
    *,
    secret: str,
    translate: Callable[[Exception], ProviderError | None] | None = None,
) -> Completion:
    """One chat completion through an ``openai`` SDK client (OpenAI-compatible or Azure): a
    prompt the content filter blocked is a refusal; an SDK error becomes Baton's (the
    client's own ``translate`` tried last); a key never reaches a message."""
    messages = [{"role": m.role, "content": m.content} for m in request.messages]
    try:
        reply = await client.chat.completions.create(
            model=request.model, messages=messages, **request.parameters
        )
    except Exception as error:
        if is_prompt_filtered(sdk, error):
            return blocked_completion()
        translated = sdk_error(sdk, error, secret=secret)
        if translated is None and translate is not None:
            translated = translate(error)
        if translated is None:
            raise
        raise translated from error
    return to_completion(reply)


def is_prompt_filtered(sdk: ModuleType, error: Exception) -> bool:
    """Whether ``error`` is Azure OpenAI's refusal of a prompt its content filter blocked
    (HTTP 400 with error code ``content_filter``): a refusal to record, not a failure."""
    return isinstance(error, sdk.BadRequestError) and getattr(error, "code", None) == CONTENT_FILTER


def to_completion(reply: Any) -> Completion:
    """A completion from the SDK's reply; a reply without a choice is malformed. An answer
    the content filter stopped is recorded as such (``blocked_completion``)."""
    choices = getattr(reply, "choices", None)
    if not choices:
        shown = scrub(str(reply), None)[:200]
        raise ProviderRetryableError(f"malformed reply: no choices in {shown!r}", cause="malformed")
    choice = choices[0]
    usage = getattr(reply, "usage", None)
    if choice.finish_reason == CONTENT_FILTER:
        return blocked_completion(
            choice.message.content,
            int(getattr(usage, "prompt_tokens", 0) or 0),
            int(getattr(usage, "completion_tokens", 0) or 0),
        )
    return Completion(
        text=choice.message.content or "",
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        finish_reason=choice.finish_reason,
    )
