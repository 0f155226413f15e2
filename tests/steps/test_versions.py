"""What an edit of the study invalidates, field by field, against the last version seen."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from baton.steps import record_version, study_changes
from baton.steps._versions import diff_studies, study_document
from baton.storage import Store, open_store
from baton.study import parse_study, study_fingerprint


@pytest.fixture
def store() -> Any:
    opened = open_store("sqlite://")
    yield opened
    opened.close()


def edited(study_data: dict[str, Any], edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(study_data)
    edit(data)
    return parse_study(data).model_dump(mode="json")


def changes(study_data: dict[str, Any], edit: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    before = parse_study(study_data).model_dump(mode="json")
    return [(c.path, c.scope, c.models) for c in diff_studies(before, edited(study_data, edit))]


def test_a_models_request_fields_invalidate_its_responses(study_data: dict[str, Any]) -> None:
    def base_url(d: dict[str, Any]) -> None:
        d["candidates"][0]["base_url"] = "http://127.0.0.1:8000/v1"
        d["candidates"][0]["parameters"] = {"max_tokens": 64}
        d["incumbent"]["system_prompt"] = "Be kind."

    assert changes(study_data, base_url) == [
        ("incumbent.system_prompt", "responses", ("old",)),
        ("candidates[new].base_url", "responses", ("new",)),
        ("candidates[new].parameters.max_tokens", "responses", ("new",)),
    ]


def test_the_service_prompt_invalidates_every_models_responses(
    study_data: dict[str, Any],
) -> None:
    def prompt(d: dict[str, Any]) -> None:
        d["service"]["parameters"] = {"temperature": 0.2}

    assert changes(study_data, prompt) == [
        ("service.parameters.temperature", "responses", ("old", "new"))
    ]


def test_prices_limits_margins_and_judges_invalidate_what_they_should(
    study_data: dict[str, Any],
) -> None:
    def many(d: dict[str, Any]) -> None:
        d["candidates"][0]["price_per_mtok_output"] = 3.0
        d["candidates"][0]["rpm"] = 60
        d["dimensions"][0]["margin"] = 0.02
        d["dimensions"][0]["judge"]["options"] = {"strict": True}
        d["labels"]["budget"] = 300
        d["decision"] = {"confidence": 0.9}

    found = {path: scope for path, scope, _ in changes(study_data, many)}
    assert found == {
        "candidates[new].price_per_mtok_output": "nothing",
        "candidates[new].rpm": "nothing",
        "dimensions[correctness].margin": "decisions",
        "dimensions[correctness].judge.options.strict": "verdicts",
        "labels.budget": "decisions",
        "decision.confidence": "decisions",
    }


def test_the_ingest_mapping_invalidates_the_items(study_data: dict[str, Any]) -> None:
    def mapping(d: dict[str, Any]) -> None:
        d["ingest"] = {"fields": {"prompt": "question"}}

    found = changes(study_data, mapping)
    assert found
    assert {scope for _, scope, _ in found} == {"items"}


def test_a_new_candidate_is_one_change(study_data: dict[str, Any]) -> None:
    def add(d: dict[str, Any]) -> None:
        d["candidates"].append({"name": "third", "provider": "fake", "model": "m-3"})

    assert changes(study_data, add) == [("candidates[third]", "responses", ("third",))]


def test_changes_are_against_the_last_version_recorded(
    study_data: dict[str, Any], store: Store
) -> None:
    first = parse_study(study_data)
    assert study_changes(store, first).previous is None
    recorded = record_version(store, first)
    assert (recorded.new_version, recorded.changes) == (True, ())
    second = parse_study(edited(study_data, lambda d: d["dimensions"][0].update(margin=0.1)))
    found = study_changes(store, second)
    assert [c.path for c in found.changes] == ["dimensions[correctness].margin"]
    assert found.lines() == [
        "dimensions[correctness].margin: 0.05 -> 0.1 (nothing stored; only the decisions; "
        "nothing to redo: decisions are computed anew (baton decide, baton report))"
    ]
    assert store.study_versions()[-1].digest == recorded.digest, "a read records nothing"
    record_version(store, second)
    back = record_version(store, first)
    assert [c.path for c in back.changes] == ["dimensions[correctness].margin"]
    assert not back.new_version
    assert [v.digest for v in store.study_versions()][-1] == recorded.digest


def test_the_ingest_engine_changes_nothing_stored(study_data: dict[str, Any]) -> None:
    def on_spark(d: dict[str, Any]) -> None:
        d["ingest"] = {"engine": "spark", "spark": {"remote": "sc://spark.internal:15002"}}

    found = changes(study_data, on_spark)
    assert {scope for path, scope, _ in found if ".engine" in path or ".spark" in path} == {
        "nothing"
    }
    plain = parse_study({**study_data, "ingest": {}})
    spark = parse_study({**study_data, "ingest": {"engine": "spark"}})
    assert study_fingerprint(spark) == study_fingerprint(plain)
    assert "engine" not in study_document(plain)["ingest"]  # versions recorded before stay
    assert study_document(spark)["ingest"]["engine"] == "spark"


def test_an_upgrade_alone_is_not_a_new_version() -> None:
    """Fields added to the study since versions were first recorded (the native providers',
    batch prices, the ingest engine, address redaction) are left out of a version's document
    while unset, so a store recorded by an earlier Baton sees no change after an upgrade.
    The digest below is the example study's as the release before them recorded it."""
    import yaml

    from baton.steps._versions import study_digest
    from baton.study import example_study_text

    study = parse_study(yaml.safe_load(example_study_text()))
    assert study_digest(study) == "e8d746d8d11abaef"
