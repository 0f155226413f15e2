from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.errors import StudyError
from baton.study import load_study, parse_study, study_fingerprint, study_json_schema


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_valid_study_loads_with_defaults(tmp_path: Path, study_data: dict[str, Any]) -> None:
    study = load_study(write(tmp_path, study_data))
    assert [m.name for m in study.models] == ["old", "new"]
    assert study.decision.confidence == 0.95
    assert study.traffic_shares == {"eu": 0.6, "us": 0.4}
    assert study.dimension("correctness").judge.categories == (0, 1)
    assert study.model("new").system_prompt == "Be brief."


def test_error_names_file_and_nested_field(tmp_path: Path, study_data: dict[str, Any]) -> None:
    study_data["dimensions"][0]["margin"] = 1.5
    path = write(tmp_path, study_data)
    with pytest.raises(StudyError) as info:
        load_study(path)
    assert str(path) in str(info.value)
    assert "dimensions[0].margin" in str(info.value)


def test_unknown_field_is_rejected(study_data: dict[str, Any]) -> None:
    study_data["incumbent"]["temprature"] = 0.3
    with pytest.raises(StudyError, match=r"incumbent\.temprature"):
        parse_study(study_data, source="s.yaml")


def test_shares_must_sum_to_one(study_data: dict[str, Any]) -> None:
    study_data["regions"][1]["traffic_share"] = 0.3
    with pytest.raises(StudyError, match=r"sum to 0\.9"):
        parse_study(study_data)


def test_duplicate_model_names_are_rejected(study_data: dict[str, Any]) -> None:
    study_data["candidates"][0]["name"] = "old"
    with pytest.raises(StudyError, match="'old' is used twice"):
        parse_study(study_data)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "study.yaml"
    path.write_text("name: x\nregions: [\n", encoding="utf-8")
    with pytest.raises(StudyError, match="line"):
        load_study(path)


def test_missing_file_is_a_study_error(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match=r"nope\.yaml"):
        load_study(tmp_path / "nope.yaml")


def test_fingerprint_changes_with_content(study_data: dict[str, Any]) -> None:
    first = study_fingerprint(parse_study(study_data))
    assert first == study_fingerprint(parse_study(json.loads(json.dumps(study_data))))
    study_data["dimensions"][0]["margin"] = 0.04
    assert study_fingerprint(parse_study(study_data)) != first


def test_json_schema_describes_the_study() -> None:
    schema = study_json_schema()
    assert schema["title"] == "Study"
    assert {"service", "incumbent", "candidates", "regions", "dimensions"} <= set(
        schema["properties"]
    )
