"""Anthropic's Messages API through the official ``anthropic`` async SDK.

System messages become the ``system`` parameter; ``max_tokens``, which the API requires,
defaults to ``DEFAULT_MAX_TOKENS`` when the study sets none. The key comes from the
environment variable the study names (default ``ANTHROPIC_API_KEY``, for Anthropic's own API
only: a model with a ``base_url`` gets a key only from the variable it names). The SDK's own retries
are off: the replay engine retries, under the study's rate limits.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import TYPE_CHECKING, Any

from baton.errors import ProviderFatalError, ProviderRetryableError
from baton.providers._base import Completion, CompletionRequest
from baton.providers._http import api_key_from_env, scrub, sdk_error

if TYPE_CHECKING:
    from types import ModuleType

    from baton.study import ModelSpec

__all__ = ["AnthropicProvider", "create_anthropic_provider", "message_params", "to_completion"]

DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"
DEFAULT_MAX_TOKENS = 1024
INSTALL_HINT = (
    "the anthropic provider needs the anthropic SDK: pip install 'baton-migrate[anthropic]'"
)


def _sdk() -> ModuleType:
    try:
        return import_module("anthropic")
    except ImportError as error:
        raise ProviderFatalError(INSTALL_HINT, cause="not_installed") from error


def create_anthropic_provider(spec: ModelSpec) -> AnthropicProvider:
    """The provider for a study's model with ``provider: anthropic``."""
    return AnthropicProvider(
        base_url=spec.base_url,
        api_key_env=spec.api_key_env,
        timeout_s=spec.timeout_s,
    )


class AnthropicProvider:
    """Messages from Anthropic's API (or a server that speaks it)."""

    name = "anthropic"

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
            api_key_env, default=DEFAULT_KEY_ENV, provider="anthropic", base_url=base_url
        )
        self._client = self._sdk.AsyncAnthropic(
            api_key=self._secret, base_url=base_url, timeout=timeout_s, max_retries=0
        )

    def __repr__(self) -> str:
        return f"AnthropicProvider(base_url={self.base_url!r})"

    async def complete(self, request: CompletionRequest) -> Completion:
        try:
            reply = await self._client.messages.create(**message_params(request))
        except Exception as error:
            translated = sdk_error(self._sdk, error, secret=self._secret)
            if translated is None:
                raise
            raise translated from error
        return to_completion(reply)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()


def message_params(request: CompletionRequest) -> dict[str, Any]:
    """The Messages API's parameters for ``request``: system messages joined into
    ``system``, ``max_tokens`` (required) defaulting to ``DEFAULT_MAX_TOKENS``."""
    parameters = dict(request.parameters)
    max_tokens = parameters.pop("max_tokens", DEFAULT_MAX_TOKENS)
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    if system:
        parameters["system"] = system
    turns = [{"role": m.role, "content": m.content} for m in request.messages if m.role != "system"]
    return {"model": request.model, "max_tokens": max_tokens, "messages": turns, **parameters}


def to_completion(reply: Any) -> Completion:
    """A completion from the SDK's message: its text blocks joined; a forced tool call (how
    judges ask for structured output) gives the tool's input as JSON text instead."""
    content = getattr(reply, "content", None)
    usage = getattr(reply, "usage", None)
    if content is None or usage is None:
        shown = scrub(str(reply), None)[:200]
        raise ProviderRetryableError(f"malformed reply: {shown!r}", cause="malformed")
    tools = [block for block in content if getattr(block, "type", "") == "tool_use"]
    if tools:
        text = json.dumps(tools[0].input, ensure_ascii=False)
    else:
        text = "".join(block.text for block in content if getattr(block, "type", "") == "text")
    return Completion(
        text=text,
        input_tokens=int(usage.input_tokens or 0),
        output_tokens=int(usage.output_tokens or 0),
        finish_reason=getattr(reply, "stop_reason", None),
    )
