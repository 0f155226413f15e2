"""What ``baton check`` verifies of a model on a native cloud provider (Bedrock, Gemini,
Vertex AI, Azure OpenAI) before anything is called: that its platform fields are read by its
provider, that the provider has what it needs, and that the platform's SDK is installed."""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from baton.study import ModelSpec

__all__ = ["BUILTIN_PROVIDERS", "model_problems"]

BUILTIN_PROVIDERS = frozenset(
    {"openai", "anthropic", "fake", "azure", "bedrock", "gemini", "vertex"}
)

_READ_BY = {
    "region": ("bedrock", "vertex"),
    "aws_profile": ("bedrock",),
    "project": ("vertex",),
    "api_version": ("azure",),
    "entra_id": ("azure",),
}
_SDKS = {
    "bedrock": ("boto3", "bedrock"),
    "gemini": ("google.genai", "gemini"),
    "vertex": ("google.genai", "gemini"),
    "azure": ("openai", "azure"),
}


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def model_problems(spec: ModelSpec) -> list[tuple[str, str]]:
    """``(field, problem)`` for each thing wrong with ``spec`` for its provider (the field
    relative to the model). A provider Baton does not ship may read any field: only the
    built-in providers are checked."""
    if spec.provider not in BUILTIN_PROVIDERS:
        return []
    problems = []
    for field, readers in _READ_BY.items():
        value = getattr(spec, field)
        if value not in (None, False) and spec.provider not in readers:
            who = " and ".join(readers) + (
                " providers read" if len(readers) > 1 else " provider reads"
            )
            problems.append((field, f"only the {who} it, not {spec.provider}"))
    if spec.provider == "azure" and spec.base_url is None:
        problems.append(
            (
                "base_url",
                "provider azure needs the resource's endpoint, e.g. "
                "https://my-resource.openai.azure.com",
            )
        )
    if spec.provider == "vertex" and spec.project is not None and spec.api_key_env:
        problems.append(
            (
                "api_key_env",
                "vertex takes a project (Application Default Credentials) or an "
                "express-mode API key, not both",
            )
        )
    if spec.provider == "bedrock" and spec.api_key_env:
        problems.append(
            (
                "api_key_env",
                "bedrock reads no key variable: its credentials come from the AWS chain "
                "(aws_profile, AWS_* variables, AWS_BEARER_TOKEN_BEDROCK)",
            )
        )
    if spec.provider == "azure" and spec.entra_id and spec.api_key_env:
        problems.append(("api_key_env", "azure takes an API key or entra_id: true, not both"))
    module, extra = _SDKS.get(spec.provider, ("", ""))
    if module and not _installed(module):
        problems.append(
            (
                "provider",
                f"provider {spec.provider} needs {module}: pip install 'baton-migrate[{extra}]'",
            )
        )
    if spec.provider == "azure" and spec.entra_id and not _installed("azure.identity"):
        problems.append(("entra_id", "needs azure-identity: pip install 'baton-migrate[azure]'"))
    return problems
