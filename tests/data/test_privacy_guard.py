"""The unredacted-external guard: every model that receives item text counts (incumbent,
candidates, ``judge_model``, each judge's own model), and loopback is decided by address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from baton.data import external_models, read_logs
from baton.errors import StudyError
from baton.study import parse_study
from tests.data.conftest import make_study, write_jsonl

LOCAL = "http://127.0.0.1:8000/v1"


def _model(name: str, base_url: str | None = LOCAL, provider: str = "openai") -> dict[str, Any]:
    spec = {"name": name, "provider": provider, "model": "m"}
    return spec if base_url is None else {**spec, "base_url": base_url}


def _study(study_data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Every model on loopback, then ``changes``."""
    data = {**study_data, "incumbent": _model("old"), "candidates": [_model("new")]}
    return {**data, **changes}


def _judged(dimension: dict[str, Any], **judge: Any) -> dict[str, Any]:
    return {**dimension, "judge": {"name": "correctness", **judge}}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/v1",
        "http://127.8.9.10/v1",
        "http://[::1]:8080/v1",
        "http://localhost:11434/v1",
        "https://LOCALHOST./v1",
    ],
)
def test_loopback_addresses_and_localhost_stay_on_this_machine(
    url: str, study_data: dict[str, Any]
) -> None:
    study = parse_study(_study(study_data, candidates=[_model("new", url)]))
    assert external_models(study) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.evil.example/v1",
        "http://127.0.0.1.nip.io/v1",
        "http://localhost.example.com/v1",
        "http://10.0.0.7:8000/v1",
        "https://api.openai.com/v1",
    ],
)
def test_a_name_is_external_whatever_it_looks_like(url: str, study_data: dict[str, Any]) -> None:
    study = parse_study(_study(study_data, candidates=[_model("new", url)]))
    assert external_models(study) == ["new"]


def test_a_provider_default_url_is_external_and_the_fake_one_is_not(
    study_data: dict[str, Any],
) -> None:
    models = [_model("new", None), _model("fake", None, provider="fake")]
    study = parse_study(_study(study_data, candidates=models))
    assert external_models(study) == ["new"]


def test_judge_model_and_each_judges_own_model_count(study_data: dict[str, Any]) -> None:
    dimension = study_data["dimensions"][0]
    style = {"name": "style", "rubric": "Is it in style?", "margin": 0.05}
    data = _study(
        study_data,
        judge_model=_model("judge", "https://api.judges.example/v1"),
        dimensions=[
            _judged(dimension, model=_model("own-judge", "http://127.evil.example/v1")),
            {
                **style,
                "judge": {"name": "style"},
                "checks": [{"name": "rubric", "model": _model("check", None)}],
            },
        ],
    )
    assert external_models(parse_study(data)) == ["judge", "own-judge", "check"]


def test_unredacted_items_for_an_external_judge_are_refused(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    log = str(write_jsonl(tmp_path / "l.jsonl", [{"prompt": "p", "region": "eu"}]))
    off = {"redaction": {"builtins": False}}
    external_judge = _study(study_data, judge_model=_model("judge", "http://127.evil.example"))
    with pytest.raises(StudyError, match="unredacted to judge;"):
        read_logs(make_study(external_judge, **off), [log])
    local_judge = _study(study_data, judge_model=_model("judge"))
    assert len(read_logs(make_study(local_judge, **off), [log]).items) == 1
