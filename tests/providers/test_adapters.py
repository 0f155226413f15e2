"""The OpenAI-compatible and Anthropic adapters over HTTP, against the fault server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from baton.domain import Message
from baton.errors import ProviderError, ProviderFatalError, ProviderRetryableError
from baton.providers import Completion, CompletionRequest, Provider
from baton.providers._anthropic import AnthropicProvider
from baton.providers._http import PLACEHOLDER_KEY, parse_retry_after, scrub
from baton.providers._openai import OpenAICompatProvider
from tests.replay.fault_server import FaultServer

KEY_ENV = "BATON_TEST_ADAPTER_KEY"
SECRET = "sk-test-0123456789-SECRET-abcdef"


def request(prompt: str, **parameters: object) -> CompletionRequest:
    messages = (Message("system", "Be brief."), Message("user", prompt))
    return CompletionRequest("stub-model", messages, {"max_tokens": 20, **parameters})


def openai_provider(server: FaultServer, timeout_s: float = 1.0) -> OpenAICompatProvider:
    return OpenAICompatProvider(base_url=server.base_url, api_key_env=KEY_ENV, timeout_s=timeout_s)


def anthropic_provider(server: FaultServer, timeout_s: float = 1.0) -> AnthropicProvider:
    base = server.base_url.removesuffix("/v1")
    return AnthropicProvider(base_url=base, api_key_env=KEY_ENV, timeout_s=timeout_s)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)


async def ask(provider: Provider, prompt: str, **parameters: object) -> Completion:
    try:
        return await asyncio.wait_for(provider.complete(request(prompt, **parameters)), 5)
    finally:
        await provider.aclose()  # type: ignore[attr-defined]


async def test_openai_completion(fault_server: FaultServer) -> None:
    completion = await ask(openai_provider(fault_server), "hello there")
    assert completion == Completion("answer to: hello there", 7, 4, None, "stop")
    (seen,) = fault_server.seen
    assert (seen.path, seen.model, seen.authorization) == (
        "/v1/chat/completions",
        "stub-model",
        f"Bearer {SECRET}",
    )


async def test_anthropic_completion_sends_the_system_prompt_apart(
    fault_server: FaultServer,
) -> None:
    completion = await ask(anthropic_provider(fault_server), "hello there")
    assert completion == Completion("answer to: hello there", 7, 4, None, "end_turn")
    (seen,) = fault_server.seen
    assert seen.path == "/v1/messages"
    assert SECRET in seen.authorization
    assert seen.body["system"] == "Be brief."
    assert seen.body["messages"] == [{"role": "user", "content": "hello there"}]
    assert seen.body["max_tokens"] == 20


FAULTS = [
    ("429:0.3", ProviderRetryableError, "rate_limited"),
    ("500", ProviderRetryableError, "server_error"),
    ("503", ProviderRetryableError, "server_error"),
    ("400", ProviderFatalError, "bad_request"),
    ("401", ProviderFatalError, "auth"),
    ("hang", ProviderRetryableError, "timeout"),
    ("truncated", ProviderRetryableError, "connection"),
    ("malformed", ProviderRetryableError, "malformed"),
    ("not-json", ProviderRetryableError, "malformed"),
    ("no-choices", ProviderRetryableError, "malformed"),
    ("drop", ProviderRetryableError, "connection"),
]


@pytest.mark.parametrize("make", [openai_provider, anthropic_provider], ids=["openai", "anthropic"])
@pytest.mark.parametrize(("fault", "kind", "cause"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_faults_become_provider_errors_with_their_cause(
    fault_server: FaultServer, make, fault: str, kind: type[ProviderError], cause: str
) -> None:
    fault_server.plan["p"] = [fault]
    with pytest.raises(kind) as caught:
        await ask(make(fault_server), "p")
    assert caught.value.cause == cause
    assert SECRET not in str(caught.value)
    assert SECRET[-8:] not in str(caught.value)
    if fault.startswith("429"):
        assert isinstance(caught.value, ProviderRetryableError)
        assert caught.value.retry_after_s == pytest.approx(0.3)


async def test_a_parameter_the_sdk_refuses_is_a_bad_request(fault_server: FaultServer) -> None:
    with pytest.raises(ProviderFatalError) as caught:
        await ask(openai_provider(fault_server), "p", no_such_parameter=1)
    assert caught.value.cause == "bad_request"
    assert fault_server.seen == []


async def test_a_slow_body_is_cut_by_the_callers_deadline(fault_server: FaultServer) -> None:
    """The SDK's timeout is per read; a body that trickles in never trips it, so the replay
    engine holds each call to a deadline of its own (tested in tests/replay)."""
    fault_server.plan["p"] = ["slow"]
    provider = openai_provider(fault_server, timeout_s=5.0)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(provider.complete(request("p")), 0.5)
    await provider.aclose()


def test_a_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ProviderFatalError, match=f"set {KEY_ENV}"):
        OpenAICompatProvider(api_key_env=KEY_ENV)
    with pytest.raises(ProviderFatalError, match=f"set {KEY_ENV}"):
        AnthropicProvider(api_key_env=KEY_ENV)


async def test_a_local_server_needs_no_key(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV)
    await ask(openai_provider(fault_server), "p")
    assert fault_server.seen[0].authorization == f"Bearer {PLACEHOLDER_KEY}"


def test_reprs_show_no_key(fault_server: FaultServer) -> None:
    for provider in (openai_provider(fault_server), anthropic_provider(fault_server)):
        assert SECRET not in repr(provider)
        assert SECRET not in str(vars(provider).keys())


def test_retry_after_forms() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.5"}) == 0.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert 25 < (parse_retry_after({"retry-after": later}) or 0) <= 30
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "-3"}) is None
    assert parse_retry_after({}) is None


def test_scrub_masks_keys_and_keeps_one_line() -> None:
    message = f"bad key {SECRET}\n(ends in {SECRET[-8:]})" + "x" * 1000
    cleaned = scrub(message, SECRET)
    assert SECRET not in cleaned
    assert SECRET[-8:] not in cleaned
    assert "\n" not in cleaned
    assert len(cleaned) <= 500
    assert scrub("the key was unused", PLACEHOLDER_KEY) == "the key was unused"


def test_an_anthropic_tool_call_answers_with_its_input_as_json() -> None:
    from types import SimpleNamespace

    from baton.providers._anthropic import to_completion

    reply = SimpleNamespace(
        content=[
            SimpleNamespace(type="text", text="Let me record that."),
            SimpleNamespace(type="tool_use", input={"rationale": "ok", "verdict": "pass"}),
        ],
        usage=SimpleNamespace(input_tokens=12, output_tokens=5),
        stop_reason="tool_use",
    )
    completion = to_completion(reply)
    assert completion.text == '{"rationale": "ok", "verdict": "pass"}'
    assert (completion.input_tokens, completion.output_tokens) == (12, 5)


async def test_a_custom_base_url_never_gets_the_default_key(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A study that points a model at its own server without naming ``api_key_env`` must
    not hand that server the OpenAI (or Anthropic) key of whoever runs it."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    await ask(OpenAICompatProvider(base_url=fault_server.base_url, timeout_s=1.0), "p")
    await ask(OpenAICompatProvider(base_url=fault_server.base_url, timeout_s=1.0), "q")
    base = fault_server.base_url.removesuffix("/v1")
    await ask(AnthropicProvider(base_url=base, timeout_s=1.0), "r")
    sent = [seen.authorization for seen in fault_server.seen]
    assert len(sent) == 3
    assert all(PLACEHOLDER_KEY in header and SECRET not in header for header in sent)
    said = capsys.readouterr().err.splitlines()
    assert len([line for line in said if "no API key is sent" in line]) == 2  # once a server
    assert not [line for line in said if "plain HTTP" in line]  # 127.0.0.1 is this machine


def test_the_providers_own_api_still_gets_the_default_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    provider = OpenAICompatProvider()
    assert provider._secret == SECRET


def test_plain_http_to_another_host_is_warned_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for _ in range(2):
        OpenAICompatProvider(base_url="http://10.20.30.40:8000/v1", api_key_env=KEY_ENV)
    OpenAICompatProvider(base_url="https://10.20.30.40:8000/v1", api_key_env=KEY_ENV)
    OpenAICompatProvider(base_url="http://[::1]:8000/v1", api_key_env=KEY_ENV)
    warned = [line for line in capsys.readouterr().err.splitlines() if "plain HTTP" in line]
    assert warned == [
        "warning: http://10.20.30.40:8000/v1 is plain HTTP to another host: "
        "the API key and every prompt travel unencrypted"
    ]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.9.9.9", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1.example.com", False),
        ("localhost.example.com", False),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("0.0.0.0", False),
        ("example.com", False),
    ],
)
def test_loopback_is_decided_by_address(host: str, loopback: bool) -> None:
    from baton.providers._http import is_loopback

    assert is_loopback(host) is loopback
