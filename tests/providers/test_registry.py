"""Providers by name through the ``baton.providers`` entry points, built-ins included."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from baton.domain import Message
from baton.errors import ProviderFatalError
from baton.providers import (
    ENTRY_POINT_GROUP,
    CompletionRequest,
    FakeProvider,
    create_provider,
    create_providers,
    provider_names,
)
from baton.providers._anthropic import AnthropicProvider
from baton.providers._openai import OpenAICompatProvider
from baton.study import ModelSpec, parse_study


def spec(provider: str, **fields: object) -> ModelSpec:
    return ModelSpec.model_validate({"name": "m", "provider": provider, "model": "x", **fields})


def test_the_built_ins_are_registered_as_entry_points() -> None:
    assert {"openai", "anthropic", "fake", "azure", "bedrock", "gemini", "vertex"} <= set(
        provider_names()
    )


def test_built_ins_are_built_from_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-1")
    openai = create_provider(spec("openai", base_url="http://127.0.0.1:9/v1", timeout_s=3))
    assert isinstance(openai, OpenAICompatProvider)
    assert openai.base_url == "http://127.0.0.1:9/v1"
    assert isinstance(create_provider(spec("anthropic", api_key_env="MY_KEY")), AnthropicProvider)
    assert isinstance(create_provider(spec("fake")), FakeProvider)


async def test_the_fake_provider_echoes() -> None:
    provider = create_provider(spec("fake"))
    completion = await provider.complete(
        CompletionRequest("x", (Message("system", "s"), Message("user", "hi there")))
    )
    assert completion.text == "x answers: hi there"
    assert (completion.input_tokens, completion.finish_reason) == (3, "stop")


def test_an_unknown_provider_lists_the_installed_ones() -> None:
    with pytest.raises(
        ProviderFatalError,
        match=r"no provider named 'nope'.*anthropic, azure, bedrock, fake, gemini, openai, vertex",
    ):
        create_provider(spec("nope"))


def test_a_third_party_provider_registers_like_the_built_ins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A distribution on the path with an entry point in the group is found and used."""
    (tmp_path / "baton_plugin_demo.py").write_text(
        "from baton.providers import FakeProvider\n"
        "def create(spec):\n"
        "    provider = FakeProvider(['from the plugin'])\n"
        "    provider.name = 'plugin:' + spec.model\n"
        "    return provider\n",
        encoding="utf-8",
    )
    info = tmp_path / "baton_plugin_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: baton-plugin-demo\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nmycloud = baton_plugin_demo:create\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "mycloud" in provider_names()
    provider = create_provider(spec("mycloud"))
    assert provider.name == "plugin:x"
    monkeypatch.delitem(sys.modules, "baton_plugin_demo", raising=False)


def test_a_missing_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # makes `import openai` fail
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(ProviderFatalError, match=r"pip install 'baton-migrate\[openai\]'"):
        create_provider(spec("openai", base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(ProviderFatalError, match=r"pip install 'baton-migrate\[anthropic\]'"):
        create_provider(spec("anthropic", base_url="http://127.0.0.1:9"))


def test_importing_baton_imports_no_sdk() -> None:
    import subprocess

    script = (
        "import sys, baton, baton.providers, baton.replay, baton.cli.main\n"
        "loaded = {'openai', 'anthropic'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_create_providers_builds_one_per_model(study_data: dict[str, object]) -> None:
    providers = create_providers(parse_study(study_data))
    assert sorted(providers) == ["new", "old"]
    assert all(isinstance(p, FakeProvider) for p in providers.values())
