"""``baton replay``: replays the store's items, dry-runs, limits, and its exit codes."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.cli.main import main
from baton.domain import Item
from baton.storage import Store, default_store_url, open_store
from tests.replay.fault_server import FaultServer


def write_study(tmp_path: Path, study_data: dict[str, Any]) -> Path:
    study_data["service"]["parameters"]["max_tokens"] = 50
    study_data["incumbent"].update(price_per_mtok_input=2.0, price_per_mtok_output=10.0)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study_data), encoding="utf-8")
    return path


def stored(path: Path) -> Store:
    return open_store(default_store_url(path))


def add_items(path: Path, n: int) -> None:
    store = stored(path)
    store.add_items([Item(f"item-{i:03d}", "eu", f"question number {i}") for i in range(n)])
    store.close()


def test_replay_answers_every_item_and_a_rerun_calls_nothing(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_study(tmp_path, study_data)
    add_items(path, 12)
    assert main(["replay", str(path)]) == 0
    out = capsys.readouterr().out
    assert "24 responses stored of 24 pending (24 called, 0 from the cache" in out
    assert "Responses in the store" in out
    store = stored(path)
    responses = store.responses()
    runs = store.runs()
    store.close()
    assert len(responses) == 24
    assert responses[0].text == "m-new answers: question number 0"
    assert runs[-1].step == "replay"
    assert (runs[-1].status, runs[-1].summary["written"]) == ("done", 24)
    assert main(["replay", str(path)]) == 0
    assert "0 responses stored of 0 pending" in capsys.readouterr().out


def test_limit_replays_the_first_items(tmp_path: Path, study_data: dict[str, Any]) -> None:
    path = write_study(tmp_path, study_data)
    add_items(path, 12)
    assert main(["replay", str(path), "--limit", "5"]) == 0
    store = stored(path)
    ids = {r.item_id for r in store.responses()}
    store.close()
    assert ids == {f"item-{i:03d}" for i in range(5)}


def test_dry_run_prints_calls_and_cost_and_calls_nothing(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_study(tmp_path, study_data)
    add_items(path, 10)
    assert main(["replay", str(path), "--limit", "4"]) == 0
    capsys.readouterr()
    assert main(["replay", str(path), "--dry-run"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    # the incumbent's 6 calls: 15 tokens in at $2 and at most 50 out at $10 per million
    assert "dry run: 12 calls, estimated cost at most $0.0032" in out
    store = stored(path)
    assert len(store.responses()) == 8
    store.close()


def test_an_empty_store_is_a_usage_error(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_study(tmp_path, study_data)
    assert main(["replay", str(path)]) == 2
    assert "holds no items" in capsys.readouterr().err


def test_an_unknown_provider_is_an_error_in_one_line(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study_data["candidates"][0]["provider"] = "nowhere"
    path = write_study(tmp_path, study_data)
    add_items(path, 1)
    assert main(["replay", str(path)]) == 4
    err = capsys.readouterr().err
    assert "no provider named 'nowhere'" in err
    assert "Traceback" not in err


def test_failed_responses_exit_4_and_say_how_to_retry(
    tmp_path: Path,
    study_data: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = FaultServer()
    server.start()
    try:
        monkeypatch.setenv("BATON_CLI_KEY", "sk-cli")
        study_data["incumbent"].update(
            provider="openai", base_url=server.base_url, api_key_env="BATON_CLI_KEY"
        )
        path = write_study(tmp_path, study_data)
        add_items(path, 3)
        server.plan = {"question number 1": ["400"]}
        assert main(["replay", str(path)]) == 4
        err = " ".join(capsys.readouterr().err.split())
        assert "replay: 1 of 6 failed or abstained (16.7%, above --max-failures 0.05)" in err
        assert "1 bad_request, e.g. bad_request: HTTP 400" in err
        assert "baton replay --retry-failed" in err
        assert main(["replay", str(path), "--retry-failed"]) == 0
        assert "1 responses stored of 1 pending" in capsys.readouterr().out
    finally:
        server.stop()


def test_ctrl_c_says_how_far_replay_got_and_how_to_resume(
    tmp_path: Path,
    study_data: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = FaultServer(hang_s=30.0)
    server.start()
    try:
        monkeypatch.setenv("BATON_CLI_KEY", "sk-cli")
        study_data["incumbent"].update(
            provider="openai", base_url=server.base_url, api_key_env="BATON_CLI_KEY"
        )
        path = write_study(tmp_path, study_data)
        add_items(path, 3)
        server.plan = {"question number 2": ["hang"]}

        def interrupt_once_it_hangs() -> None:
            while "question number 2" not in server.prompts():
                threading.Event().wait(0.01)
            os.kill(
                os.getpid(), signal.SIGINT
            )  # to the process, as Ctrl-C is: the main thread wakes

        presser = threading.Thread(target=interrupt_once_it_hangs, daemon=True)
        presser.start()
        assert main(["replay", str(path), "--concurrency", "1"]) == 130
        presser.join()
        err = " ".join(capsys.readouterr().err.split())
        assert "replay interrupted:" in err
        assert "of 6 stored" in err
        assert f"run baton replay {path} to resume" in err
        server.plan = {}
        assert main(["replay", str(path)]) == 0
        assert len(stored_responses(path)) == 6
    finally:
        server.stop()


def stored_responses(path: Path) -> list[Any]:
    store = stored(path)
    try:
        return list(store.responses())
    finally:
        store.close()


def test_the_usage_table_keeps_a_model_name_whole_in_80_columns(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """With tokens in and out in two columns, the numbers took the width and a six-letter
    name was split over two lines ("legac" / "y")."""
    study_data["incumbent"]["name"] = "legacy"
    study_data["candidates"][0]["name"] = "cheaper"
    path = write_study(tmp_path, study_data)
    add_items(path, 2)
    assert main(["replay", str(path)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert any(line.split()[:1] == ["legacy"] for line in rows)
    assert any(line.split()[:1] == ["cheaper"] for line in rows)
    assert max(len(line) for line in rows) <= 80
