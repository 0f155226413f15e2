"""Replay after the study was edited, after failures, and against an endpoint that is down:
only what is stale or failed is asked again, the cache answers what was asked before, and a
dead endpoint fails fast while the other models go on."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from baton.domain import Item
from baton.errors import ProviderRetryableError
from baton.providers import (
    Completion,
    CompletionRequest,
    FakeProvider,
    close_providers,
    create_providers,
)
from baton.replay import ReplayOptions, RetryPolicy, plan_replay, replay_responses
from baton.storage import Store, open_store
from baton.study import Study, parse_study
from tests.replay.test_engine import FAST, echo, fakes, make_items, make_study, replay


@pytest.fixture
def store() -> Iterator[Store]:
    opened = open_store("sqlite://")
    yield opened
    opened.close()


def with_candidate(study: Study, **fields: Any) -> Study:
    data = study.model_dump(mode="json")
    data["candidates"][0] = {**data["candidates"][0], **fields}
    return parse_study(data)


def asked(providers: dict[str, Any]) -> dict[str, int]:
    return {name: len(p.requests) for name, p in providers.items()}


def test_an_edited_candidate_is_asked_again_and_nothing_else(
    study_data: dict[str, Any], store: Store
) -> None:
    study = make_study(study_data)
    items = make_items(10, store)
    replay(study, items, fakes(study), store)
    before = {r.item_id: r for r in store.responses(model="old")}
    edited = with_candidate(study, parameters={"max_tokens": 64})
    assert plan_replay(edited, items, store).stale == 10
    providers = fakes(edited)
    summary = replay(edited, items, providers, store)
    assert asked(providers) == {"old": 0, "new": 10}
    assert (summary.pending, summary.stale, summary.called, summary.written) == (10, 10, 10, 10)
    assert {r.item_id: r for r in store.responses(model="old")} == before
    assert len(store.responses()) == 20


def test_going_back_to_the_old_version_is_answered_by_the_cache(
    study_data: dict[str, Any], store: Store
) -> None:
    study = make_study(study_data)
    items = make_items(5, store)
    replay(study, items, fakes(study), store)
    first = store.responses(model="new")
    replay(with_candidate(study, parameters={"max_tokens": 64}), items, fakes(study), store)
    providers = fakes(study)
    summary = replay(study, items, providers, store)
    assert asked(providers) == {"old": 0, "new": 0}
    assert (summary.stale, summary.cached) == (5, 5)
    assert [r.text for r in store.responses(model="new")] == [r.text for r in first]


def test_retry_failed_asks_only_what_failed(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    items = make_items(6, store)

    def flaky(request: CompletionRequest) -> Completion:
        if request.messages[-1].content in {"question 1", "question 4"}:
            raise ProviderRetryableError("refused", cause="connection")
        return echo(request)

    summary = replay(study, items, fakes(study, new=FakeProvider(reply_function=flaky)), store)
    assert summary.errors == 2
    more = make_items(8)  # two new items are not asked with failed_only
    store.add_items(more[6:])
    providers = fakes(study)
    options = ReplayOptions(retry=FAST.retry, failed_only=True)
    again = replay(study, more, providers, store, options)
    assert asked(providers) == {"old": 0, "new": 2}
    assert (again.pending, again.errors) == (2, 0)
    plain = fakes(study)
    replay(study, more, plain, store)
    assert asked(plain) == {"old": 2, "new": 2}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_dead_endpoint_is_declared_down_once_and_the_others_go_on(
    study_data: dict[str, Any], store: Store, monkeypatch: Any
) -> None:
    monkeypatch.setenv("BATON_TEST_DOWN_KEY", "sk-test")
    dead = f"http://127.0.0.1:{closed_port()}/v1"
    data = dict(study_data)
    data["candidates"] = [
        {
            "name": "new",
            "provider": "openai",
            "model": "m-new",
            "base_url": dead,
            "api_key_env": "BATON_TEST_DOWN_KEY",
        }
    ]
    study = parse_study(data)
    items: list[Item] = make_items(12, store)
    options = ReplayOptions(
        concurrency=1, retry=RetryPolicy(max_attempts=6, base_delay_s=0.0), down_after=5
    )
    lines: list[str] = []

    async def go() -> Any:
        providers = {**create_providers(study), "old": FakeProvider(reply_function=echo)}
        try:
            return await replay_responses(
                study, items, providers, store, options=options, on_down=lines.append
            )
        finally:
            await close_providers(providers)

    summary = asyncio.run(go())
    assert len(lines) == 1
    assert dead in lines[0]
    assert summary.down == tuple(lines)
    assert summary.errors_by_cause == {"down": 12}
    assert summary.attempts == 12 + 5  # the incumbent's 12, and 5 tries of the dead one
    assert Counter(r.model for r in store.responses() if r.error is None) == {"old": 12}
    assert all(r.error.startswith("down: ") for r in store.responses(model="new") if r.error)
