"""The replay engine over fake providers: every pair answered once, failures recorded with
their cause, retries, timeouts, the cache, limits, and what the summary says."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import text

from baton.domain import Item
from baton.errors import ProviderFatalError, ProviderRetryableError
from baton.providers import Completion, CompletionRequest, FakeProvider, Provider
from baton.replay import (
    ReplayOptions,
    ReplaySummary,
    RetryPolicy,
    build_request,
    cache_key,
    plan_replay,
    replay_responses,
)
from baton.storage import Store, open_store
from baton.storage._sql import SqlStore
from baton.study import Study, parse_study

FAST = ReplayOptions(retry=RetryPolicy(base_delay_s=0.0, max_attempts=3), seed=0)


@pytest.fixture
def store() -> Any:
    opened = open_store("sqlite://")
    yield opened
    opened.close()


def make_study(study_data: dict[str, Any], **model: Any) -> Study:
    data = dict(study_data)
    data["incumbent"] = {**data["incumbent"], "price_per_mtok_input": 1e6, **model}
    data["candidates"] = [{**c, "price_per_mtok_output": 1e6, **model} for c in data["candidates"]]
    return parse_study(data)


def make_items(n: int, store: Store | None = None) -> list[Item]:
    items = [Item(f"item-{i:03d}", "eu", f"question {i}") for i in range(n)]
    if store is not None:
        store.add_items(items)
    return items


def echo(request: CompletionRequest) -> Completion:
    prompt = request.messages[-1].content
    return Completion(f"{request.model}: {prompt}", 2, 3, finish_reason="stop")


def fakes(study: Study, **by_model: FakeProvider) -> dict[str, Provider]:
    return {m.name: by_model.get(m.name) or FakeProvider(reply_function=echo) for m in study.models}


def replay(
    study: Study,
    items: list[Item],
    providers: dict[str, Provider],
    store: Store,
    options: ReplayOptions = FAST,
) -> ReplaySummary:
    return asyncio.run(replay_responses(study, items, providers, store, options=options))


def assert_summary_matches_store(summary: ReplaySummary, store: Store) -> None:
    responses = store.responses()
    failed = [r for r in responses if r.error is not None]
    assert summary.errors == len(failed)
    causes = Counter(str(r.error).split(":")[0] for r in failed)
    assert summary.errors_by_cause == dict(causes)
    assert summary.written == len(responses)
    assert summary.input_tokens == sum(r.input_tokens for r in responses)
    assert summary.cost_usd == pytest.approx(sum(r.cost_usd for r in responses))


def test_every_pair_is_answered_once(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    items = make_items(50)
    summary = replay(study, items, fakes(study), store)
    responses = store.responses()
    assert len(responses) == 100
    assert Counter((r.item_id, r.model) for r in responses).most_common(1)[0][1] == 1
    old = store.responses(model="old")[0]
    assert (old.text, old.input_tokens, old.output_tokens) == ("m-old: question 0", 2, 3)
    assert old.finish_reason == "stop"
    assert old.cost_usd == pytest.approx(2.0)  # 2 input tokens at $1 each
    assert old.latency_s > 0
    assert (summary.pending, summary.written, summary.called, summary.cached) == (100, 100, 100, 0)
    assert (summary.attempts, summary.errors, summary.errors_by_cause) == (100, 0, {})
    assert summary.spent_usd == pytest.approx(50 * 2 + 50 * 3)
    assert_summary_matches_store(summary, store)


def test_a_rerun_asks_nothing(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    items = make_items(20)
    replay(study, items, fakes(study), store)
    providers = fakes(study)
    again = replay(study, items, providers, store)
    assert (again.pending, again.written, again.attempts) == (0, 0, 0)
    assert all(p.requests == [] for p in providers.values() if isinstance(p, FakeProvider))


def test_an_item_given_twice_is_replayed_once(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    items = make_items(3)
    summary = replay(study, items + items[:2], fakes(study), store)
    assert summary.pending == summary.written == 6


def test_the_cache_answers_a_request_seen_before(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    items = make_items(10)
    replay(study, items, fakes(study), store)
    renamed = study.model_copy(
        update={"incumbent": study.incumbent.model_copy(update={"name": "old-again"})}
    )
    providers = fakes(renamed)
    summary = replay(renamed, items, providers, store)
    assert (summary.pending, summary.written, summary.cached, summary.called) == (10, 10, 10, 0)
    assert (summary.attempts, summary.spent_usd) == (0, 0.0)
    assert providers["old-again"].requests == []  # type: ignore[attr-defined]
    first, again = store.responses(model="old")[0], store.responses(model="old-again")[0]
    assert (again.text, again.latency_s, again.cost_usd) == (first.text, first.latency_s, 2.0)


def test_identical_requests_in_one_run_share_a_call(
    study_data: dict[str, Any], store: Store
) -> None:
    study_data["candidates"][0].update(model="m-old", system_prompt=None)  # same as incumbent
    study = make_study(study_data)
    providers = fakes(study)
    summary = replay(study, make_items(10), providers, store)
    calls = sum(len(p.requests) for p in providers.values() if isinstance(p, FakeProvider))
    assert calls == 10
    assert (summary.written, summary.called, summary.cached) == (20, 10, 10)
    old, new = store.responses(model="old"), store.responses(model="new")
    assert [r.text for r in old] == [r.text for r in new]
    assert new[0].cost_usd == pytest.approx(3.0)  # each model's own prices


def test_without_the_cache_every_pair_is_called(study_data: dict[str, Any], store: Store) -> None:
    study_data["candidates"][0].update(model="m-old", system_prompt=None)
    study = make_study(study_data)
    items = make_items(10)
    replay(study, items, fakes(study), store, ReplayOptions(cache=False))
    key = cache_key(study.incumbent, build_request(study, study.incumbent, items[0]))
    assert isinstance(store, SqlStore)
    with store.engine.connect() as connection:  # nothing was written to the cache either
        assert connection.execute(text("SELECT COUNT(*) FROM replay_cache")).scalar() == 0
    assert store.cached([key]) == {}
    renamed = study.model_copy(
        update={"incumbent": study.incumbent.model_copy(update={"name": "again"})}
    )
    providers = fakes(renamed)
    summary = replay(renamed, items, providers, store, ReplayOptions(cache=False))
    assert (summary.called, summary.cached) == (10, 0)


def test_retryable_failures_are_retried(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    flaky = FakeProvider(
        [
            ProviderRetryableError("busy", cause="server_error"),
            ProviderRetryableError("slow down", retry_after_s=0.01, cause="rate_limited"),
            Completion("finally", 1, 1),
        ]
    )
    summary = replay(study, make_items(1), fakes(study, old=flaky), store)
    assert store.responses(model="old")[0].text == "finally"
    assert (summary.attempts, summary.errors) == (4, 0)  # three for old, one for new


def test_failures_are_stored_with_their_cause_and_retried_by_a_rerun(
    study_data: dict[str, Any], store: Store
) -> None:
    study = make_study(study_data)
    items = make_items(2)
    failing = FakeProvider(
        [
            ProviderFatalError("HTTP 401: bad key", cause="auth"),
            *[ProviderRetryableError("HTTP 503: down", cause="server_error")] * 3,
        ]
    )
    summary = replay(study, items, fakes(study, old=failing), store)
    errors = {r.item_id: r.error for r in store.responses(model="old")}
    assert errors == {
        "item-000": "auth: HTTP 401: bad key",
        "item-001": "server_error: HTTP 503: down (gave up after 3 attempts)",
    }
    assert summary.errors_by_cause == {"auth": 1, "server_error": 1}
    assert summary.attempts == 1 + 3 + 2
    assert_summary_matches_store(summary, store)
    rerun = replay(study, items, fakes(study), store)
    assert (rerun.pending, rerun.written, rerun.errors) == (2, 2, 0)
    assert all(r.error is None for r in store.responses())


def test_a_long_retry_after_fails_the_call_at_once(
    study_data: dict[str, Any], store: Store
) -> None:
    study = make_study(study_data)
    limited = FakeProvider([ProviderRetryableError("quota", retry_after_s=3600)])
    summary = replay(study, make_items(1), fakes(study, old=limited), store)
    assert summary.errors_by_cause == {"unavailable": 1}
    assert len(limited.requests) == 1


def test_retry_after_pauses_the_endpoint(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    stamps: list[float] = []

    def reply(request: CompletionRequest) -> Completion | ProviderRetryableError:
        stamps.append(time.monotonic())
        if len(stamps) == 1:
            return ProviderRetryableError("429", retry_after_s=0.3, cause="rate_limited")
        return echo(request)

    sequential = ReplayOptions(concurrency=1, retry=RetryPolicy(base_delay_s=0.0))
    provider = FakeProvider(reply_function=reply)
    replay(study, make_items(3), fakes(study, old=provider), store, sequential)
    assert len(stamps) == 4
    assert stamps[1] - stamps[0] >= 0.3


def test_a_call_past_its_timeout_is_retried_then_recorded(
    study_data: dict[str, Any], store: Store
) -> None:
    study = make_study(study_data, timeout_s=0.05)

    class Stuck:
        name = "stuck"
        calls = 0

        async def complete(self, request: CompletionRequest) -> Completion:
            Stuck.calls += 1
            await asyncio.sleep(10)
            raise AssertionError("unreachable")

    summary = replay(study, make_items(1), {"old": Stuck(), "new": fakes(study)["new"]}, store)
    assert store.responses(model="old")[0].error == (
        "timeout: no answer within 0.05 s (gave up after 3 attempts)"
    )
    assert (Stuck.calls, summary.errors_by_cause) == (3, {"timeout": 1})


class PowerCut(Exception):
    pass


def test_an_unexpected_exception_stops_the_run_after_storing_answers(
    study_data: dict[str, Any], store: Store
) -> None:
    study = make_study(study_data)
    count = [0]

    def reply(request: CompletionRequest) -> Completion:
        count[0] += 1
        if count[0] > 25:
            raise PowerCut
        return echo(request)

    provider = FakeProvider(reply_function=reply)
    with pytest.raises(PowerCut):
        replay(study, make_items(50), {"old": provider, "new": provider}, store)
    assert len(store.responses()) == 25


def test_the_concurrency_cap_holds(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    running, most = [0], [0]

    class Slow:
        name = "slow"

        async def complete(self, request: CompletionRequest) -> Completion:
            running[0] += 1
            most[0] = max(most[0], running[0])
            await asyncio.sleep(0.005)
            running[0] -= 1
            return echo(request)

    slow = Slow()
    replay(study, make_items(40), {"old": slow, "new": slow}, store, ReplayOptions(concurrency=5))
    assert most[0] == 5
    assert all(r.latency_s >= 0.005 for r in store.responses())


def test_models_on_one_endpoint_share_its_rate_limit(
    study_data: dict[str, Any], store: Store
) -> None:
    study_data["candidates"][0]["model"] = "m-old"  # same endpoint, own system prompt
    study = make_study(study_data, rpm=1200)  # 20 a second, at most 20 at once
    stamps: list[float] = []

    def reply(request: CompletionRequest) -> Completion:
        stamps.append(time.monotonic())
        return echo(request)

    provider = FakeProvider(reply_function=reply)
    replay(study, make_items(20), {"old": provider, "new": provider}, store)
    assert len(stamps) == 40
    stamps.sort()
    for k, stamp in enumerate(stamps):
        assert stamp - stamps[0] >= (k - 20 + 1) / 20 - 0.02


def test_progress_is_told_of_every_response(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)

    class Recorder:
        total = 0
        done = 0
        errors = 0

        def start(self, total: int) -> None:
            self.total = total

        def advance(self, responses: int, errors: int) -> None:
            self.done += responses
            self.errors += errors

    failing = FakeProvider([ProviderFatalError("no")], reply_function=echo)
    recorder = Recorder()
    asyncio.run(
        replay_responses(study, make_items(30), fakes(study, old=failing), store, progress=recorder)
    )
    assert (recorder.total, recorder.done, recorder.errors) == (60, 60, 1)


def test_a_model_without_a_provider_is_refused(study_data: dict[str, Any], store: Store) -> None:
    study = make_study(study_data)
    with pytest.raises(ProviderFatalError, match="no provider was given for model 'new'"):
        replay(study, make_items(1), {"old": FakeProvider()}, store)


def test_the_dry_run_counts_calls_and_cost(study_data: dict[str, Any], store: Store) -> None:
    study_data["service"]["parameters"]["max_tokens"] = 100
    study = make_study(study_data)
    items = make_items(10, store)
    replay(study, items[:4], fakes(study), store)
    renamed = study.model_copy(
        update={"incumbent": study.incumbent.model_copy(update={"name": "again"})}
    )
    plan = plan_replay(renamed, items, store)
    again, new = plan.models
    assert (again.model, again.pending, again.cached, again.calls) == ("again", 10, 4, 6)
    assert (new.pending, new.cached, new.calls) == (6, 0, 6)
    request = build_request(study, study.incumbent, items[5])
    chars = sum(len(m.content) for m in request.messages)
    assert again.input_tokens == 6 * (chars // 4 + 8)
    assert again.output_tokens == 600
    assert again.cost_usd == pytest.approx(again.input_tokens)  # $1 per input token
    assert new.cost_usd == pytest.approx(600)  # $1 per output token, at most 100 each
    assert plan.calls == 12
    assert plan_replay(renamed, items, store, cache=False).models[0].calls == 10
