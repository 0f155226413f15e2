"""Failures are loud and recoverable: a step over its failure threshold says why, a judge
model that is down fails fast, Ctrl-C says how far a step got and how to resume, an ingest
after the mapping changed says what happens to the items stored, and ``baton status``
names what to redo."""

from __future__ import annotations

import copy
import signal
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

import baton.steps
from baton.cli.main import main
from baton.domain import Item
from baton.errors import ProviderFatalError, StepInterruptedError
from baton.providers import Completion, CompletionRequest, FakeProvider, Provider
from baton.storage import default_store_url, open_store


def write_study(folder: Path, study_data: dict[str, Any], **extra: Any) -> Path:
    data = {**copy.deepcopy(study_data), **extra}
    data["dimensions"] = [
        {
            "name": "correctness",
            "judge": {"name": "length", "options": {"max_words": 5}},
            "rubric": "Is it correct?",
            "margin": 0.05,
        }
    ]
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def add_items(path: Path, n: int) -> None:
    store = open_store(default_store_url(path))
    store.add_items([Item(f"q{i:02d}", "eu", f"question {i}") for i in range(n)])
    store.close()


def echo(request: CompletionRequest) -> Completion:
    return Completion(f"{request.model} answers", 3, 2, finish_reason="stop")


def interrupting(after: int) -> FakeProvider:
    """A provider that answers ``after`` requests, then is interrupted as by Ctrl-C."""
    calls = [0]

    def reply(request: CompletionRequest) -> Completion:
        calls[0] += 1
        if calls[0] > after:
            signal.raise_signal(signal.SIGINT)
        return echo(request)

    return FakeProvider(reply_function=reply)


