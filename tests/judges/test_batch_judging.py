"""``baton judge --batch`` against the batch stub: verdicts made from the batch answers at
batch prices without an interactive call; an unparseable batch answer is asked again
interactively, with the reason, and stays an abstention if it is still unparseable, never a
score; a judgment a batch could not answer is asked interactively."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.domain import Item, Response
from baton.providers import Completion, CompletionRequest, FakeProvider
from baton.replay import BatchMode
from baton.steps import BatchSettings, judge, judge_dry_run
from baton.storage import open_store
from tests.replay.batch_server import BatchServer

KEY_ENV = "BATON_TEST_BATCH_JUDGE_KEY"


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchServer]:
    monkeypatch.setenv(KEY_ENV, "sk-judge-test")
    server = BatchServer(polls_to_finish=2)
    server.start()
    yield server
    server.stop()


def judged_study(
    tmp_path: Path, study_data: dict[str, Any], server: BatchServer, provider: str = "openai"
) -> Path:
    data = dict(study_data)
    data["judge_model"] = {
        "name": "judge",
        "provider": provider,
        "model": "m-judge",
        "base_url": server.base_url if provider == "openai" else server.anthropic_url,
        "api_key_env": KEY_ENV,
        "price_per_mtok_input": 2.0,
        "price_per_mtok_output": 8.0,
    }
    data["dimensions"][0]["judge"] = {"name": "correctness"}
    data["store"] = f"sqlite:///{tmp_path / 'baton.db'}"
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def add_answers(tmp_path: Path, answers: list[str]) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    store.add_items([Item(f"item-{i}", "eu", f"question {i}") for i in range(len(answers))])
    store.add_responses(
        [
            Response(f"item-{i}", model, f"{text} ({model})")
            for i, text in enumerate(answers)
            for model in ("old", "new")
        ]
    )
    store.close()


def verdicts(tmp_path: Path) -> dict[tuple[str, str], Any]:
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    try:
        return {(v.item_id, v.model): v for v in store.verdicts() if v.judge == "correctness"}
    finally:
        store.close()


def settings() -> BatchSettings:
    return BatchSettings(BatchMode(poll_interval_s=0.0))


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_batch_verdicts_come_from_the_batch_at_batch_prices(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer, provider: str
) -> None:
    study = judged_study(tmp_path, study_data, stub, provider)
    add_answers(tmp_path, ["Paris", "Rome", "Oslo"])
    interactive = FakeProvider()  # any interactive call would fail: none is made
    run = judge(study, batch=settings(), providers={"judge": interactive})
    found = verdicts(tmp_path)
    assert len(found) == 6
    assert all(v.category == 1 for v in found.values())
    assert not interactive.requests
    # 10 tokens in, 5 out at half of $2 / $8 per million
    assert all(v.cost_usd == pytest.approx(30 / 1e6) for v in found.values())
    assert run.batches is not None
    assert run.batches.requests == 6
    assert set(stub.submitted().values()) == {1}

    dry = judge_dry_run(study)
    assert dry.calls == 0


def test_an_unparseable_batch_answer_is_asked_again_then_abstained_never_scored(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = judged_study(tmp_path, study_data, stub)
    add_answers(tmp_path, ["Paris", "[garbage] Rome"])
    again = FakeProvider(reply_function=lambda r: Completion("still not JSON", 3, 3))
    judge(study, batch=settings(), providers={"judge": again})
    found = verdicts(tmp_path)
    garbled = [v for (item, _), v in found.items() if item == "item-1"]
    assert len(garbled) == 2
    assert all(v.category is None and "unparseable" in (v.abstention or "") for v in garbled)
    assert len(again.requests) == 2  # the second question, with the reason, once each
    assert all("could not be read" in r.messages[-1].content for r in again.requests)
    assert all(v.category == 1 for (item, _), v in found.items() if item == "item-0")


def test_a_judgment_the_batch_could_not_answer_is_asked_interactively(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = judged_study(tmp_path, study_data, stub)
    add_answers(tmp_path, ["Paris", "[fail] Rome"])

    def verdict(request: CompletionRequest) -> Completion:
        return Completion(json.dumps({"rationale": "asked", "verdict": "fail"}), 3, 3)

    asked = FakeProvider(reply_function=verdict)
    judge(study, batch=settings(), providers={"judge": asked})
    found = verdicts(tmp_path)
    assert [found[("item-1", m)].category for m in ("old", "new")] == [0, 0]
    assert len(asked.requests) == 2
    assert max(stub.submitted().values()) == 2  # in a follow-up batch first


def test_the_judge_dry_run_prices_both_ways(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = judged_study(tmp_path, study_data, stub)
    add_answers(tmp_path, ["Paris"])
    plan = judge_dry_run(study)
    assert plan.calls == 2
    assert plan.batch_cost_usd == pytest.approx(plan.cost_usd / 2)
    assert plan.cost_usd > 0
