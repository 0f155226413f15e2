"""Kill ``baton replay --batch`` and ``baton judge --batch`` with SIGKILL, run them again:
nothing lost, nothing submitted twice (the stub counts every batch it was handed).

Two moments: while polling (every batch recorded with its id), and between the API
accepting a batch and Baton storing its id (the stub holds its answer to the create until
the process is dead): the re-run finds that batch again instead of submitting it anew.
Nothing here waits on a clock: the stub's batches end on a look, and the test waits for
events it can see (batches created, looks made)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.domain import Item, Response
from baton.storage import open_store
from tests.replay.batch_server import BatchServer

KEY_ENV = "BATON_TEST_BATCH_KILL_KEY"
N_ITEMS = 20


@pytest.fixture
def stub() -> Iterator[BatchServer]:
    server = BatchServer(polls_to_finish=10**9)  # nothing ends until the test says so
    server.start()
    yield server
    server.stop()


def write_study(
    tmp_path: Path, study_data: dict[str, Any], server: BatchServer, provider: str
) -> Path:
    data = dict(study_data)
    url = server.base_url if provider == "openai" else server.anthropic_url
    for spec in (data["incumbent"], data["candidates"][0]):
        spec.update(provider=provider, base_url=url, api_key_env=KEY_ENV)
    data["judge_model"] = {
        "name": "judge",
        "provider": provider,
        "model": "m-judge",
        "base_url": url,
        "api_key_env": KEY_ENV,
    }
    data["dimensions"][0]["judge"] = {"name": "correctness"}
    data["store"] = f"sqlite:///{tmp_path / 'baton.db'}"
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def baton(verb: str, study: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from baton.cli.main import run; run()"]
    command += [verb, str(study), "--batch", "--poll-interval", "0.01", "--batch-size", "10"]
    env = {**os.environ, KEY_ENV: "sk-kill-test"}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, process.communicate()[0].decode()
        assert time.monotonic() < deadline, "the stub never saw what it waited for"
        time.sleep(0.005)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL


def rerun(verb: str, study: Path) -> None:
    process = baton(verb, study)
    output = process.communicate(timeout=300)[0].decode()
    assert process.returncode == 0, output


def open_at(tmp_path: Path) -> Any:
    return open_store(f"sqlite:///{tmp_path / 'baton.db'}")


def add_items(tmp_path: Path) -> None:
    store = open_at(tmp_path)
    store.add_items([Item(f"item-{i:03d}", "eu", f"question {i}") for i in range(N_ITEMS)])
    store.close()


def check_replayed(tmp_path: Path, server: BatchServer) -> None:
    store = open_at(tmp_path)
    responses = store.responses()
    batches = store.batches("replay")
    store.close()
    assert len(responses) == 2 * N_ITEMS  # nothing lost
    assert all(r.error is None and r.text for r in responses)
    assert {b.state for b in batches} == {"stored"}
    assert len(server.submitted()) == N_ITEMS * 2
    assert set(server.submitted().values()) == {1}  # nothing submitted twice


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_batch_replay_killed_while_polling_resumes_the_same_batches(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer, provider: str
) -> None:
    study = write_study(tmp_path, study_data, stub, provider)
    add_items(tmp_path)
    process = baton("replay", study)
    wait_for(lambda: stub.looks > 0, process)  # every batch submitted and recorded
    kill(process)
    store = open_at(tmp_path)
    recorded = store.batches("replay", open_only=True)
    store.close()
    assert len(recorded) == 4
    assert all(b.external_id for b in recorded)
    assert len(stub.created) == 4

    stub.polls_to_finish = 1
    rerun("replay", study)
    assert len(stub.created) == 4
    check_replayed(tmp_path, stub)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_batch_replay_killed_before_it_recorded_the_id_finds_the_batch_again(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer, provider: str
) -> None:
    study = write_study(tmp_path, study_data, stub, provider)
    add_items(tmp_path)
    held = threading.Event()
    stub.hold_create = held
    process = baton("replay", study)
    wait_for(lambda: len(stub.created) == 1, process)  # accepted, its answer held back
    kill(process)
    stub.hold_create = None
    held.set()
    store = open_at(tmp_path)
    (intent,) = store.batches("replay")
    store.close()
    assert (intent.state, intent.external_id) == ("intent", None)

    stub.polls_to_finish = 1
    rerun("replay", study)
    store = open_at(tmp_path)
    first = next(b for b in store.batches("replay") if b.batch_key == intent.batch_key)
    store.close()
    assert first.external_id == stub.created[0][0]  # found, not submitted again
    assert len(stub.created) == 4
    check_replayed(tmp_path, stub)


def test_a_batch_judging_killed_while_polling_resumes_the_same_batches(
    tmp_path: Path, study_data: dict[str, Any], stub: BatchServer
) -> None:
    study = write_study(tmp_path, study_data, stub, "openai")
    add_items(tmp_path)
    store = open_at(tmp_path)
    answers = [
        Response(f"item-{i:03d}", model, f"answer {i} of {model}", request_key=None)
        for i in range(N_ITEMS)
        for model in ("old", "new")
    ]
    store.add_responses(answers)
    store.close()

    process = baton("judge", study)
    wait_for(lambda: stub.looks > 0, process)
    kill(process)
    submitted = len(stub.created)
    assert submitted == 4  # 40 judgments, 10 a batch

    stub.polls_to_finish = 1
    rerun("judge", study)
    assert len(stub.created) == submitted
    assert set(stub.submitted().values()) == {1}
    store = open_at(tmp_path)
    verdicts = store.verdicts()
    batches = store.batches("judge")
    store.close()
    judged = [v for v in verdicts if v.judge == "correctness"]
    assert len(judged) == 2 * N_ITEMS
    assert all(v.category == 1 and v.abstention is None for v in judged)
    assert {b.state for b in batches} == {"stored"}