def test_an_interrupted_replay_says_how_far_it_got_and_resumes(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    path = write_study(tmp_path, study_data)
    add_items(path, 20)
    providers: dict[str, Provider] = {
        "old": FakeProvider(reply_function=echo),
        "new": interrupting(after=5),
    }
    options = baton.replay.ReplayOptions(concurrency=1)
    with pytest.raises(StepInterruptedError) as caught:
        baton.steps.replay(path, providers=providers, options=options)
    error = caught.value
    assert error.pending == 40
    assert 0 < error.done < 40
    assert f"run baton replay {path} to resume" in str(error)
    store = open_store(default_store_url(path))
    stored = len(store.responses())
    assert stored == error.done
    assert store.runs()[-1].status == "failed"
    store.close()
    fresh = {"old": FakeProvider(reply_function=echo), "new": FakeProvider(reply_function=echo)}
    run = baton.steps.replay(path, providers=dict(fresh))
    assert run.summary.pending == 40 - stored
    assert sum(len(p.requests) for p in fresh.values()) == 40 - stored


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_judge_model_that_is_down_fails_fast_and_loudly(
    tmp_path: Path,
    study_data: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BATON_TEST_JUDGE_KEY", "sk-test")
    judge_model = {
        "name": "judge",
        "provider": "openai",
        "model": "judge-1",
        "base_url": f"http://127.0.0.1:{closed_port()}/v1",
        "api_key_env": "BATON_TEST_JUDGE_KEY",
    }
    path = write_study(tmp_path, study_data, judge_model=judge_model)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["dimensions"][0]["judge"] = {"name": "correctness"}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    add_items(path, 10)
    assert main(["replay", str(path)]) == 0
    capsys.readouterr()
    assert main(["judge", str(path)]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert "judge: 20 of 20 failed or abstained (100.0%" in err
    assert "20 not judged: down, e.g. judge model 'judge': down: openai at http" in err
    assert "(model judge) is down: 5 connection failures in a row" in err
    store = open_store(default_store_url(path))
    assert store.verdicts() == []
    store.close()


def test_replay_failures_within_the_threshold_exit_0(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    path = write_study(tmp_path, study_data)
    add_items(path, 10)

    def one_fails(request: CompletionRequest) -> Completion:
        if request.messages[-1].content == "question 3":
            raise ProviderFatalError("no such model", cause="rejected")
        return echo(request)

    providers: dict[str, Provider] = {
        "old": FakeProvider(reply_function=echo),
        "new": FakeProvider(reply_function=one_fails),
    }
    run = baton.steps.replay(path, providers=providers, max_failures=0.1)
    assert (run.failures.failed, run.failures.total, run.failures.exceeded) == (1, 20, False)
    reason = run.failures.reasons[0]
    assert (reason.reason, reason.count) == ("rejected", 1)
    assert reason.example == "rejected: no such model"
    strict = baton.steps.replay(path, providers=dict(providers), max_failures=0.0)
    assert strict.failures.exceeded


def test_an_ingest_after_the_mapping_changed_says_what_happens_to_the_items(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(
        "".join(f'{{"q": "question {i}", "p": "other {i}", "region": "eu"}}\n' for i in range(6)),
        encoding="utf-8",
    )
    path = write_study(tmp_path, study_data, ingest={"fields": {"prompt": "q"}})
    said: list[str] = []
    baton.steps.ingest(path, [str(log)], on_change=said.append)
    assert not any("changed" in line for line in said)
    path = write_study(tmp_path, study_data, ingest={"fields": {"prompt": "p"}})
    said.clear()
    report = baton.steps.ingest(path, [str(log)], on_change=said.append)
    assert report.items_written == 6
    text = " ".join(said)
    assert 'ingest.fields.prompt: "q" -> "p"' in text
    assert "adds a new sample beside the 6 items stored, which stay" in text
    path = write_study(tmp_path, study_data, ingest={"fields": {"prompt": "q"}})
    capsys.readouterr()
    assert main(["ingest", str(path), str(log)]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert 'ingest.fields.prompt: "p" -> "q" (the sample of items, and so everything' in err
    assert "adds a new sample beside the 12 items stored" in err


def test_status_names_what_to_redo_and_the_command(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_study(tmp_path, study_data)
    assert main(["status", str(path)]) == 0
    assert "to do: no items yet: a sample of the logs -> baton ingest" in capsys.readouterr().out
    add_items(path, 4)
    assert main(["status", str(path)]) == 0
    out = capsys.readouterr().out
    assert "4 items (eu 4)" in out
    assert "to do: 4 old: items not asked yet -> baton replay" in out
    assert main(["replay", str(path)]) == 0
    assert main(["judge", str(path)]) == 0
    capsys.readouterr()
    assert main(["status", str(path)]) == 0
    out = capsys.readouterr().out
    assert "nothing stale: every step is up to date" in out
    assert "correctness/eu 0" in out


def test_an_interrupted_judge_says_how_far_it_got_and_resumes(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    judge_model = {"name": "judge", "provider": "fake", "model": "judge-1"}
    path = write_study(tmp_path, study_data, judge_model=judge_model)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["dimensions"][0]["judge"] = {"name": "correctness"}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    add_items(path, 10)
    baton.steps.replay(path)
    verdict = '{"verdict": "pass", "rationale": "fine"}'
    calls = [0]

    def reply(request: CompletionRequest) -> Completion:
        calls[0] += 1
        if calls[0] > 4:
            signal.raise_signal(signal.SIGINT)
        return Completion(verdict, 5, 5, finish_reason="stop")

    options = baton.replay.BatchOptions(concurrency=1, batch_size=2)
    with pytest.raises(StepInterruptedError) as caught:
        baton.steps.judge(
            path, providers={"judge": FakeProvider(reply_function=reply)}, options=options
        )
    error = caught.value
    assert error.pending == 20
    assert f"run baton judge {path} to resume" in str(error)
    store = open_store(default_store_url(path))
    assert len(store.verdicts()) == error.done
    store.close()
    answer = FakeProvider(reply_function=lambda _: Completion(verdict, 5, 5))
    run = baton.steps.judge(path, providers={"judge": answer})
    assert run.summary.pending == 20 - error.done
