"""Hostile files fed to every command that reads one: deep nesting, broken gzip, bytes
that are not UTF-8, binary noise, a 20 MB line, a key written twice. Each must end with a
usage (2) or runtime (4) error, never an exit code a CI gate reads as a verdict (0 go,
1 no-go, 3 inconclusive); with exactly one line on stderr that quotes none of the data; and
with nothing half-written: no result file, no report, the store as it was."""

from __future__ import annotations

import json
import random
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.cli.main import main
from baton.storage import open_store

SECRET = "SECRET-PAYLOAD-7f3a"
"""Written into every hostile file's text: an error message must never show it."""
DEPTH = 1_500
HUGE = 20 * 2**20

Builder = Callable[[Path], Path]


def _record(**extra: Any) -> dict[str, Any]:
    return {"prompt": f"question with {SECRET}", "region": "eu", **extra}


def _deep_json() -> str:
    return "[" * DEPTH + json.dumps(SECRET) + "]" * DEPTH


def _good_lines(n: int) -> bytes:
    return b"".join(json.dumps(_record(n=i)).encode() + b"\n" for i in range(n))


def broken_gzip(good: bytes) -> bytes:
    """A gzip file whose deflate stream breaks after ``good``: a valid start, then a block
    of the reserved type (zlib: "invalid block type")."""
    deflate = zlib.compressobj(wbits=-15)
    body = deflate.compress(good) + deflate.flush(zlib.Z_FULL_FLUSH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + body + b"\x07" + bytes(64)


def _noise(size: int = 4096) -> bytes:
    rng = random.Random(0)
    return bytes(rng.randrange(256) for _ in range(size)) + SECRET.encode() + b"\x00\x00"


# --- hostile log files (ingest) and tables (estimate) ---------------------------------------


def log_deep(folder: Path) -> Path:
    path = folder / "deep.jsonl"
    line = json.dumps(_record())[:-1] + ', "unused": ' + _deep_json() + "}\n"
    path.write_text(line, encoding="utf-8")
    return path


def log_broken_gzip(folder: Path) -> Path:
    path = folder / "broken.jsonl.gz"
    path.write_bytes(broken_gzip(_good_lines(200)))
    return path


def log_not_utf8(folder: Path) -> Path:
    path = folder / "latin1.jsonl"
    path.write_bytes(
        json.dumps(_record(note="caf\u00e9"), ensure_ascii=False).encode("latin-1") + b"\n"
    )
    return path


def log_binary(folder: Path) -> Path:
    path = folder / "noise.jsonl"
    path.write_bytes(_noise())
    return path


def log_huge_line(folder: Path) -> Path:
    path = folder / "huge.jsonl"
    path.write_text(json.dumps(_record(answer=SECRET * (HUGE // len(SECRET)))), encoding="utf-8")
    return path


def log_duplicate_keys(folder: Path) -> Path:
    path = folder / "twice.jsonl"
    path.write_text(
        '{"prompt": "a", "region": "eu", "prompt": "' + SECRET + '"}\n', encoding="utf-8"
    )
    return path


def log_binary_csv(folder: Path) -> Path:
    path = folder / "noise.csv"
    path.write_bytes(b"prompt,region\n" + _noise())
    return path


def log_broken_gzip_csv(folder: Path) -> Path:
    path = folder / "broken.csv.gz"
    rows = "".join(f"{SECRET} {i},eu\n" for i in range(200)).encode()
    path.write_bytes(broken_gzip(b"prompt,region\n" + rows))
    return path


def binary_parquet(folder: Path) -> Path:
    path = folder / "noise.parquet"
    path.write_bytes(b"PAR1" + _noise() + b"PAR1")
    return path


LOGS: dict[str, Builder] = {
    "binary-parquet": binary_parquet,
    "deep": log_deep,
    "broken-gzip": log_broken_gzip,
    "not-utf8": log_not_utf8,
    "binary": log_binary,
    "huge-line": log_huge_line,
    "duplicate-keys": log_duplicate_keys,
    "binary-csv": log_binary_csv,
    "broken-gzip-csv": log_broken_gzip_csv,
}


def _row(i: int, **extra: Any) -> dict[str, Any]:
    return {"item_id": str(i), "model": "inc", "judge": 1, **extra}


def table_deep(folder: Path) -> Path:
    path = folder / "deep.jsonl"
    line = json.dumps(_row(0))[:-1] + ', "unused": ' + _deep_json() + "}\n"
    path.write_text(line, encoding="utf-8")
    return path


def table_broken_gzip(folder: Path) -> Path:
    path = folder / "broken.jsonl.gz"
    good = b"".join(json.dumps(_row(i, note=SECRET)).encode() + b"\n" for i in range(200))
    path.write_bytes(broken_gzip(good))
    return path


def table_broken_gzip_csv(folder: Path) -> Path:
    path = folder / "broken.csv.gz"
    rows = "".join(f"{i},inc,1,{SECRET}\n" for i in range(200)).encode()
    path.write_bytes(broken_gzip(b"item_id,model,judge,note\n" + rows))
    return path


def table_not_utf8(folder: Path) -> Path:
    path = folder / "latin1.csv"
    path.write_bytes(f"item_id,model,judge,note\n1,inc,1,caf\u00e9 {SECRET}\n".encode("latin-1"))
    return path


def table_binary(folder: Path) -> Path:
    path = folder / "noise.csv"
    path.write_bytes(_noise())
    return path


def table_huge_line(folder: Path) -> Path:
    path = folder / "huge.jsonl"
    path.write_text(json.dumps(_row(0, note=SECRET * (HUGE // len(SECRET)))), encoding="utf-8")
    return path


def table_huge_csv_line(folder: Path) -> Path:
    path = folder / "huge.csv"
    path.write_text(SECRET * (HUGE // len(SECRET)) + "\n1\n", encoding="utf-8")
    return path


def table_duplicate_keys(folder: Path) -> Path:
    path = folder / "twice.jsonl"
    text = '{"item_id": "1", "model": "inc", "judge": 1, "model": "' + SECRET + '"}\n'
    path.write_text(text, encoding="utf-8")
    return path


TABLES: dict[str, Builder] = {
    "binary-parquet": binary_parquet,
    "deep": table_deep,
    "broken-gzip": table_broken_gzip,
    "broken-gzip-csv": table_broken_gzip_csv,
    "not-utf8": table_not_utf8,
    "binary": table_binary,
    "huge-line": table_huge_line,
    "huge-csv-line": table_huge_csv_line,
    "duplicate-keys": table_duplicate_keys,
}


# --- hostile study files and estimate results (JSON documents) ------------------------------


def _study_text(study_data: dict[str, Any]) -> str:
    return yaml.safe_dump({**study_data, "ingest": {"fields": {}}}, sort_keys=False)


def study_builders(study_data: dict[str, Any]) -> dict[str, Builder]:
    text = _study_text(study_data)

    def write(name: str, data: bytes) -> Builder:
        def build(folder: Path) -> Path:
            path = folder / name
            path.write_bytes(data)
            return path

        return build

    return {
        "deep": write("deep.yaml", (text + "extra: " + _deep_json() + "\n").encode()),
        "broken-gzip": write("study.yaml.gz", broken_gzip(text.encode())),
        "not-utf8": write("latin1.yaml", (f"# caf\u00e9 {SECRET}\n" + text).encode("latin-1")),
        "binary": write("noise.yaml", _noise()),
        "huge-line": write("huge.yaml", (SECRET * (HUGE // len(SECRET))).encode()),
        "duplicate-keys": write("twice.yaml", (text + f"name: {SECRET}\n").encode()),
    }


def estimate_builders() -> dict[str, Builder]:
    good = {"schema": 1, "baseline": "inc", "comparisons": [], "note": SECRET}

    def write(name: str, data: bytes) -> Builder:
        def build(folder: Path) -> Path:
            path = folder / name
            path.write_bytes(data)
            return path

        return build

    text = json.dumps(good)
    return {
        "deep": write("deep.json", (text[:-1] + ', "x": ' + _deep_json() + "}").encode()),
        "broken-gzip": write("result.json.gz", broken_gzip(text.encode())),
        "not-utf8": write("latin1.json", text.replace(SECRET, "caf\u00e9").encode("latin-1")),
        "binary": write("noise.json", _noise()),
        "huge-line": write("huge.json", json.dumps({**good, "x": SECRET * (HUGE // 20)}).encode()),
        "duplicate-keys": write("twice.json", (text[:-1] + ', "schema": 2}').encode()),
    }


# --- the checks -----------------------------------------------------------------------------


def assert_fails_cleanly(code: int, err: str) -> None:
    assert code in (2, 4), err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert SECRET not in err
    assert "caf" not in err
    assert len(err) < 1_000
    assert "Traceback" not in err


def store_state(folder: Path) -> tuple[int, int, int] | None:
    """Items, responses and runs in the study's default store (None: there is none)."""
    if not (folder / "baton.db").exists():
        return None
    store = open_store(f"sqlite:///{folder / 'baton.db'}")
    try:
        return len(store.items()), len(store.responses()), len(store.runs())
    finally:
        store.close()


def write_study(folder: Path, study_data: dict[str, Any]) -> Path:
    path = folder / "study.yaml"
    path.write_text(_study_text(study_data), encoding="utf-8")
    return path


@pytest.mark.parametrize("skip", [False, True], ids=["strict", "skip-invalid"])
@pytest.mark.parametrize("hostile", sorted(LOGS))
def test_ingest_of_a_hostile_log(
    hostile: str,
    skip: bool,
    tmp_path: Path,
    study_data: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = write_study(tmp_path, study_data)
    good = tmp_path / "good.jsonl"
    good.write_bytes(b"".join(b'{"prompt": "q%d", "region": "eu"}\n' % i for i in range(5)))
    assert main(["ingest", str(study), str(good)]) == 0
    before = store_state(tmp_path)
    assert before == (5, 0, 1)
    capsys.readouterr()
    log = LOGS[hostile](tmp_path)
    code = main(["ingest", str(study), str(log), *(["--skip-invalid"] if skip else [])])
    assert_fails_cleanly(code, capsys.readouterr().err)
    assert store_state(tmp_path) == before


UNREADABLE = {"broken-gzip", "broken-gzip-csv", "binary-parquet"}
"""Files that cannot be read past their fault: an error even with --skip-invalid."""


@pytest.mark.parametrize("hostile", sorted(set(LOGS) - UNREADABLE))
def test_skip_invalid_leaves_out_the_hostile_records_and_keeps_the_rest(
    hostile: str, tmp_path: Path, study_data: dict[str, Any]
) -> None:
    study = write_study(tmp_path, study_data)
    log = LOGS[hostile](tmp_path)
    good = tmp_path / f"good{''.join(log.suffixes)}"
    records = [{"prompt": f"question {i}", "region": "eu"} for i in range(20)]
    if log.suffix == ".csv":
        good.write_text(
            "prompt,region\n" + "".join(f"{r['prompt']},eu\n" for r in records), encoding="utf-8"
        )
    else:
        good.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert main(["ingest", str(study), str(log), str(good), "--skip-invalid"]) == 0
    assert store_state(tmp_path) == (20, 0, 1)
    rejects = (tmp_path / "ingest-rejects.jsonl").read_text(encoding="utf-8")
    assert SECRET not in rejects


@pytest.mark.parametrize("hostile", sorted(TABLES))
def test_estimate_of_a_hostile_table(
    hostile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = TABLES[hostile](tmp_path)
    out = tmp_path / "result.json"
    code = main(["estimate", str(table), "--signal", "judge", "-o", str(out)])
    assert_fails_cleanly(code, capsys.readouterr().err)
    assert not out.exists()


@pytest.mark.parametrize("hostile", sorted(estimate_builders()))
def test_report_from_a_hostile_estimate_result(
    hostile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = estimate_builders()[hostile](tmp_path)
    out = tmp_path / "report"
    code = main(["report", "--from-estimate", str(result), "-o", str(out)])
    assert_fails_cleanly(code, capsys.readouterr().err)
    assert not out.exists()


STUDY_COMMANDS = {
    "check": [],
    "decide": [],
    "judge": [],
    "replay": [],
    "report": [],
    "next": [],
    "plan": [],
    "ingest": ["LOG"],
}


@pytest.mark.parametrize("command", sorted(STUDY_COMMANDS))
@pytest.mark.parametrize("hostile", ["deep", "broken-gzip", "not-utf8", "binary", "huge-line"])
def test_a_hostile_study_file(
    hostile: str,
    command: str,
    tmp_path: Path,
    study_data: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = study_builders(study_data)[hostile](tmp_path)
    log = tmp_path / "log.jsonl"
    log.write_bytes(_good_lines(5))
    extra = [str(log) if a == "LOG" else a for a in STUDY_COMMANDS[command]]
    code = main([command, str(study), *extra])
    assert_fails_cleanly(code, capsys.readouterr().err)
    assert store_state(tmp_path) is None
    assert not (tmp_path / "report").exists()


def test_a_key_written_twice_in_a_study_file_names_the_line(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = study_builders(study_data)["duplicate-keys"](tmp_path)
    assert main(["check", str(study)]) == 2
    err = capsys.readouterr().err
    assert_fails_cleanly(2, err)
    assert "'name' appears twice" in err
    line = _study_text(study_data).count("\n") + 1
    assert f"line {line}" in err


def test_a_study_file_that_is_not_utf8_names_the_file_and_line(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = study_builders(study_data)["not-utf8"](tmp_path)
    assert main(["check", str(study)]) == 2
    assert " ".join(capsys.readouterr().err.split()) == (f"error: {study}: line 1: not UTF-8 text")


def test_a_broken_gzip_log_names_the_line_it_broke_at(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path, study_data)
    log = log_broken_gzip(tmp_path)
    assert main(["ingest", str(study), str(log)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    after = re.search(rf"{log}: cannot be read after line (\d+): the gzip data is corrupt", err)
    assert after, err
    assert 100 <= int(after[1]) <= 200


def test_a_deeply_nested_record_names_its_row(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path, study_data)
    log = tmp_path / "log.jsonl"
    log.write_bytes(_good_lines(3) + log_deep(tmp_path).read_bytes())
    assert main(["ingest", str(study), str(log)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err == f"error: {log}, row 4: nested too deeply to read"
