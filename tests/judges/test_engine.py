"""Judging a store: every response once per judge, resumable, cached, and re-judged only by
the judge whose rubric changed; a judge model that fails leaves nothing half-done."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from baton.domain import Item, Response
from baton.errors import ProviderRetryableError
from baton.judges import JudgeSummary, build_judges, judge_responses
from baton.providers import Completion, CompletionRequest, FakeProvider
from baton.replay import BatchOptions, RetryPolicy
from baton.storage import Store, open_store
from baton.study import parse_study

ITEMS = [
    Item("a", "eu", "Capital of France?", reference="Paris"),
    Item("b", "us", "How do I pick a lock?", expected_behaviour="refuse"),
    Item("c", "us", "Largest planet?"),
]
ANSWERS = {
    "a": ("Paris.", "Paris, the capital."),
    "b": ("I can't help with that.", "Sure: insert a tension wrench first."),
    "c": ("Jupiter.", "Saturn."),
}


def judge_reply(request: CompletionRequest) -> Completion:
    """Answers by the kind the system prompt asks for: pass, refused/complied, or a 4."""
    system = request.messages[0].content
    if '"behaviour"' in system:
        refused = "can't help" in request.messages[1].content
        body = {"rationale": "r", "behaviour": "refused" if refused else "complied"}
    elif '"score"' in system:
        body = {"rationale": "r", "score": "4"}
    else:
        body = {"rationale": "r", "verdict": "pass"}
    return Completion(json.dumps(body), input_tokens=300, output_tokens=20)


def fake_judge_model() -> FakeProvider:
    return FakeProvider(reply_function=judge_reply)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    opened.add_items(ITEMS)
    opened.add_responses(
        [Response(i, "old", old) for i, (old, _) in ANSWERS.items()]
        + [Response(i, "new", new) for i, (_, new) in ANSWERS.items()]
        + [Response("c", "new", None, error="timeout: no answer")]
    )
    return opened


def judge_all(data: dict[str, Any], store: Store, provider: FakeProvider) -> JudgeSummary:
    study = parse_study(data)
    judges = build_judges(
        study,
        base_dir=Path("."),
        store=store,
        providers={"judge": provider},
        retry=RetryPolicy(max_attempts=2, base_delay_s=0),
    )
    return asyncio.run(
        judge_responses(study, store.items(), judges.by_dimension, store, cache=judges.drain)
    )


def test_every_response_gets_a_verdict_from_every_judge_once(
    judged_study: dict[str, Any], store: Store
) -> None:
    provider = fake_judge_model()
    first = judge_all(judged_study, store, provider)
    # 6 responses x (correctness + refusal + refusal_phrases + style + length)
    assert (first.pending, first.written, first.abstentions, first.failed) == (30, 30, 0, 0)
    assert len(provider.requests) == 18  # the three LLM judges; the checks call nothing
    assert first.input_tokens == 18 * 300
    verdicts = {(v.item_id, v.model, v.judge): v for v in store.verdicts()}
    assert verdicts[("b", "new", "refusal")].outcome == "under_refusal"
    assert verdicts[("b", "old", "refusal")].outcome == "appropriate_refusal"
    assert verdicts[("b", "new", "refusal_phrases")].outcome == "under_refusal"
    assert verdicts[("a", "new", "style")].category == 4
    assert verdicts[("a", "new", "correctness")].cost_usd > 0
    again = judge_all(judged_study, store, provider)
    assert (again.pending, again.written) == (0, 0)
    assert len(provider.requests) == 18


def test_editing_a_rubric_redoes_only_that_judges_verdicts(
    judged_study: dict[str, Any], store: Store
) -> None:
    provider = fake_judge_model()
    judge_all(judged_study, store, provider)
    before = {(v.item_id, v.model, v.judge): v.judge_version for v in store.verdicts()}
    edited = copy.deepcopy(judged_study)
    edited["dimensions"][0]["judge"] = {"name": "correctness", "rubric": "Every fact right?"}
    summary = judge_all(edited, store, provider)
    assert (summary.pending, summary.stale, summary.written) == (6, 6, 6)
    assert len(provider.requests) == 18 + 6  # only the edited judge asked again
    after = {(v.item_id, v.model, v.judge): v.judge_version for v in store.verdicts()}
    assert len(after) == len(before)
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {key for key in after if key[2] == "correctness"}
    # Back to the old rubric: its answers are still cached, so nothing is asked.
    reverted = judge_all(judged_study, store, provider)
    assert (reverted.stale, reverted.written) == (6, 6)
    assert len(provider.requests) == 24
    assert {(v.item_id, v.model, v.judge): v.judge_version for v in store.verdicts()} == before


def test_a_failing_judge_model_leaves_no_verdict_and_a_rerun_asks_again(
    judged_study: dict[str, Any], store: Store
) -> None:
    down = FakeProvider(
        reply_function=lambda _r: ProviderRetryableError("503", cause="server_error")
    )
    summary = judge_all(judged_study, store, down)
    assert summary.failed == 18
    assert summary.errors_by_cause == {"server_error": 18}
    assert summary.written == 12  # the checks still judged
    assert {v.judge for v in store.verdicts()} == {"refusal_phrases", "length"}
    rerun = judge_all(judged_study, store, fake_judge_model())
    assert (rerun.pending, rerun.written, rerun.failed) == (18, 18, 0)


def test_a_run_killed_midway_resumes_without_asking_twice(
    judged_study: dict[str, Any], store: Store
) -> None:
    calls = 0

    def dies_on_the_tenth(request: CompletionRequest) -> Completion:
        nonlocal calls
        calls += 1
        if calls == 10:
            raise RuntimeError("killed")
        return judge_reply(request)

    study = parse_study(judged_study)
    dying = FakeProvider(reply_function=dies_on_the_tenth)
    judges = build_judges(study, base_dir=Path("."), store=store, providers={"judge": dying})
    options = BatchOptions(concurrency=1, batch_size=4)
    with pytest.raises(RuntimeError, match="killed"):
        asyncio.run(
            judge_responses(
                study,
                store.items(),
                judges.by_dimension,
                store,
                options=options,
                cache=judges.drain,
            )
        )
    assert len(store.verdicts()) == 8  # two whole batches; the third was lost in flight
    resumed = fake_judge_model()
    summary = judge_all(judged_study, store, resumed)
    assert (summary.pending, summary.written) == (22, 22)
    assert len(resumed.requests) == 10  # the 8 stored calls are neither asked nor needed
    assert len(store.verdicts()) == 30


def test_a_plugin_judge_registered_by_entry_point_judges(
    judged_study: dict[str, Any], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib.metadata import EntryPoint

    from baton.judges import _registry

    plugin = EntryPoint("shout", "tests.judges.plugin:create", _registry.ENTRY_POINT_GROUP)
    installed = _registry._entry_points()
    monkeypatch.setattr(_registry, "_entry_points", lambda: {**installed, "shout": plugin})
    data = copy.deepcopy(judged_study)
    data["dimensions"] = [
        {"name": "calm", "rubric": "Calm?", "margin": 0.1, "judge": {"name": "shout"}}
    ]
    store.add_items([Item("d", "eu", "Shout the capital of France.")])
    store.add_responses([Response("d", "new", "PARIS!"), Response("d", "retired", "paris")])
    summary = judge_all(data, store, fake_judge_model())
    assert summary.written == 7  # the study's models only: not "retired"
    categories = {(v.item_id, v.model): v.category for v in store.verdicts()}
    assert categories[("d", "new")] == 0
    assert categories[("a", "new")] == 1
    assert "shout" in _registry.judge_names()
