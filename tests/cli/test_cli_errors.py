"""How the CLI fails: one line on stderr and a documented exit code (2 usage or invalid
input, 4 runtime), never 1 or 3, which a CI gate reads as a verdict; the traceback of a
bug only with --debug or BATON_DEBUG=1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.cli._app import app
from baton.cli.main import main

SECRET = "SECRET-FROM-A-LOG-LINE"


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    return " ".join(err.split())


@pytest.fixture
def buggy_command() -> Iterator[str]:
    """A command with a bug (a seam: registered on the app for this test only)."""

    @app.command("buggy-for-test")
    def buggy(path: Path) -> int:
        raise KeyError(f"a record: {SECRET}")

    yield "buggy-for-test"
    app.registered_commands[:] = [c for c in app.registered_commands if c.callback is not buggy]


def test_a_bug_is_one_line_naming_the_command_input_and_type(
    buggy_command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BATON_DEBUG", raising=False)
    log = tmp_path / "log.jsonl"
    log.write_text("{}\n", encoding="utf-8")
    assert main([buggy_command, str(log)]) == 4
    err = one_line(capsys)
    assert err.startswith(f"error: baton {buggy_command} failed on {log}: unexpected KeyError")
    assert "--debug" in err
    assert SECRET not in err


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_debug_shows_the_traceback(
    how: str,
    buggy_command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BATON_DEBUG", raising=False)
    args = [buggy_command, str(tmp_path)]
    if how == "flag":
        args.append("--debug")
    else:
        monkeypatch.setenv("BATON_DEBUG", "1")
    assert main(args) == 4
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.splitlines()[-1].startswith(f"error: baton {buggy_command} failed")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest"], "error: baton ingest: Missing argument '[STUDY] LOGS'."),
        (["check", "--bogus"], "error: baton check: No such option: --bogus"),
        (["estimate", "t.csv", "--signal", "j", "--level", "x"], "error: baton estimate: Invalid"),
        (["frobnicate"], "error: baton: No such command 'frobnicate'."),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = one_line(capsys)
    assert err.startswith(message), err
    assert "--help" in err


@pytest.mark.parametrize("url", ["foo://bar", "not a url", "postgresql+asyncpg://h/db"])
def test_a_malformed_store_url_is_a_usage_error(
    url: str, tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump(study_data), encoding="utf-8")
    assert main(["decide", str(study), "--store", url]) == 2
    assert "postgresql://" in one_line(capsys)
    assert not (tmp_path / "baton.db").exists()


def _write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "url", ["not a url", "127.0.0.1:8080/v1", "ftp://host/v1", "http://", "http://[::1/v1"]
)
def test_check_refuses_a_base_url_that_is_not_an_http_url(
    url: str, tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = {**study_data["candidates"][0], "base_url": url}
    study = _write(tmp_path, {**study_data, "candidates": [candidate]})
    assert main(["check", str(study)]) == 2
    err = one_line(capsys)
    assert err.startswith(f"error: {study}: candidates[0].base_url:")
    assert "http(s) URL with a host" in err


def test_check_accepts_http_and_https_base_urls(tmp_path: Path, study_data: dict[str, Any]) -> None:
    urls = ["http://127.0.0.1:8080/v1", "https://example.openai.azure.com/openai", "http://[::1]/"]
    candidates = [
        {**study_data["candidates"][0], "name": f"c{i}", "base_url": url}
        for i, url in enumerate(urls)
    ]
    assert main(["check", str(_write(tmp_path, {**study_data, "candidates": candidates}))]) == 0


def test_check_names_every_unknown_provider_and_its_field(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    data = {
        **study_data,
        "candidates": [{**study_data["candidates"][0], "provider": "opneai"}],
        "judge_model": {"name": "judge", "provider": "antropic", "model": "m"},
        "dimensions": [
            {
                **study_data["dimensions"][0],
                "judge": {
                    "name": "correctness",
                    "model": {"name": "j2", "provider": "x", "model": "m"},
                },
            }
        ],
    }
    study = _write(tmp_path, data)
    assert main(["check", str(study)]) == 2
    err = one_line(capsys)
    assert err.startswith(f"error: {study}: candidates[0].provider: no provider named 'opneai'")
    assert "judge_model.provider: no provider named 'antropic'" in err
    assert "dimensions[0].judge.model.provider: no provider named 'x'" in err
    assert "anthropic, azure, bedrock, fake, gemini, openai, vertex" in err


def test_check_refuses_a_store_url_baton_cannot_open(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    study = _write(tmp_path, {**study_data, "store": "mysql://host/db"})
    assert main(["check", str(study)]) == 2
    assert f"error: {study}: store: store mysql://host/db: unsupported database" in one_line(capsys)
