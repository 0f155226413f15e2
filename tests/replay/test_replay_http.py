"""Replay over HTTP through the real SDK adapters against the fault-injecting server: every
item ends answered or failed with its cause, retries keep to ``retry-after`` and the rate
limits, the summary matches the store, and the API key is never written anywhere."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from baton.domain import Item
from baton.providers import close_providers, create_providers
from baton.replay import ReplayOptions, ReplaySummary, RetryPolicy, replay_responses
from baton.storage import Store, open_store
from baton.study import Study, parse_study
from tests.replay.fault_server import FaultServer

KEY_ENV = "BATON_TEST_REPLAY_KEY"
SECRET = "sk-live-DO-NOT-LEAK-4f9a2c7e1b"
OPTIONS = ReplayOptions(concurrency=8, retry=RetryPolicy(max_attempts=4, base_delay_s=0.02))

PLAN = {
    "q-rate-limited": ["429:0.3", "ok"],
    "q-server-errors": ["500", "503", "ok"],
    "q-hangs": ["hang", "ok"],
    "q-broken-bodies": ["truncated", "malformed", "not-json", "ok"],
    "q-slow-body": ["slow", "ok"],
    "q-dropped": ["drop", "no-choices", "ok"],
    "q-bad-key": ["401"],
    "q-bad-request": ["400"],
    "q-always-down": ["500", "500", "500", "500"],
}
FAILED = {
    "q-bad-key": "auth: HTTP 401",
    "q-bad-request": "bad_request: HTTP 400",
    "q-always-down": "server_error: HTTP 500",
}


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    yield opened
    opened.close()


def http_study(study_data: dict[str, Any], base_url: str, **model: Any) -> Study:
    data = dict(study_data)
    data["service"] = {**data["service"], "parameters": {"max_tokens": 16}}
    fields = {"provider": "openai", "base_url": base_url, "api_key_env": KEY_ENV, **model}
    data["incumbent"] = {**data["incumbent"], "timeout_s": 0.5, **fields}
    data["candidates"] = [{**data["candidates"][0], "timeout_s": 0.5, **fields}]
    return parse_study(data)


def items_for(prompts: list[str]) -> list[Item]:
    return [Item(f"item-{i:03d}", "eu", prompt) for i, prompt in enumerate(prompts)]


def run(study: Study, items: list[Item], store: Store, options: ReplayOptions) -> ReplaySummary:
    async def go() -> ReplaySummary:
        providers = create_providers(study)
        try:
            return await replay_responses(study, items, providers, store, options=options)
        finally:
            await close_providers(providers)

    return asyncio.run(go())


def test_every_item_ends_answered_or_failed_with_its_cause(
    study_data: dict[str, Any], fault_server: FaultServer, store: Store
) -> None:
    study = http_study(study_data, fault_server.base_url)
    study = study.model_copy(update={"candidates": []})  # one model: the plan is per prompt
    fault_server.plan = {prompt: list(faults) for prompt, faults in PLAN.items()}
    prompts = [*PLAN, *(f"q-fine-{i}" for i in range(20))]
    summary = run(study, items_for(prompts), store, OPTIONS)

    by_prompt = {item.prompt: item.item_id for item in items_for(prompts)}
    responses = {r.item_id: r for r in store.responses()}
    assert len(responses) == len(prompts)
    for prompt, item_id in by_prompt.items():
        response = responses[item_id]
        if prompt in FAILED:
            assert response.text is None
            assert response.error is not None
            assert response.error.startswith(FAILED[prompt]), response.error
        else:
            assert (response.text, response.error) == (f"answer to: {prompt}", None), prompt
            assert response.finish_reason == "stop"
    assert str(responses[by_prompt["q-always-down"]].error).endswith("(gave up after 4 attempts)")
    assert summary.errors == 3
    assert summary.errors_by_cause == {"auth": 1, "bad_request": 1, "server_error": 1}
    assert summary.attempts == len(fault_server.seen)
    assert summary.written == len(prompts)
    assert summary.called == len(prompts) - 3
    assert all(not faults for faults in fault_server.plan.values())  # every fault was served


def test_retries_wait_as_long_as_retry_after_says(
    study_data: dict[str, Any], fault_server: FaultServer, store: Store
) -> None:
    study = http_study(study_data, fault_server.base_url)
    study = study.model_copy(update={"candidates": []})
    fault_server.plan = {"q-0": ["429:0.4", "429:0.2", "ok"]}
    prompts = ["q-0", *(f"q-{i}" for i in range(1, 10))]
    run(study, items_for(prompts), store, replace(OPTIONS, concurrency=2))
    times = [seen.at for seen in fault_server.seen if seen.prompt == "q-0"]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.4
    assert times[2] - times[1] >= 0.2
    # a retry-after pauses the endpoint: no other call went out while it ran (q-1 was
    # already on its way when the 429 came back)
    others = [s.at - times[0] for s in fault_server.seen if s.prompt not in {"q-0", "q-1"}]
    assert min(others) >= 0.4


def test_calls_and_retries_keep_to_the_rate_limit(
    study_data: dict[str, Any], fault_server: FaultServer, store: Store
) -> None:
    study = http_study(study_data, fault_server.base_url, model="one-endpoint", rpm=600)
    prompts = [f"q-{i}" for i in range(10)]
    fault_server.plan = {prompt: ["500"] for prompt in prompts[:5]}
    run(study, items_for(prompts), store, OPTIONS)
    times = sorted(seen.at for seen in fault_server.seen)
    assert len(times) == 2 * 10 + 5
    # ten a second, at most ten at once (0.2 s of slack for the way from limiter to server)
    for k, at in enumerate(times):
        assert at - times[0] >= (k - 10 + 1) / 10 - 0.2, k
    assert times[-1] - times[0] >= 1.5 - 0.2


def test_a_rerun_is_answered_from_the_cache(
    study_data: dict[str, Any], fault_server: FaultServer, store: Store
) -> None:
    study = http_study(study_data, fault_server.base_url)
    items = items_for([f"q-{i}" for i in range(10)])
    first = run(study, items, store, OPTIONS)
    assert (first.called, len(fault_server.seen)) == (20, 20)
    renamed = study.model_copy(
        update={"candidates": [study.candidates[0].model_copy(update={"name": "renamed"})]}
    )
    second = run(renamed, items, store, OPTIONS)
    assert (second.pending, second.cached, second.called) == (10, 10, 0)
    assert len(fault_server.seen) == 20


def test_the_api_key_is_never_logged_stored_or_reported(
    study_data: dict[str, Any],
    fault_server: FaultServer,
    store: Store,
    *,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    study = http_study(study_data, fault_server.base_url)
    fault_server.plan = {"q-0": ["401", "401"], "q-1": ["500", "ok"]}  # 401 echoes the key
    summary = run(study, items_for(["q-0", "q-1", "q-2"]), store, OPTIONS)
    assert summary.errors == 2
    assert all(SECRET in seen.authorization for seen in fault_server.seen)  # it was sent
    store.finish_run(store.start_run("replay", "fp"), "done", vars(summary))
    written = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    captured = capsys.readouterr()
    for place, content in [
        ("store", written.decode("utf-8", "replace")),
        ("responses", repr(store.responses())),
        ("summary", repr(summary)),
        ("logs", caplog.text),
        ("output", captured.out + captured.err),
    ]:
        assert SECRET not in content, place
        assert SECRET[-8:] not in content, place
    assert "auth: HTTP 401" in (store.responses()[0].error or "")
