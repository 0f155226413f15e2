"""``baton replay --batch`` against the batch stub, both APIs through their official SDKs:
every response stored once at batch prices, each batch recorded before it is relied on,
partial failures recorded with their cause and retried, a batch that expired or failed
whole, and looks at a batch that fail, all without a clock (batches end on a look)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.cli.main import main
from baton.domain import Item
from baton.providers import Completion, CompletionRequest, FakeProvider
from baton.replay import BatchMode, build_request, cache_key
from baton.steps import BatchSettings, replay, replay_dry_run
from baton.storage import BatchRecord, open_store
from baton.study import load_study
from tests.replay.batch_server import BatchServer

KEY_ENV = "BATON_TEST_BATCH_KEY"
PRICES = {"price_per_mtok_input": 2.0, "price_per_mtok_output": 8.0}


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchServer]:
    monkeypatch.setenv(KEY_ENV, "sk-batch-test")
    server = BatchServer(polls_to_finish=2)
    server.start()
    yield server
    server.stop()


def batch_study(
    tmp_path: Path, study_data: dict[str, Any], server: BatchServer, *, providers: str = "mixed"
) -> Path:
    """The study on the stub: incumbent on OpenAI, candidate on Anthropic (``mixed``), or
    both on one API (``openai``, ``anthropic``)."""
    data = dict(study_data)
    kinds = {"mixed": ("openai", "anthropic")}.get(providers, (providers, providers))
    for spec, kind in zip((data["incumbent"], data["candidates"][0]), kinds, strict=True):
        url = server.base_url if kind == "openai" else server.anthropic_url
        spec.update(provider=kind, base_url=url, api_key_env=KEY_ENV, **PRICES)
    data["store"] = f"sqlite:///{tmp_path / 'baton.db'}"
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def add_items(tmp_path: Path, prompts: list[str]) -> list[Item]:
    items = [Item(f"item-{i:03d}", "eu", prompt) for i, prompt in enumerate(prompts)]
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    store.add_items(items)
    store.close()
    return items


def fast(**how: Any) -> BatchSettings:
    return BatchSettings(BatchMode(poll_interval_s=0.0, **how))


def stored(tmp_path: Path) -> tuple[list[Any], list[Any]]:
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    try:
        return store.responses(), store.batches("replay")
    finally:
        store.close()


def test_a_batch_replay_stores_every_answer_once_at_batch_prices(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = batch_study(tmp_path, study_data, stub)
    add_items(tmp_path, [f"question {i}" for i in range(7)])
    run = replay(study, batch=fast(max_requests=3))

    responses, batches = stored(tmp_path)
    assert len(responses) == 14
    assert all(r.error is None for r in responses)
    assert {r.text for r in responses if r.model == "old"} == {
        f"answer to: question {i}" for i in range(7)
    }
    # 10 tokens in, 5 out at half of $2 / $8 per million
    assert all(r.cost_usd == pytest.approx((10 * 1.0 + 5 * 4.0) / 1e6) for r in responses)
    assert run.summary.cost_usd == pytest.approx(14 * 30 / 1e6)
    assert len(batches) == 6  # 7 requests a model, 3 a batch
    assert {b.state for b in batches} == {"stored"}
    assert all(b.external_id and b.submitted_at and b.stored_at for b in batches)
    assert {b.provider for b in batches} == {"openai", "anthropic"}
    assert set(stub.submitted().values()) == {1}
    assert run.batches is not None
    assert run.batches.submitted == 6

    again = replay(study, batch=fast())  # nothing pending: nothing submitted
    assert again.summary.pending == 0
    assert len(stub.created) == 6


def test_the_dry_run_prices_both_ways(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = batch_study(tmp_path, study_data, stub)
    add_items(tmp_path, ["q"])
    plan = replay_dry_run(study).plan
    assert plan.cost_usd > 0
    assert plan.batch_cost_usd == pytest.approx(plan.cost_usd / 2)


@pytest.mark.parametrize("providers", ["openai", "anthropic"])
def test_a_request_failing_inside_a_batch_is_retried_in_a_follow_up_batch(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer, providers: str
) -> None:
    study = batch_study(tmp_path, study_data, stub, providers=providers)
    add_items(tmp_path, ["fine", "this one [fail]s"])
    run = replay(study, batch=fast())

    responses, _ = stored(tmp_path)
    failed = [r for r in responses if r.error is not None]
    assert len(failed) == 2  # the [fail] item, to both models
    cause = "server_error" if providers == "openai" else "batch_errored"
    assert all((r.error or "").startswith(f"{cause}: ") and r.text is None for r in failed)
    assert run.summary.errors == 2
    assert run.summary.errors_by_cause == {cause: 2}
    counts = Counter(stub.submitted().values())
    assert counts == {1: 2, 2: 2}  # the fine ones once, the failing ones in the follow-up too


def test_with_retry_none_a_failure_waits_for_the_next_run(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = batch_study(tmp_path, study_data, stub, providers="openai")
    add_items(tmp_path, ["fine", "this one [fail]s"])
    replay(study, batch=fast(retry="none"))
    assert set(stub.submitted().values()) == {1}
    responses, _ = stored(tmp_path)
    assert sum(r.error is not None for r in responses) == 2


def test_with_retry_interactive_the_failures_are_asked_interactively(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = batch_study(tmp_path, study_data, stub)
    add_items(tmp_path, ["fine", "this one [fail]s"])

    def answer(request: CompletionRequest) -> Completion:
        return Completion("asked interactively", 3, 2)

    fakes = {name: FakeProvider(reply_function=answer) for name in ("old", "new")}
    run = replay(study, batch=fast(retry="interactive"), providers=fakes)
    responses, _ = stored(tmp_path)
    assert all(r.error is None for r in responses)
    interactive = [r for r in responses if r.text == "asked interactively"]
    assert {r.item_id for r in interactive} == {"item-001"}
    assert [len(f.requests) for f in fakes.values()] == [1, 1]
    assert set(stub.submitted().values()) == {1}
    assert run.summary.errors == 0


@pytest.mark.parametrize("providers", ["openai", "anthropic"])
def test_an_expired_batch_keeps_its_answers_and_asks_the_rest_again(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer, providers: str
) -> None:
    study = batch_study(tmp_path, study_data, stub, providers=providers)
    add_items(tmp_path, [f"q{i}" for i in range(4)])
    stub.expire = 1
    replay(study, batch=fast(retry="none"))
    responses, batches = stored(tmp_path)
    expired = [r for r in responses if r.error is not None]
    assert len(expired) == 2  # the second half of the first batch
    assert all((r.error or "").startswith("batch_expired: ") for r in expired)
    assert {b.state for b in batches} == {"stored"}

    replay(study, batch=fast())  # the next run asks only the expired ones
    responses, _ = stored(tmp_path)
    assert all(r.error is None for r in responses)
    assert Counter(stub.submitted().values()) == {1: 6, 2: 2}


def test_a_batch_refused_whole_fails_each_of_its_requests(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = batch_study(tmp_path, study_data, stub, providers="openai")
    add_items(tmp_path, ["a", "b"])
    stub.fail_batches = 1
    run = replay(study, batch=fast(retry="none"))
    _, batches = stored(tmp_path)
    assert [b.state for b in batches] == ["failed", "stored"]
    assert batches[0].error is not None
    assert "invalid" in batches[0].error
    assert run.summary.errors_by_cause == {"batch_failed": 2}


def test_failed_looks_at_a_batch_are_retried_then_stop_the_run_resumably(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = batch_study(tmp_path, study_data, stub, providers="openai")
    add_items(tmp_path, ["a", "b"])
    stub.poll_errors = 3
    run = replay(study, batch=fast())
    assert run.batches is not None
    assert run.batches.poll_failures == 3
    responses, _ = stored(tmp_path)
    assert len(responses) == 4
    assert all(r.error is None for r in responses)

    other = tmp_path / "again"
    other.mkdir()
    study = batch_study(other, study_data, stub, providers="openai")
    add_items(other, ["c"])
    stub.poll_errors = 100
    with pytest.raises(Exception, match="looks in a row failed"):
        replay(study, batch=fast())
    _, batches = stored(other)
    assert [b.state for b in batches] == ["submitted"] * 2  # open: polled by the next run
    created = len(stub.created)
    stub.poll_errors = 0
    replay(study, batch=fast())
    responses, batches = stored(other)
    assert [b.state for b in batches] == ["stored"] * 2
    assert len(responses) == 2
    assert len(stub.created) == created
    assert set(stub.submitted().values()) == {1}


def test_the_cli_replays_in_batches_and_prices_both_ways(
    tmp_path: Path,
    study_data: dict[str, Any],
    stub: BatchServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = batch_study(tmp_path, study_data, stub)
    add_items(tmp_path, ["a", "b", "c"])
    assert main(["replay", str(study), "--dry-run"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "$0.0124 interactively, $0.0062 with --batch" in out
    assert out.count("0.0031") == 2  # each model's batch price, a column of its own
    assert main(["replay", str(study), "--batch", "--batch-retry", "sometimes"]) == 2
    capsys.readouterr()
    command = ["replay", str(study), "--batch", "--poll-interval", "0", "--batch-size", "2"]
    assert main(command) == 0
    captured = capsys.readouterr()
    assert "6 responses stored of 6 pending" in captured.out
    assert captured.err.count("submitted batch") == 4
    assert len(stub.created) == 4


def test_a_batch_the_provider_no_longer_has_fails_and_its_requests_go_out_again(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = batch_study(tmp_path, study_data, stub, providers="openai")
    (item,) = add_items(tmp_path, ["lost"])
    spec = load_study(study).incumbent
    key = cache_key(spec, build_request(load_study(study), spec, item))
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    store.add_batch(BatchRecord("baton-replay-gone", "replay", "openai", "old", (key,)))
    store.update_batch("baton-replay-gone", state="submitted", external_id="batch_gone")
    store.close()

    replay(study, batch=fast())
    responses, batches = stored(tmp_path)
    assert all(r.error is None for r in responses)
    assert len(responses) == 2
    gone = next(b for b in batches if b.batch_key == "baton-replay-gone")
    assert gone.state == "failed"
    assert "no longer has it" in (gone.error or "")
    assert stub.submitted()[key] == 1  # in the follow-up batch
