"""A user's own study, end to end: ``baton init``-style study file, a hand-written JSONL log,
fake candidates and a check judge. The study is edited between steps (a candidate's
``max_tokens``, then a margin): each step redoes only what the edit invalidated, asks
nothing twice, deletes nothing, and ``baton status --json`` says what is stale and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import baton
import baton.steps
from baton.cli.main import main
from baton.providers import Completion, CompletionRequest, FakeProvider, Provider
from baton.steps import study_store

N = 12
MODELS = ("old", "fast", "smart")


def write_log(folder: Path) -> Path:
    path = folder / "support-log.jsonl"
    lines = [
        {"question": f"How do I reset password number {i}?", "market": "eu" if i % 3 else "us"}
        for i in range(N)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def study_document() -> dict[str, Any]:
    model = {"provider": "fake", "parameters": {"max_tokens": 128}}
    return {
        "name": "support-bot",
        "service": {"system_prompt": "You answer support questions.", "parameters": {}},
        "incumbent": {"name": "old", "model": "m-old", **model},
        "candidates": [
            {"name": "fast", "model": "m-fast", **model},
            {"name": "smart", "model": "m-smart", **model},
        ],
        "regions": [{"name": "eu", "traffic_share": 0.7}, {"name": "us", "traffic_share": 0.3}],
        "dimensions": [
            {
                "name": "brevity",
                "judge": {"name": "length", "options": {"max_words": 40}},
                "rubric": "Is the answer short enough?",
                "margin": 0.05,
            }
        ],
        "labels": {"budget": 60},
        "ingest": {"fields": {"prompt": "question", "region": "market"}},
    }


def save(path: Path, document: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def echo(request: CompletionRequest) -> Completion:
    system = request.messages[0].content
    text = f"{request.model} says, in {len(system.split())} words of prompt: try the link"
    return Completion(text, 10, len(text.split()), finish_reason="stop")


def fakes() -> dict[str, FakeProvider]:
    return {name: FakeProvider(reply_function=echo) for name in MODELS}


def replay(study: Path) -> dict[str, int]:
    """Replay with fresh fakes; how many requests each model was sent."""
    providers = fakes()
    chosen: dict[str, Provider] = dict(providers)
    run = baton.steps.replay(study, providers=chosen)
    assert not run.failures.exceeded
    return {name: len(p.requests) for name, p in providers.items()}


def status(study: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["status", str(study), "--json"]) == 0
    state: dict[str, Any] = json.loads(capsys.readouterr().out)
    return state


def stored(study: Path) -> tuple[int, set[tuple[str, str, str | None]], int, int]:
    with study_store(study) as opened:
        store = opened.store
        responses = {(r.item_id, r.model, r.text) for r in store.responses()}
        keys = [r.request_key for r in store.responses() if r.request_key]
        return len(store.items()), responses, len(store.verdicts()), len(store.cached(keys))


def test_an_edited_study_redoes_only_what_the_edit_invalidated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = tmp_path / "study.yaml"
    document = study_document()
    save(study, document)
    report = baton.ingest(study, [str(write_log(tmp_path))])
    assert report.items_written == N

    assert replay(study) == dict.fromkeys(MODELS, N)
    first = baton.judge(study)
    assert (first.summary.pending, first.summary.written) == (3 * N, 3 * N)
    items, responses, verdicts, cached = stored(study)
    assert (items, len(responses), verdicts, cached) == (N, 3 * N, 3 * N, 3 * N)
    state = status(study, capsys)
    assert state["todo"] == []
    assert [m["answered"] for m in state["models"]] == [N, N, N]

    # Edit 1: one candidate's max_tokens. Only its responses (and their verdicts) are stale.
    document["candidates"][0]["parameters"] = {"max_tokens": 64}
    save(study, document)
    state = status(study, capsys)
    change = state["changes"]["changes"]
    assert [c["path"] for c in change] == ["candidates[fast].parameters.max_tokens"]
    assert (change[0]["before"], change[0]["after"], change[0]["scope"]) == (128, 64, "responses")
    assert state["changes"]["stale_models"] == ["fast"]
    assert {m["model"]: m["stale"] for m in state["models"]} == {"old": 0, "fast": N, "smart": 0}
    assert {
        "what": "fast: responses to what the study asked before",
        "count": N,
        "command": "baton replay",
    } in state["todo"]

    capsys.readouterr()
    assert main(["replay", str(study), "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert f"dry run: {N} calls, {N} of them re-asked for the edited study" in captured.out
    assert "candidates[fast].parameters.max_tokens: 128 -> 64 (fast's responses" in captured.err

    assert replay(study) == {"old": 0, "fast": N, "smart": 0}
    items, after, verdicts, cached = stored(study)
    assert (items, len(after)) == (N, 3 * N)
    assert {r for r in after if r[1] != "fast"} == {r for r in responses if r[1] != "fast"}
    assert verdicts == 2 * N, "the re-asked responses' verdicts went with them"
    assert cached == 3 * N
    second = baton.judge(study)
    assert (second.summary.pending, second.summary.written) == (N, N)
    assert second.changes.changes == (), "judge runs on the version replay recorded"
    assert status(study, capsys)["todo"] == []

    # Edit 2: a margin. Nothing stored is stale; only the decisions are.
    document["dimensions"][0]["margin"] = 0.02
    save(study, document)
    state = status(study, capsys)
    assert [(c["path"], c["scope"]) for c in state["changes"]["changes"]] == [
        ("dimensions[brevity].margin", "decisions")
    ]
    assert all(m["stale"] == 0 for m in state["models"])
    assert [w["command"] for w in state["todo"]] == ["baton decide"]
    assert replay(study) == dict.fromkeys(MODELS, 0)
    assert baton.judge(study).summary.pending == 0

    # Back to the first max_tokens: the cache answers, nothing is paid for again.
    document["candidates"][0]["parameters"] = {"max_tokens": 128}
    save(study, document)
    assert replay(study) == dict.fromkeys(MODELS, 0)
    assert stored(study)[1] == responses
    with study_store(study) as opened:
        assert len(opened.store.study_versions()) == 4


def test_a_new_incumbent_answer_redoes_the_verdicts_read_against_it(tmp_path: Path) -> None:
    study = tmp_path / "study.yaml"
    document = study_document()
    document["judge_model"] = {"name": "judge", "provider": "fake", "model": "judge-1"}
    document["dimensions"][0]["judge"] = {"name": "correctness"}
    save(study, document)
    baton.ingest(study, [str(write_log(tmp_path))])
    replay(study)

    def judge_model() -> FakeProvider:
        verdict = '{"verdict": "pass", "rationale": "agrees"}'
        return FakeProvider(reply_function=lambda _: Completion(verdict, 5, 5))

    first = judge_model()
    baton.judge(study, providers={"judge": first})
    assert len(first.requests) == 3 * N

    document["incumbent"]["system_prompt"] = "You answer support questions kindly."
    save(study, document)
    assert replay(study) == {"old": N, "fast": 0, "smart": 0}
    again = judge_model()
    run = baton.judge(study, providers={"judge": again})
    # The incumbent's answers were asked again: their verdicts went with them, and the
    # candidates' (judged against the incumbent's answer as the reference) are stale.
    assert (run.summary.pending, run.summary.stale) == (3 * N, 2 * N)
    assert len(again.requests) == 3 * N
    with study_store(study) as opened:
        verdicts = opened.store.verdicts()
    assert len(verdicts) == 3 * N
    assert baton.judge(study, providers={"judge": judge_model()}).summary.pending == 0
