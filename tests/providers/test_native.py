"""The native providers (Bedrock, Gemini, Vertex AI, Azure OpenAI) through their official
SDKs against the stub of their wire protocols: the mapping of requests and replies, the
causes each platform's errors are recorded under, content-filter refusals, credentials."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from baton.domain import Message
from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers import CONTENT_FILTER, FILTERED_TEXT, Completion, CompletionRequest
from baton.providers._azure import AzureOpenAIProvider, create_azure_provider
from baton.providers._bedrock import BedrockProvider, converse_request
from baton.providers._google import GoogleGenAIProvider, generate_config
from baton.study import ModelSpec
from tests.providers.native_stub import SIGV4, NativeStub

ACCESS_KEY = "AKIASTUBSTUBSTUB0001"
AWS_SECRET = "aws-secret-0123456789-SECRET-abcdefghij"
GEMINI_KEY = "gemini-key-0123456789-SECRET-abcdef"
AZURE_KEY = "azure-key-0123456789-SECRET-abcdef"
PROFILE_ARN = "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-v1:0"


@pytest.fixture(scope="module")
def stub() -> Iterator[NativeStub]:
    server = NativeStub()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, stub: NativeStub) -> None:
    stub.plan.clear()
    stub.seen.clear()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", AZURE_KEY)


def request(prompt: str, model: str = "stub-model", **parameters: Any) -> CompletionRequest:
    messages = (Message("system", "Be brief."), Message("user", prompt))
    return CompletionRequest(model, messages, {"max_tokens": 20, **parameters})


def bedrock(stub: NativeStub) -> BedrockProvider:
    return BedrockProvider(region="eu-west-1", endpoint_url=stub.base_url, timeout_s=5)


def gemini(stub: NativeStub) -> GoogleGenAIProvider:
    return GoogleGenAIProvider(vertex=False, base_url=stub.base_url, timeout_s=5)


def azure(stub: NativeStub) -> AzureOpenAIProvider:
    return AzureOpenAIProvider(endpoint=stub.base_url, api_version="2024-10-21", timeout_s=5)


PROVIDERS = {"bedrock": bedrock, "gemini": gemini, "azure": azure}


async def ask(provider: Any, prompt: str, model: str = "stub-model", **parameters: Any) -> Any:
    try:
        return await asyncio.wait_for(provider.complete(request(prompt, model, **parameters)), 10)
    finally:
        await provider.aclose()


# --- requests and replies -----------------------------------------------------------------


async def test_bedrock_converse_is_sigv4_signed_and_mapped(stub: NativeStub) -> None:
    completion = await ask(
        bedrock(stub), "hello there", PROFILE_ARN, temperature=0.3, top_p=0.9, stop="END", top_k=5
    )
    assert completion == Completion("answer to: hello there", 7, 4, None, "end_turn")
    (seen,) = stub.seen
    assert seen.platform == "bedrock"
    assert seen.model == PROFILE_ARN  # an inference profile's ARN, escaped in the path
    signed = SIGV4.match(seen.headers["authorization"])
    assert signed is not None
    assert (signed["key"], signed["region"], signed["service"]) == (
        ACCESS_KEY,
        "eu-west-1",
        "bedrock",
    )
    assert AWS_SECRET not in str(seen.headers)
    assert seen.body == {
        "messages": [{"role": "user", "content": [{"text": "hello there"}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {
            "maxTokens": 20,
            "temperature": 0.3,
            "topP": 0.9,
            "stopSequences": ["END"],
        },
        "additionalModelRequestFields": {"top_k": 5},
    }


def test_converse_request_merges_turns_and_maps_a_forced_tool() -> None:
    messages = (
        Message("system", "A"),
        Message("system", "B"),
        Message("user", "one"),
        Message("user", "two"),
        Message("assistant", "three"),
        Message("user", "four"),
    )
    tool = {"name": "verdict", "description": "Record it.", "input_schema": {"type": "object"}}
    parameters = {
        "max_completion_tokens": 9,
        "stop": ["x", "y"],
        "tools": [tool],
        "tool_choice": {"type": "tool", "name": "verdict"},
        "serviceTier": {"type": "flex"},
    }
    kwargs = converse_request(CompletionRequest("m", messages, parameters))
    assert kwargs["system"] == [{"text": "A"}, {"text": "B"}]
    assert kwargs["messages"] == [
        {"role": "user", "content": [{"text": "one"}, {"text": "two"}]},
        {"role": "assistant", "content": [{"text": "three"}]},
        {"role": "user", "content": [{"text": "four"}]},
    ]
    assert kwargs["inferenceConfig"] == {"maxTokens": 9, "stopSequences": ["x", "y"]}
    assert kwargs["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "verdict",
                    "description": "Record it.",
                    "inputSchema": {"json": {"type": "object"}},
                }
            }
        ],
        "toolChoice": {"tool": {"name": "verdict"}},
    }
    assert kwargs["serviceTier"] == {"type": "flex"}
    assert "additionalModelRequestFields" not in kwargs


async def test_gemini_sends_the_key_and_maps_the_config(stub: NativeStub) -> None:
    completion = await ask(
        gemini(stub), "hello there", "gemini-2.5-flash", temperature=0.2, stop="END", seed=7
    )
    # the thought is left out of the text, its tokens counted as output
    assert completion == Completion("answer to: hello there", 7, 4 + 2, None, "stop")
    (seen,) = stub.seen
    assert (seen.platform, seen.model, seen.credential) == (
        "gemini",
        "gemini-2.5-flash",
        GEMINI_KEY,
    )
    assert seen.body["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert seen.body["contents"] == [{"role": "user", "parts": [{"text": "hello there"}]}]
    assert seen.body["generationConfig"] == {
        "maxOutputTokens": 20,
        "temperature": 0.2,
        "stopSequences": ["END"],
        "seed": 7,
    }


def test_generate_config_asks_for_json_by_schema() -> None:
    schema = {"type": "object", "properties": {"verdict": {"type": "string"}}}
    response_format = {"type": "json_schema", "json_schema": {"name": "v", "schema": schema}}
    messages = (Message("user", "q"), Message("assistant", "a"), Message("user", "q2"))
    config = generate_config(CompletionRequest("m", messages, {"response_format": response_format}))
    assert config == {"response_mime_type": "application/json", "response_json_schema": schema}


async def test_gemini_refuses_an_unknown_parameter_as_a_bad_request(stub: NativeStub) -> None:
    with pytest.raises(ProviderFatalError) as caught:
        await ask(gemini(stub), "hello", "gemini-2.5-flash", no_such_parameter=1)
    assert caught.value.cause == "bad_request"
    assert stub.seen == []


async def test_vertex_with_application_default_credentials(
    stub: NativeStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import google.auth
    from google.oauth2.credentials import Credentials

    def adc(**_: Any) -> tuple[Credentials, str]:
        return Credentials(token="ya29.stub-access-token"), "adc-project"  # type: ignore[no-untyped-call]

    monkeypatch.setattr(google.auth, "default", adc)
    provider = GoogleGenAIProvider(
        vertex=True, project="my-project", location="europe-west4", base_url=stub.base_url
    )
    completion = await ask(provider, "hello", "gemini-2.5-pro")
    assert completion.text == "answer to: hello"
    (seen,) = stub.seen
    assert seen.platform == "vertex"
    assert seen.credential == "Bearer ya29.stub-access-token"
    assert "/projects/my-project/locations/europe-west4/publishers/google/models/" in seen.path


async def test_vertex_express_mode_sends_an_api_key(
    stub: NativeStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERTEX_KEY", "vertex-express-key-0123456789")
    provider = GoogleGenAIProvider(vertex=True, api_key_env="VERTEX_KEY", base_url=stub.base_url)
    assert (await ask(provider, "hello", "gemini-2.5-pro")).text == "answer to: hello"
    (seen,) = stub.seen
    assert seen.credential == "vertex-express-key-0123456789"
    assert "/publishers/google/models/gemini-2.5-pro:generateContent" in seen.path


async def test_azure_routes_by_deployment_with_the_api_key(stub: NativeStub) -> None:
    completion = await ask(azure(stub), "hello there", "gpt4o-prod", temperature=0.1)
    assert completion == Completion("answer to: hello there", 7, 4, None, "stop")
    (seen,) = stub.seen
    assert seen.path == "/openai/deployments/gpt4o-prod/chat/completions"
    assert seen.query == {"api-version": ["2024-10-21"]}
    assert seen.credential == AZURE_KEY
    assert seen.body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert (seen.body["max_tokens"], seen.body["temperature"]) == (20, 0.1)


async def test_azure_with_an_entra_id_token(
    stub: NativeStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import azure.identity.aio as identity
    from azure.core.credentials import AccessToken

    scopes: list[str] = []

    class StubCredential:
        async def get_token(self, *wanted: str, **_: Any) -> AccessToken:
            scopes.extend(wanted)
            return AccessToken("entra-stub-token", 4_102_444_800)

        async def close(self) -> None:
            pass

    monkeypatch.setattr(identity, "DefaultAzureCredential", StubCredential)
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")
    provider = AzureOpenAIProvider(endpoint=stub.base_url, entra_id=True)
    assert (await ask(provider, "hello", "gpt4o-prod")).text == "answer to: hello"
    (seen,) = stub.seen
    assert seen.credential == "Bearer entra-stub-token"
    assert scopes == ["https://cognitiveservices.azure.com/.default"]


# --- errors and refusals ------------------------------------------------------------------

FAULTS = [
    ("throttle", ProviderRetryableError, "rate_limited"),
    ("500", ProviderRetryableError, "server_error"),
    ("503", ProviderRetryableError, "server_error"),
    ("not-found", ProviderFatalError, "not_found"),
    ("retired", ProviderFatalError, "retired"),
    ("auth", ProviderFatalError, "auth"),
    ("bad-request", ProviderFatalError, "bad_request"),
]


@pytest.mark.parametrize("platform", sorted(PROVIDERS))
@pytest.mark.parametrize(("fault", "kind", "cause"), FAULTS)
async def test_platform_errors_are_recorded_under_baton_causes(
    stub: NativeStub, platform: str, fault: str, kind: type[ProviderError], cause: str
) -> None:
    stub.plan["q"] = [fault]
    with pytest.raises(ProviderError) as caught:
        await ask(PROVIDERS[platform](stub), "q", "gemini-2.5-flash")
    assert (type(caught.value), caught.value.cause) == (kind, cause), caught.value
    for secret in (AWS_SECRET, GEMINI_KEY, AZURE_KEY):  # the stub echoes the key it got
        assert secret not in str(caught.value)


@pytest.mark.parametrize("platform", sorted(PROVIDERS))
async def test_throttling_carries_the_wait_the_platform_asks(
    stub: NativeStub, platform: str
) -> None:
    stub.plan["q"] = ["throttle"]
    with pytest.raises(ProviderRetryableError) as caught:
        await ask(PROVIDERS[platform](stub), "q", "gemini-2.5-flash")
    expected = {"bedrock": None, "gemini": 1.0, "azure": 1.0}[platform]
    assert caught.value.retry_after_s == expected


async def test_bedrock_quota_is_retried_under_its_own_cause(stub: NativeStub) -> None:
    stub.plan["q"] = ["quota"]
    with pytest.raises(ProviderRetryableError) as caught:
        await ask(bedrock(stub), "q")
    assert caught.value.cause == "quota"


@pytest.mark.parametrize("platform", sorted(PROVIDERS))
@pytest.mark.parametrize("fault", ["filter", "filter-prompt"])
async def test_a_content_filter_refusal_is_a_completion_saying_so(
    stub: NativeStub, platform: str, fault: str
) -> None:
    stub.plan["q"] = [fault]
    completion = await ask(PROVIDERS[platform](stub), "q", "gemini-2.5-flash")
    assert completion.finish_reason == CONTENT_FILTER
    guardrail = platform == "bedrock" and fault == "filter-prompt"
    expected = "Sorry, the model cannot answer this question." if guardrail else FILTERED_TEXT
    assert completion.text == expected


# --- credentials and settings -------------------------------------------------------------


def test_bedrock_without_credentials_fails_as_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ProviderFatalError, match="no AWS credentials") as caught:
        BedrockProvider(region="eu-west-1")
    assert caught.value.cause == "auth"


def test_bedrock_without_a_region_says_where_to_set_one() -> None:
    with pytest.raises(ProviderFatalError, match="needs a region") as caught:
        BedrockProvider()
    assert caught.value.cause == "bad_request"


def test_bedrock_reads_a_named_profile(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[profile team]\nregion = ap-northeast-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        "[team]\naws_access_key_id = AKIATEAMTEAMTEAM\naws_secret_access_key = team-secret\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    assert BedrockProvider(profile="team").region == "ap-northeast-1"
    with pytest.raises(ProviderFatalError) as caught:
        BedrockProvider(profile="nobody")
    assert caught.value.cause == "auth"


def test_gemini_and_azure_without_their_key_fail_as_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")
    with pytest.raises(ProviderFatalError, match="set GEMINI_API_KEY"):
        GoogleGenAIProvider(vertex=False)
    with pytest.raises(ProviderFatalError, match="set AZURE_OPENAI_API_KEY"):
        AzureOpenAIProvider(endpoint="https://res.openai.azure.com")


def test_azure_needs_its_endpoint() -> None:
    spec = ModelSpec(name="m", provider="azure", model="gpt4o-prod")
    with pytest.raises(ProviderFatalError, match="needs base_url"):
        create_azure_provider(spec)


def test_bedrock_takes_an_api_key_instead_of_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Bedrock API key is sent as a bearer token (over HTTPS only: no stub call here)."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-0123456789-SECRET")
    assert BedrockProvider(region="us-east-1").region == "us-east-1"


@pytest.mark.parametrize(
    ("module", "build", "extra"),
    [
        ("baton.providers._bedrock", lambda: BedrockProvider(region="eu-west-1"), "bedrock"),
        ("baton.providers._google", lambda: GoogleGenAIProvider(vertex=False), "gemini"),
        (
            "baton.providers._azure",
            lambda: AzureOpenAIProvider(endpoint="https://res.openai.azure.com"),
            "azure",
        ),
    ],
)
def test_a_missing_sdk_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, build: Any, extra: str
) -> None:
    import importlib

    def missing(name: str) -> Any:
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(importlib.import_module(module), "import_module", missing)
    with pytest.raises(
        ProviderFatalError, match=rf"pip install 'baton-migrate\[{extra}\]'"
    ) as caught:
        build()
    assert caught.value.cause == "not_installed"


def test_bedrock_credentials_that_cannot_be_resolved_fail_as_auth(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile broken]\nregion = eu-west-1\ncredential_process = /bin/false\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(ProviderFatalError, match="AWS credentials") as caught:
        BedrockProvider(profile="broken")
    assert caught.value.cause == "auth"
