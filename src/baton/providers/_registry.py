"""Providers by name, through the ``baton.providers`` entry-point group.

The built-ins (``openai``, ``anthropic``, ``fake``) register there too, in Baton's own
``pyproject.toml``; a package adds a provider the same way::

    [project.entry-points."baton.providers"]
    mycloud = "mypackage.baton_provider:create"

where ``create(spec: ModelSpec) -> Provider`` builds the provider for one model of a study.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Protocol

from baton.errors import ProviderFatalError
from baton.providers._base import Provider

if TYPE_CHECKING:
    from baton.study import ModelSpec, Study

__all__ = [
    "ENTRY_POINT_GROUP",
    "ProviderFactory",
    "close_providers",
    "create_provider",
    "create_providers",
    "provider_names",
]

ENTRY_POINT_GROUP = "baton.providers"


class ProviderFactory(Protocol):
    """What an entry point in ``baton.providers`` loads: one model's spec -> its provider."""

    def __call__(self, spec: ModelSpec) -> Provider: ...


def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def provider_names() -> list[str]:
    """The names of every installed provider."""
    return sorted(_entry_points())


def create_provider(spec: ModelSpec) -> Provider:
    """The provider for ``spec``, built by the factory registered under ``spec.provider``."""
    points = _entry_points()
    point = points.get(spec.provider)
    if point is None:
        known = ", ".join(sorted(points)) or "none (is Baton installed?)"
        raise ProviderFatalError(
            f"model {spec.name!r}: no provider named {spec.provider!r} is installed; "
            f"installed: {known}",
            cause="unknown_provider",
        )
    factory: ProviderFactory = point.load()
    return factory(spec)


def create_providers(study: Study) -> dict[str, Provider]:
    """A provider for every model of ``study``, by model name."""
    return {spec.name: create_provider(spec) for spec in study.models}


async def close_providers(providers: Mapping[str, Provider]) -> None:
    """Close the providers that hold connections (those with an ``aclose`` method)."""
    for provider in providers.values():
        close = getattr(provider, "aclose", None)
        if close is not None:
            await close()
