"""Azure OpenAI through the official ``openai`` SDK's ``AsyncAzureOpenAI`` client.

The study names the resource's endpoint (``base_url``, e.g.
``https://my-resource.openai.azure.com``), the deployment (``model``: Azure routes by
deployment name, ``/openai/deployments/{model}/chat/completions``) and the REST API version
(``api_version``, default ``DEFAULT_API_VERSION``). Authentication is an API key from the
environment variable the study names (default ``AZURE_OPENAI_API_KEY``, sent in the
``api-key`` header), or, with ``entra_id: true``, a Microsoft Entra ID token from
``azure-identity``'s ``DefaultAzureCredential`` (environment, workload or managed identity,
Azure CLI login, ...). Requests, replies and errors are the OpenAI adapter's: the same
parameter mapping (the study's parameters are sent as they are), the same causes; a prompt
or an answer Azure's content filter blocks is recorded as a completion whose
``finish_reason`` is ``content_filter``. The SDK's own retries are off.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from baton.errors import ProviderFatalError
from baton.providers._base import Completion, CompletionRequest
from baton.providers._http import PLACEHOLDER_KEY, api_key_from_env, scrub
from baton.providers._openai import chat_completion

if TYPE_CHECKING:
    from types import ModuleType

    from baton.study import ModelSpec

__all__ = ["DEFAULT_API_VERSION", "AzureOpenAIProvider", "create_azure_provider"]

DEFAULT_KEY_ENV = "AZURE_OPENAI_API_KEY"
DEFAULT_API_VERSION = "2024-10-21"
"""The latest generally available data-plane API version when this was written."""
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"
INSTALL_HINT = "the azure provider needs the openai SDK: pip install 'baton-migrate[azure]'"
ENTRA_HINT = "entra_id: true needs azure-identity: pip install 'baton-migrate[azure]'"


def _import(name: str, hint: str) -> ModuleType:
    try:
        return import_module(name)
    except ImportError as error:
        raise ProviderFatalError(hint, cause="not_installed") from error


def create_azure_provider(spec: ModelSpec) -> AzureOpenAIProvider:
    """The provider for a study's model with ``provider: azure``."""
    if spec.base_url is None:
        raise ProviderFatalError(
            f"model {spec.name!r}: provider azure needs base_url, the resource's endpoint "
            "(https://<resource>.openai.azure.com)",
            cause="bad_request",
        )
    return AzureOpenAIProvider(
        endpoint=spec.base_url,
        api_version=spec.api_version or DEFAULT_API_VERSION,
        api_key_env=spec.api_key_env,
        entra_id=spec.entra_id,
        timeout_s=spec.timeout_s,
    )


class AzureOpenAIProvider:
    """Chat completions from an Azure OpenAI deployment."""

    name = "azure"

    def __init__(
        self,
        *,
        endpoint: str,
        api_version: str = DEFAULT_API_VERSION,
        api_key_env: str | None = None,
        entra_id: bool = False,
        timeout_s: float = 60.0,
    ) -> None:
        self._sdk = _import("openai", INSTALL_HINT)
        self.endpoint = endpoint
        self.api_version = api_version
        self._credential: Any = None
        self._secret = ""
        auth: dict[str, Any]
        if entra_id:
            identity = _import("azure.identity.aio", ENTRA_HINT)
            self._credential = identity.DefaultAzureCredential()
            provider = identity.get_bearer_token_provider(self._credential, ENTRA_SCOPE)
            auth = {"azure_ad_token_provider": provider}
        else:
            name = api_key_env or DEFAULT_KEY_ENV
            key = api_key_from_env(name, default=name, provider="azure", base_url=endpoint)
            if key == PLACEHOLDER_KEY:
                raise ProviderFatalError(
                    f"the azure provider reads its API key from the environment: set {name} "
                    "(or use entra_id: true)",
                    cause="auth",
                )
            self._secret = key
            auth = {"api_key": key}
        self._client = self._sdk.AsyncAzureOpenAI(
            azure_endpoint=endpoint,
            api_version=api_version,
            timeout=timeout_s,
            max_retries=0,
            **auth,
        )

    def __repr__(self) -> str:
        return f"AzureOpenAIProvider(endpoint={self.endpoint!r}, api_version={self.api_version!r})"

    async def complete(self, request: CompletionRequest) -> Completion:
        return await chat_completion(
            self._client,
            self._sdk,
            request,
            secret=self._secret,
            translate=lambda error: _identity_error(error, self._secret),
        )

    async def aclose(self) -> None:
        """Close the HTTP connections (and the Entra ID credential)."""
        await self._client.close()
        if self._credential is not None:
            await self._credential.close()


def _identity_error(error: Exception, secret: str) -> ProviderFatalError | None:
    """``azure-identity`` found no credential, or was refused one: an ``auth`` failure."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & {"ClientAuthenticationError", "CredentialUnavailableError"}:
        message = scrub(str(error) or type(error).__name__, secret)
        return ProviderFatalError(f"Entra ID: {message}", cause="auth")
    return None
