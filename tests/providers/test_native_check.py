"""The native providers' study fields: validated when the study is read, checked against
their provider by ``baton check``, left out of the study's fingerprint and of the versions a
store recorded before they existed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.errors import StudyError
from baton.providers import model_problems
from baton.steps import check
from baton.study import ModelSpec, parse_study, study_fingerprint


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def native(study_data: dict[str, Any]) -> dict[str, Any]:
    return {
        **study_data,
        "incumbent": {
            "name": "old",
            "provider": "bedrock",
            "model": "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "region": "eu-west-1",
            "aws_profile": "migration",
        },
        "candidates": [
            {
                "name": "gem",
                "provider": "vertex",
                "model": "gemini-2.5-flash",
                "project": "my-project",
                "region": "europe-west4",
            },
            {
                "name": "az",
                "provider": "azure",
                "model": "gpt4o-prod",
                "base_url": "https://res.openai.azure.com",
                "api_version": "2024-10-21",
                "entra_id": True,
            },
        ],
    }


def test_check_accepts_a_study_on_three_platforms(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    checked = check(write(tmp_path, native(study_data)))
    assert [m.provider for m in checked.study.models] == ["bedrock", "vertex", "azure"]


def test_check_names_each_misplaced_or_missing_field(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    data = native(study_data)
    data["incumbent"] = {
        **data["incumbent"],
        "project": "my-project",
        "entra_id": True,
        "api_key_env": "AWS_KEY",
    }
    data["candidates"][0] = {**data["candidates"][0], "api_key_env": "VERTEX_KEY"}
    data["candidates"][1] = {
        **data["candidates"][1],
        "base_url": None,
        "region": "westeurope",
        "api_key_env": "AZURE_KEY",
    }
    with pytest.raises(StudyError) as caught:
        check(write(tmp_path, data))
    assert dict(caught.value.problems) == {
        "incumbent.project": "only the vertex provider reads it, not bedrock",
        "incumbent.entra_id": "only the azure provider reads it, not bedrock",
        "incumbent.api_key_env": "bedrock reads no key variable: its credentials come from "
        "the AWS chain (aws_profile, AWS_* variables, AWS_BEARER_TOKEN_BEDROCK)",
        "candidates[1].api_key_env": "azure takes an API key or entra_id: true, not both",
        "candidates[0].api_key_env": "vertex takes a project (Application Default Credentials) "
        "or an express-mode API key, not both",
        "candidates[1].region": "only the bedrock and vertex providers read it, not azure",
        "candidates[1].base_url": "provider azure needs the resource's endpoint, e.g. "
        "https://my-resource.openai.azure.com",
    }


def test_a_provider_baton_does_not_ship_may_read_any_field() -> None:
    spec = ModelSpec(name="m", provider="mycloud", model="x", region="eu-1", project="my-project")
    assert model_problems(spec) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("region", "EU West 1"),
        ("aws_profile", "a profile"),
        ("project", "X"),
        ("api_version", "latest-and-greatest"),
    ],
)
def test_malformed_platform_fields_are_refused_naming_the_field(
    study_data: dict[str, Any], field: str, value: str
) -> None:
    data = native(study_data)
    data["incumbent"] = {**data["incumbent"], field: value}
    with pytest.raises(StudyError) as caught:
        parse_study(data, source="study.yaml")
    assert [where for where, _ in caught.value.problems] == [f"incumbent.{field}"]


def test_where_a_model_is_called_from_changes_no_fingerprint(study_data: dict[str, Any]) -> None:
    data = native(study_data)
    moved = {**data, "incumbent": {**data["incumbent"], "region": "us-east-1", "aws_profile": None}}
    assert study_fingerprint(parse_study(data)) == study_fingerprint(parse_study(moved))
    other = {**data, "incumbent": {**data["incumbent"], "model": "meta.llama3-70b-instruct-v1:0"}}
    assert study_fingerprint(parse_study(data)) != study_fingerprint(parse_study(other))


def test_studies_without_the_fields_keep_their_version_document(study_data: dict[str, Any]) -> None:
    from baton.steps._versions import study_document

    document = study_document(parse_study(study_data))
    assert "region" not in document["incumbent"]
    assert "entra_id" not in document["candidates"][0]
    data = native(study_data)
    assert study_document(parse_study(data))["incumbent"]["region"] == "eu-west-1"
