"""Kill ``baton replay`` with SIGKILL mid-run, run it again: every response is stored exactly
once, and no call whose answer had been stored is made again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from baton.domain import Item
from baton.storage import open_store
from baton.storage._runs import this_host
from tests.replay.fault_server import FaultServer

KEY_ENV = "BATON_TEST_KILL_KEY"
CONCURRENCY = 6
N_ITEMS = 120


def write_study(tmp_path: Path, study_data: dict[str, Any], base_url: str) -> Path:
    data = dict(study_data)
    for spec in (data["incumbent"], data["candidates"][0]):
        spec.update(provider="openai", base_url=base_url, api_key_env=KEY_ENV)
    data["store"] = f"sqlite:///{tmp_path / 'baton.db'}"
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def baton_replay(study: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from baton.cli.main import run; run()"]
    command += ["replay", str(study), "--concurrency", str(CONCURRENCY)]
    env = {**os.environ, KEY_ENV: "sk-kill-test"}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for_requests(server: FaultServer, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while len(server.seen) < count:
        assert process.poll() is None, process.communicate()[0].decode()
        assert time.monotonic() < deadline, "the replay made too few calls in time"
        time.sleep(0.005)


def test_a_killed_replay_loses_and_repeats_nothing(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    server = FaultServer(delay_s=0.02)
    server.start()
    try:
        study = write_study(tmp_path, study_data, server.base_url)
        items = [Item(f"item-{i:04d}", "eu", f"question {i}") for i in range(N_ITEMS)]
        store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
        store.add_items(items)
        store.close()

        process = baton_replay(study)
        wait_for_requests(server, N_ITEMS, process)  # about half of the 240 calls
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        assert process.returncode == -signal.SIGKILL
        before_kill = len(server.seen)

        store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
        stored_at_kill = {(r.item_id, r.model) for r in store.responses()}
        (killed,) = store.runs()
        store.close()
        assert (killed.status, killed.owner) == (
            "interrupted",
            f"pid {process.pid} on {this_host()}",
        )
        assert 0 < len(stored_at_kill) < 2 * N_ITEMS

        rerun = baton_replay(study)
        output = rerun.communicate(timeout=120)[0].decode()
        assert rerun.returncode == 0, output
    finally:
        server.stop()

    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    responses = store.responses()
    runs = store.runs()
    store.close()
    keys = Counter((r.item_id, r.model) for r in responses)
    assert len(keys) == 2 * N_ITEMS  # nothing lost
    assert set(keys.values()) == {1}  # nothing stored twice
    assert all(r.error is None and r.text for r in responses)

    model_name = {"m-old": "old", "m-new": "new"}
    item_of = {item.prompt: item.item_id for item in items}
    calls = Counter((item_of[s.prompt], model_name[s.model]) for s in server.seen)
    assert set(calls) == set(keys)
    repeated = {key for key, n in calls.items() if n > 1}
    assert not repeated & stored_at_kill  # no call whose answer was stored was made again
    assert len(repeated) <= CONCURRENCY  # only the calls in flight at the kill
    assert before_kill - len(stored_at_kill) <= CONCURRENCY
    assert [run.status for run in runs] == ["interrupted", "done"]  # the killed run never finished
    assert runs[1].summary["written"] == 2 * N_ITEMS - len(stored_at_kill)


def test_a_second_replay_of_a_store_is_refused_while_the_first_runs(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    """Two replays at once would pay every call twice: the second refuses in one line (exit
    4) while the first is alive, and runs once the first was killed."""
    server = FaultServer()
    server.start()
    try:
        study = write_study(tmp_path, study_data, server.base_url)
        items = [Item(f"item-{i}", "eu", f"question {i}") for i in range(4)]
        server.plan = {item.prompt: ["hold", "hold"] for item in items}
        store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
        store.add_items(items)
        store.close()

        first = baton_replay(study)
        wait_for_requests(server, 1, first)
        second = baton_replay(study)
        refused = second.communicate(timeout=120)[0].decode()
        assert second.returncode == 4, refused
        assert f"another replay of this store is running (pid {first.pid}, started " in refused
        assert len(refused.strip().splitlines()) == 1

        first.send_signal(signal.SIGKILL)
        first.wait(30)
        server.released.set()
        rerun = baton_replay(study)
        output = rerun.communicate(timeout=120)[0].decode()
        assert rerun.returncode == 0, output
    finally:
        server.released.set()
        server.stop()

    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    runs, responses = store.runs(), store.responses()
    store.close()
    assert [run.status for run in runs] == ["interrupted", "done"]  # the refused one: no run
    assert len(responses) == 2 * len(items)
