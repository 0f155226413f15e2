"""Bad input: each problem is one clear error naming the file, the line or row, the field;
``--skip-invalid`` leaves it out, writes it to the rejects file and counts it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from baton.data import IngestOptions, read_logs
from baton.data._duck import duck_errors
from baton.errors import InputError
from baton.study import Study
from tests.data.conftest import write_log

StudyFactory = Callable[..., Study]
GOOD = b'{"prompt": "fine", "region": "eu"}\n'


def raw(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


# (name, file name, content, line/row, field, message)
TEXT_CASES: list[tuple[str, str, bytes, int | None, str | None, str]] = [
    (
        "malformed json",
        "a.jsonl",
        GOOD + b'{"prompt": "x" "region": "eu"}\n',
        2,
        None,
        "malformed JSON",
    ),
    ("line after blank lines", "a.jsonl", GOOD + b"\n\n{oops\n", 4, None, "malformed JSON"),
    ("not an object", "a.jsonl", GOOD + b'["prompt"]\n', 2, None, "JSON array, not an object"),
    (
        "wrong type",
        "a.jsonl",
        GOOD + b'{"prompt": 3, "region": "eu"}\n',
        2,
        "prompt",
        "expected text, got a number",
    ),
    (
        "object as region",
        "a.jsonl",
        GOOD + b'{"prompt": "x", "region": {"a": 1}}\n',
        2,
        "region",
        "expected text, got an object",
    ),
    ("missing region", "a.jsonl", GOOD + GOOD + b'{"prompt": "x"}\n', 3, "region", "missing"),
    ("null region", "a.jsonl", b'{"prompt": "x", "region": null}\n', 1, "region", "missing"),
    ("empty region", "a.jsonl", b'{"prompt": "x", "region": " "}\n', 1, "region", "missing"),
    (
        "non-utf8 jsonl",
        "a.jsonl",
        GOOD + b'{"prompt": "caf\xe9", "region": "eu"}\n',
        2,
        None,
        "not UTF-8",
    ),
    (
        "key given twice",
        "a.jsonl",
        GOOD + b'{"prompt": "x", "region": "eu", "region": "us"}\n',
        2,
        "region",
        "a key appears twice in one object",
    ),
    ("empty jsonl", "a.jsonl", b"", None, None, "holds no records"),
    ("blank jsonl", "a.jsonl", b"\n  \n", None, None, "holds no records"),
    ("empty csv", "a.csv", b"", None, None, "the file is empty"),
    ("header-only csv", "a.csv", b"prompt,region\n", None, None, "holds no records"),
    (
        "missing region csv",
        "a.csv",
        b'prompt,region\nfine,eu\n"two\nlines",\n',
        3,
        "region",
        "missing",
    ),
    ("non-utf8 csv", "a.csv", b"prompt,region\nfine,eu\ncaf\xe9,eu\n", 3, None, "not UTF-8"),
    (
        "short csv row",
        "a.csv",
        b"prompt,region\nfine,eu\nlonely\n",
        3,
        None,
        "1 fields where the header has 2",
    ),
    (
        "missing column csv",
        "a.csv",
        b"text,region\nfine,eu\n",
        None,
        "prompt",
        "no such column",
    ),
]


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_bad_text_input_is_one_clear_error(
    tmp_path: Path,
    study_factory: StudyFactory,
    case: tuple[str, str, bytes, int | None, str | None, str],
) -> None:
    _, name, content, row, field, message = case
    path = raw(tmp_path, name, content)
    with pytest.raises(InputError, match=message) as caught:
        read_logs(study_factory(), [path])
    error = caught.value
    assert (error.source, error.row, error.field) == (path, row, field)
    assert "Traceback" not in str(error)


def write_parquet_sql(path: Path, select: str) -> str:
    connection = duckdb.connect()
    try:
        connection.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    finally:
        connection.close()
    return str(path)


PARQUET_CASES: list[tuple[str, str, int | None, str | None, str]] = [
    (
        "wrong column type",
        "SELECT 3 AS prompt, 'eu' AS region",
        None,
        "prompt",
        "holds INTEGER, expected text",
    ),
    (
        "null region",
        "SELECT * FROM (VALUES ('a', 'eu'), ('b', NULL)) t(prompt, region)",
        2,
        "region",
        "missing",
    ),
    ("no rows", "SELECT 'a' AS prompt, 'eu' AS region WHERE false", None, None, "holds no records"),
    ("missing column", "SELECT 'a' AS text, 'eu' AS region", None, "prompt", "no such column"),
]


@pytest.mark.parametrize("case", PARQUET_CASES, ids=[c[0] for c in PARQUET_CASES])
def test_bad_parquet_input_is_one_clear_error(
    tmp_path: Path,
    study_factory: StudyFactory,
    case: tuple[str, str, int | None, str | None, str],
) -> None:
    _, select, row, field, message = case
    path = write_parquet_sql(tmp_path / "log.parquet", select)
    with pytest.raises(InputError, match=message) as caught:
        read_logs(study_factory(), [path])
    assert (caught.value.source, caught.value.row, caught.value.field) == (path, row, field)


@pytest.mark.parametrize(
    "case",
    [
        ({"conversation": "not json"}, "conversation", "not valid JSON|expected a list of turns"),
        ({"conversation": {"role": "user"}}, "conversation", "expected a list of turns"),
        ({"conversation": [{"role": "bot", "content": "x"}]}, "conversation", "each turn"),
        ({"conversation": [{"role": "assistant", "content": "x"}]}, "conversation", "no user turn"),
        (
            {"conversation": [{"role": "user", "content": "x"}], "when": "yesterday"},
            "when",
            "not a time",
        ),
        (
            {"conversation": [{"role": "user", "content": "x"}], "exp": "maybe"},
            "exp",
            "must be answer or refuse",
        ),
    ],
)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_bad_fields_name_the_column(
    tmp_path: Path, study_factory: StudyFactory, fmt: str, case: tuple[dict[str, Any], str, str]
) -> None:
    record, field, message = case
    study = study_factory(
        fields={"messages": "conversation", "timestamp": "when", "expected_behaviour": "exp"}
    )
    full = {"conversation": None, "region": "eu", "when": None, "exp": None, **record}
    if fmt == "csv" and isinstance(full["conversation"], str):
        full["conversation"] = json.dumps(full["conversation"])[1:-1]  # bare text in a cell
    path = write_log(tmp_path, [full], fmt)
    with pytest.raises(InputError, match=message) as caught:
        read_logs(study, [str(path)])
    assert (caught.value.row, caught.value.field) == (2 if fmt == "csv" else 1, field)


def test_skip_invalid_writes_rejects_and_keeps_the_rest(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    lines = [
        b'{"prompt": "one", "region": "eu"}',
        b'{"prompt": "two" "region": "eu"}',
        b"",
        b'{"prompt": "caf\xe9", "region": "eu"}',
        b'{"prompt": "four", "region": "eu"}',
        b'{"prompt": "five"}',
        b'{"prompt": 6, "region": "us"}',
        b'{"prompt": "seven", "region": "us"}',
    ]
    path = raw(tmp_path, "log.jsonl", b"\n".join(lines) + b"\n")
    rejects = tmp_path / "out" / "rejects.jsonl"
    options = IngestOptions(skip_invalid=True, rejects_path=rejects)
    result = read_logs(study_factory(sampling={"size": 10}), [path], options=options)
    assert sorted(item.prompt for item in result.items) == ["four", "one", "seven"]
    written = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert [(r["source"], r["row"], r["field"]) for r in written] == [
        (path, 2, None),
        (path, 4, None),
        (path, 6, "region"),
        (path, 7, "prompt"),
    ]
    assert result.summary.rejected == 4
    assert all("caf" not in json.dumps(r) for r in written)  # no log content in rejects


def test_skip_invalid_passes_over_a_rejected_file(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    empty = raw(tmp_path, "empty.jsonl", b"")
    good = raw(tmp_path, "good.jsonl", GOOD)
    options = IngestOptions(skip_invalid=True, rejects_path=tmp_path / "rejects.jsonl")
    result = read_logs(study_factory(), [empty, good], options=options)
    assert [item.prompt for item in result.items] == ["fine"]
    assert result.summary.rejected == 1


@pytest.mark.parametrize(
    ("logs", "message"),
    [
        (["nowhere.jsonl"], "no such file"),
        (["*.nothing"], "no file matches"),
        (["log.txt"], "unknown log format"),
    ],
)
def test_naming_files_that_cannot_be_read(
    tmp_path: Path,
    study_factory: StudyFactory,
    monkeypatch: pytest.MonkeyPatch,
    logs: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "log.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_logs(study_factory(), logs)


def test_a_bad_where_clause_is_an_input_error(tmp_path: Path, study_factory: StudyFactory) -> None:
    path = raw(tmp_path, "log.jsonl", GOOD)
    with pytest.raises(InputError, match="no_such_column") as caught:
        read_logs(study_factory(), [path], options=IngestOptions(where="no_such_column = 1"))
    assert caught.value.source == "--where"


def test_nothing_valid_to_draw_from_is_an_error(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    empty = raw(tmp_path, "empty.jsonl", b"")
    bad = raw(tmp_path, "bad.jsonl", b'{"prompt": "no region"}\n')
    rejects = tmp_path / "rejects.jsonl"
    options = IngestOptions(skip_invalid=True, rejects_path=rejects)
    with pytest.raises(InputError, match="no valid records"):
        read_logs(study_factory(), [empty, bad], options=options)
    assert len(rejects.read_text(encoding="utf-8").splitlines()) == 2


PERSONAL = b'{"prompt": "mail jane.doe@example.com, card 4111 1111 1111 1111", '
SECRETS = ("jane.doe@example.com", "4111 1111 1111 1111", "4111", "jane")


def test_a_key_given_twice_is_named_without_the_record(
    tmp_path: Path, study_factory: StudyFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    path = raw(tmp_path, "log.jsonl", GOOD + PERSONAL + b'"region": "eu", "region": "us"}\n')
    with pytest.raises(InputError) as caught:
        read_logs(study_factory(), [path])
    message = str(caught.value)
    assert message == f"{path}, row 2, field 'region': a key appears twice in one object"
    captured = capsys.readouterr()
    for text in (message, captured.out, captured.err):
        assert not any(secret in text for secret in SECRETS)


def test_skip_invalid_skips_a_key_given_twice(tmp_path: Path, study_factory: StudyFactory) -> None:
    path = raw(tmp_path, "log.jsonl", GOOD + PERSONAL + b'"region": "eu", "region": "us"}\n')
    rejects = tmp_path / "rejects.jsonl"
    options = IngestOptions(skip_invalid=True, rejects_path=rejects)
    result = read_logs(study_factory(), [path], options=options)
    assert [item.prompt for item in result.items] == ["fine"]
    written = rejects.read_text(encoding="utf-8")
    assert json.loads(written) == {
        "source": path,
        "row": 2,
        "field": "region",
        "reason": "a key appears twice in one object",
    }
    assert not any(secret in written for secret in SECRETS)


@pytest.mark.parametrize(
    ("content", "select"),
    [
        (PERSONAL + b'"region": "eu", "region": "us"}\n', "*"),  # DuckDB quotes the record
        (PERSONAL + b'"region": "eu"}\n', "CAST(prompt AS INTEGER)"),  # and a value
    ],
)
def test_duckdb_errors_never_carry_the_data(tmp_path: Path, content: bytes, select: str) -> None:
    """Even a record that reaches DuckDB unchecked: its error is scrubbed of the data."""
    path = raw(tmp_path, "log.jsonl", content)
    connection = duckdb.connect()
    try:
        with pytest.raises(InputError) as caught, duck_errors(path):
            connection.execute(f"SELECT {select} FROM read_json('{path}')").fetchall()
    finally:
        connection.close()
    message = str(caught.value)
    assert message.startswith(f"{path}")
    assert "\n" not in message
    assert not any(secret in message for secret in SECRETS), message
