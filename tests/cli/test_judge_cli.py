"""``baton judge`` and ``baton judges`` on a replayed store (fake models, fake judge model)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.cli.main import main
from baton.domain import Item, Label
from baton.storage import default_store_url, open_store
from tests.judges.conftest import JUDGE_MODEL


def judged_study_file(tmp_path: Path, study_data: dict[str, Any]) -> Path:
    data = copy.deepcopy(study_data)
    data["judge_model"] = dict(JUDGE_MODEL)
    data["dimensions"] = [
        {
            "name": "correctness",
            "rubric": "Is it correct?",
            "margin": 0.05,
            "checks": [{"name": "length", "options": {"max_words": 3}}],
        }
    ]
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    store = open_store(default_store_url(path))
    store.add_items([Item(f"q{i}", "eu", f"question {i}") for i in range(3)])
    store.close()
    assert main(["replay", str(path)]) == 0
    return path


def test_judge_stores_a_verdict_per_response_and_judge_then_nothing(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = judged_study_file(tmp_path, study_data)
    capsys.readouterr()
    # The fake judge model echoes its prompt: never JSON, so the LLM judge abstains (asked
    # twice): 6 of 12 judgments, above --max-failures, so the step fails loudly.
    assert main(["judge", str(path)]) == 4
    captured = capsys.readouterr()
    out, err = captured.out, " ".join(captured.err.split())
    assert "12 verdicts stored of 12 pending" in out
    assert "6 abstentions" in out
    assert "judge: 6 of 12 failed or abstained (50.0%, above --max-failures 0.05)" in err
    assert "6 unparseable twice, e.g. unparseable twice: not a JSON object" in err
    assert "baton judge --rejudge abstained" in err
    store = open_store(default_store_url(path))
    verdicts = store.verdicts()
    store.add_labels([Label(f"q{i}", "old", "correctness", "ann", 1) for i in range(3)])
    store.close()
    llm = [v for v in verdicts if v.judge == "correctness"]
    assert all(v.category is None and "unparseable twice" in (v.abstention or "") for v in llm)
    length = [v for v in verdicts if v.judge == "length"]
    assert {v.category for v in length} == {0}  # "m-old answers: question 0" is 4 words
    assert main(["judge", str(path)]) == 0
    assert "0 verdicts stored of 0 pending" in capsys.readouterr().out
    assert main(["judges", str(path)]) == 0
    table = capsys.readouterr().out
    assert "Judges against the human labels so far" in table
    assert "length" in table
    assert "0.00" in table  # length fails every answer the humans passed


def test_judges_writes_the_templates_to_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["judges", "--templates", str(tmp_path / "t")]) == 0
    names = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert names == [
        "_conversation.j2", "correctness.j2", "pairwise.j2", "refusal.j2", "rubric.j2",
        "style.j2",
    ]  # fmt: skip
    assert "{{ answer }}" in (tmp_path / "t" / "correctness.j2").read_text(encoding="utf-8")


def test_a_judge_without_a_model_is_a_usage_error_naming_the_field(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = judged_study_file(tmp_path, study_data)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["judge_model"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    capsys.readouterr()
    assert main(["judge", str(path)]) == 2
    err = capsys.readouterr().err
    assert "dimensions[0].judge" in err
    assert "set judge_model" in err


def test_a_dry_run_prints_the_judge_calls_and_cost_and_calls_nothing(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = judged_study_file(tmp_path, study_data)
    capsys.readouterr()
    assert main(["judge", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run: what judging would do now" in out
    assert "dry run: 6 judge calls" in out
    store = open_store(default_store_url(path))
    assert store.verdicts() == []
    store.close()
    assert main(["judge", str(path), "--max-failures", "0.5"]) == 0
    capsys.readouterr()
    assert main(["judge", str(path), "--dry-run"]) == 0
    assert "dry run: 0 judge calls" in capsys.readouterr().out


def test_rejudge_abstained_asks_the_judge_model_again_past_the_cache(
    tmp_path: Path, study_data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = judged_study_file(tmp_path, study_data)
    assert main(["judge", str(path)]) == 4
    capsys.readouterr()
    assert main(["judge", str(path), "--rejudge", "abstained"]) == 4
    out = " ".join(capsys.readouterr().out.split())
    assert "6 verdicts stored of 6 pending" in out
    assert " judge 12 0 12 " in out  # 12 calls (each asked twice), none from the cache
    assert main(["judge", str(path), "--rejudge", "everything"]) == 2
