"""``baton ingest`` end to end: exit codes, the summary, the store, all or nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.cli.main import main
from baton.storage import open_store

LOG_LINES = 2_000


def write_study(folder: Path, study_data: dict[str, Any], **ingest: Any) -> Path:
    data = {**study_data, "ingest": {"fields": {"incumbent_answer": "answer"}, **ingest}}
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def write_log(folder: Path, n: int = LOG_LINES) -> Path:
    path = folder / "log.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            region = "eu" if i % 3 else "us"
            record = {"prompt": f"question {i} from x{i}@example.com", "region": region}
            out.write(json.dumps({**record, "answer": f"answer {i}"}) + "\n")
    return path


def stored(folder: Path) -> tuple[int, int, list[str]]:
    store = open_store(f"sqlite:///{folder / 'baton.db'}")
    try:
        return len(store.items()), len(store.responses()), [r.step for r in store.runs()]
    finally:
        store.close()


def test_ingest_stores_the_sample_and_prints_a_summary(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path, study_data, sampling={"size": 30})
    log = write_log(tmp_path)
    assert main(["ingest", str(study), str(log)]) == 0
    out = capsys.readouterr().out
    assert "stored 30 new items" in out
    assert "email 30" in out
    assert stored(tmp_path) == (30, 30, ["ingest"])
    assert main(["ingest", str(study), str(log), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["items_written"], summary["sampled"]) == (0, 30)
    assert summary["regions"]["eu"]["drawn"] == 20


def test_bad_input_exits_2_and_stores_nothing(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path, study_data)
    log = tmp_path / "bad.jsonl"
    log.write_bytes(b'{"prompt": "a", "region": "eu"}\n{"prompt": "b", "region": 7}\n')
    assert main(["ingest", str(study), str(log)]) == 2
    err = capsys.readouterr().err
    assert f"{log}, row 2, field 'region': expected text, got a number" in " ".join(err.split())
    assert stored(tmp_path) == (0, 0, [])


def test_a_key_given_twice_is_one_line_without_the_record(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path, study_data)
    log = tmp_path / "dup.jsonl"
    log.write_bytes(
        b'{"prompt": "a", "region": "eu"}\n'
        b'{"prompt": "mail jane@example.com, card 4111 1111 1111 1111", "region": "eu", '
        b'"region": "us"}\n'
    )
    assert main(["ingest", str(study), str(log)]) == 2
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    assert f"{log}, row 2, field 'region': a key appears twice in one object" in err
    for text in (captured.out, captured.err):
        assert "jane@example.com" not in text
        assert "4111" not in text


def test_skip_invalid_writes_the_rejects_file(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path, study_data)
    log = tmp_path / "bad.jsonl"
    log.write_bytes(b'{"prompt": "a", "region": "eu"}\n{"prompt": "b"}\n')
    rejects = tmp_path / "rejects.jsonl"
    assert main(["ingest", str(study), str(log), "--skip-invalid", "--rejects", str(rejects)]) == 0
    assert "1 rejected" in capsys.readouterr().out
    assert json.loads(rejects.read_text(encoding="utf-8"))["field"] == "region"
    assert stored(tmp_path)[0] == 1


def test_rejects_without_skip_invalid_is_a_usage_error(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    study = write_study(tmp_path, study_data)
    assert main(["ingest", str(study), "x.jsonl", "--rejects", "r.jsonl"]) == 2


@pytest.fixture
def failing_redaction() -> Iterator[str]:
    module = types.ModuleType("baton_test_failing_redaction")
    calls = {"n": 0}

    def redact(text: str) -> str:
        calls["n"] += 1
        if calls["n"] > 25:
            raise RuntimeError("the redaction service went away")
        return text

    module.redact = redact  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield f"{module.__name__}:redact"
    del sys.modules[module.__name__]


def test_an_ingest_failing_half_way_leaves_the_store_unchanged(
    tmp_path: Path, study_data: dict[str, Any], failing_redaction: str
) -> None:
    study = write_study(
        tmp_path, study_data, sampling={"size": 40}, redaction={"function": failing_redaction}
    )
    assert main(["ingest", str(study), str(write_log(tmp_path))]) == 2
    assert stored(tmp_path) == (0, 0, [])


def test_a_killed_ingest_stores_all_of_it_or_none_of_it(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    """Kill ``baton ingest`` at different moments: each store holds the whole ingest or
    nothing, never part of it."""
    log = write_log(tmp_path, 20_000)
    outcomes = set()
    for delay in (0.3, 1.0, 2.0, 3.0):
        folder = tmp_path / f"kill-{delay}"
        folder.mkdir()
        study = write_study(folder, study_data, sampling={"size": 3000})
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from baton.cli.main import run; run()",
                "ingest",
                str(study),
                str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "200"},
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if not (folder / "baton.db").exists():
            outcomes.add("none")
            continue
        items, responses, runs = stored(folder)
        assert (items, responses, runs) in [(0, 0, []), (3000, 3000, ["ingest"])]
        outcomes.add("none" if items == 0 else "all")
    assert "none" in outcomes  # the earliest kill lands before the commit


def test_dry_run_shows_the_mapping_and_counts_and_writes_nothing(
    tmp_path: Path,
    study_data: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A log whose columns are named as users name them ("question", "output",
    "locale"): no field map in the study, and the dry run says what would be read."""
    (tmp_path / "study.yaml").write_text(
        yaml.safe_dump({**study_data, "ingest": {"sampling": {"size": 12}}}), encoding="utf-8"
    )
    log = tmp_path / "log.jsonl"
    rows = [
        {"question": f"q{i}", "locale": "eu" if i % 2 else "us", "output": f"a{i}", "agent": "x"}
        for i in range(40)
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the study defaults to ./study.yaml
    assert main(["ingest", "log.jsonl", "--dry-run"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "prompt ← question (auto)" in out
    assert "incumbent_answer ← output (auto)" in out
    assert "region ← locale (auto)" in out
    assert "ignored columns: agent" in out
    assert "dry run: would store up to 12 items" in out
    assert not (tmp_path / "baton.db").exists()
    assert main(["ingest", "--study", "study.yaml", "log.jsonl", "--dry-run", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dry_run"] is True
    assert summary["regions"]["eu"]["records"] == 20
    assert summary["ignored_columns"] == ["agent"]
    assert main(["ingest", "log.jsonl"]) == 0
    assert "stored 12 new items" in capsys.readouterr().out
    assert stored(tmp_path)[:2] == (12, 12)


def test_ingest_on_spark_stores_what_duckdb_would(
    tmp_path: Path, study_data: dict[str, Any], spark: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path, study_data, sampling={"size": 40})
    log = write_log(tmp_path, 400)
    assert main(["ingest", str(study), str(log), "--dry-run", "--json"]) == 0
    duck = json.loads(capsys.readouterr().out)
    assert main(["ingest", str(study), str(log), "--engine", "spark", "--json"]) == 0
    on_spark = json.loads(capsys.readouterr().out)
    assert on_spark["regions"] == duck["regions"]
    assert on_spark["sampled"] == duck["sampled"] == 40
    assert stored(tmp_path) == (40, 40, ["ingest"])
    assert main(["ingest", str(study), str(log), "--engine", "spark", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items_written"] == 0  # the same sample again


def test_spark_options_are_checked_before_anything_runs(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path, study_data)
    log = write_log(tmp_path, 10)
    both = ["--spark-remote", "sc://localhost", "--spark-master", "local[1]"]
    assert main(["ingest", str(study), str(log), "--engine", "spark", *both]) == 2
    not_connect = ["--spark-remote", "http://localhost:15002"]
    assert main(["ingest", str(study), str(log), "--engine", "spark", *not_connect]) == 2
    assert "sc://" in capsys.readouterr().err
