"""Nothing stored holds an API key, even from a server that echoes the key it was sent into
a completion or an error body; completions are capped and an empty one is a failure."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from baton.domain import Message
from baton.providers import REDACTED, CompletionRequest, FakeProvider, key_redactor
from baton.replay import ReplayOptions, RetryPolicy, is_truncated
from baton.storage import open_store
from baton.study import parse_study
from tests.replay.fault_server import FaultServer
from tests.replay.test_replay_http import http_study, items_for, run

KEY_ENV = "BATON_TEST_SECRETS_KEY"
SECRET = "sk-proj-Zq8XkT3vLm9NwR2pYc7HbJ4sDf6GaE1uKo5"
OPTIONS = ReplayOptions(concurrency=4, retry=RetryPolicy(max_attempts=2, base_delay_s=0.01))


def leaks(dumped: str) -> list[str]:
    """The pieces of the key found in ``dumped``: whole, its first 16 or its last 8."""
    pieces = {"key": SECRET, "head": SECRET[:16], "tail": SECRET[-8:]}
    return [name for name, piece in pieces.items() if piece in dumped]


def dump_database(path: Path) -> str:
    """Every value of every table of a SQLite store, as one text."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        tables = [row[0] for row in names]
        rows = [
            repr(tuple(row))
            for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        ]
    engine.dispose()
    return "\n".join(rows)


def test_a_server_echoing_the_key_leaves_no_trace_of_it_in_the_store(
    study_data: dict[str, Any],
    fault_server: FaultServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    study = http_study(study_data, fault_server.base_url, api_key_env=KEY_ENV)
    study = study.model_copy(update={"candidates": []})
    plan = {"q-echo": ["echo-key"], "q-401": ["401"], "q-500": ["echo-key-500", "echo-key-500"]}
    fault_server.plan = {prompt: list(faults) for prompt, faults in plan.items()}
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    summary = run(study, items_for([*plan, "q-fine"]), store, OPTIONS)
    responses = {r.item_id: r for r in store.responses()}
    store.close()

    assert all(SECRET in seen.authorization for seen in fault_server.seen)  # it was sent
    echoed = responses["item-000"].text or ""
    assert echoed.count(REDACTED) == 3
    assert "sent" in echoed
    assert (responses["item-001"].error or "").startswith("auth: HTTP 401")
    assert REDACTED in (responses["item-002"].error or "")
    assert leaks(dump_database(tmp_path / "baton.db")) == []
    assert leaks(json.dumps(summary.__dict__)) == []


def test_an_empty_completion_is_a_failure_retried_by_the_next_run(
    study_data: dict[str, Any], fault_server: FaultServer, tmp_path: Path
) -> None:
    study = http_study(study_data, fault_server.base_url)
    study = study.model_copy(update={"candidates": []})
    fault_server.plan = {"q-empty": ["empty"]}
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    first = run(study, items_for(["q-empty"]), store, OPTIONS)
    (failed,) = store.responses()
    second = run(study, items_for(["q-empty"]), store, OPTIONS)
    (answered,) = store.responses()
    store.close()

    assert (first.errors, first.errors_by_cause) == (1, {"empty": 1})
    assert failed.text is None
    assert (failed.error or "").startswith("empty: ")
    assert (second.pending, second.errors) == (1, 0)
    assert (answered.text, answered.error) == ("answer to: q-empty", None)


def test_a_huge_completion_is_stored_cut_and_marked(
    study_data: dict[str, Any], fault_server: FaultServer, tmp_path: Path
) -> None:
    limit = 1_000
    study = http_study(study_data, fault_server.base_url, parameters={"max_stored_chars": limit})
    study = study.model_copy(update={"candidates": []})
    fault_server.plan = {"q-huge": ["huge:250000"], "q-small": ["huge:1000"]}
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    run(study, items_for(["q-huge", "q-small"]), store, OPTIONS)
    huge, small = store.responses()
    store.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    with engine.connect() as connection:
        cached = connection.execute(text("SELECT length(text) FROM replay_cache")).scalars()
        cached_lengths = sorted(cached)
    engine.dispose()

    assert huge.text is not None
    assert huge.text.startswith("x" * limit)
    assert len(huge.text) < limit + 100
    assert is_truncated(huge.text)
    assert "1,000 of 250,000 characters kept" in huge.text
    assert small.text == "x" * limit
    assert not is_truncated(small.text)
    assert cached_lengths == [limit, len(huge.text)]  # the cache keeps what is stored
    assert all("max_stored_chars" not in seen.body for seen in fault_server.seen)  # not sent


def test_the_default_cap_is_100000_characters(study_data: dict[str, Any]) -> None:
    from baton.replay import DEFAULT_MAX_STORED_CHARS, max_stored_chars

    study = parse_study(study_data)
    assert max_stored_chars(study.incumbent) == DEFAULT_MAX_STORED_CHARS == 100_000
    service = {"max_stored_chars": 5_000}
    assert max_stored_chars(study.incumbent, service) == 5_000


def test_the_judge_client_stores_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from baton.judges._client import JudgeClient
    from baton.study import ModelSpec

    monkeypatch.setenv(KEY_ENV, SECRET)
    spec = ModelSpec(name="judge", provider="fake", model="j", api_key_env=KEY_ENV)
    provider = FakeProvider([f'{{"verdict": "pass", "why": "sent {SECRET}"}}'])
    client = JudgeClient(spec, provider, None)
    request = CompletionRequest("j", (Message("user", "judge this"),))
    reply = asyncio.run(client.ask(request))
    (entry,) = client.drain()
    assert leaks(reply.completion.text + entry.text) == []
    assert REDACTED in entry.text


def test_the_redactor_knows_the_default_variables_and_the_named_ones(
    study_data: dict[str, Any],
) -> None:
    study = parse_study(
        {**study_data, "incumbent": {**study_data["incumbent"], "api_key_env": "MINE"}}
    )
    environ = {
        "OPENAI_API_KEY": "sk-openai-0123456789abcdef",
        "MINE": SECRET,
        "OTHER": "zzz-other-key-0000000000",
    }
    redact = key_redactor(study.models, environ=environ)
    said = redact(f"a {environ['OPENAI_API_KEY']} b {SECRET} c {environ['OTHER']}")
    assert said == f"a {REDACTED} b {REDACTED} c {environ['OTHER']}"


def test_a_judge_model_echoing_the_key_over_http_leaves_no_trace(
    fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baton.errors import ProviderError
    from baton.judges._client import JudgeClient
    from baton.providers import create_provider
    from baton.study import ModelSpec

    monkeypatch.setenv(KEY_ENV, SECRET)
    spec = ModelSpec(
        name="judge",
        provider="openai",
        model="j",
        base_url=fault_server.base_url,
        api_key_env=KEY_ENV,
        timeout_s=2,
    )
    fault_server.plan = {"echo": ["echo-key"], "fail": ["echo-key-500", "echo-key-500"]}
    client = JudgeClient(spec, create_provider(spec), None, retry=OPTIONS.retry)

    async def go() -> tuple[str, str]:
        reply = await client.ask(CompletionRequest("j", (Message("user", "echo"),)))
        try:
            await client.ask(CompletionRequest("j", (Message("user", "fail"),)))
        except ProviderError as error:
            return reply.completion.text, str(error)
        raise AssertionError("the failing call did not fail")

    text, error = asyncio.run(go())
    (entry,) = client.drain()
    assert all(SECRET in seen.authorization for seen in fault_server.seen)
    assert REDACTED in text
    assert REDACTED in error
    assert leaks(text + error + entry.text) == []
