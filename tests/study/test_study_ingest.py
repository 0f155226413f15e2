"""The ``ingest:`` section of study.yaml: optional, defaulted, validated field by field."""

from __future__ import annotations

from typing import Any

import pytest

from baton.errors import StudyError
from baton.study import IngestSpec, parse_study, study_fingerprint


def with_ingest(study_data: dict[str, Any], ingest: Any) -> dict[str, Any]:
    return {**study_data, "ingest": ingest}


def test_the_section_is_optional_and_leaves_the_fingerprint_alone(
    study_data: dict[str, Any],
) -> None:
    study = parse_study(study_data)
    assert study.ingest is None
    assert study_fingerprint(study) == study_fingerprint(parse_study(with_ingest(study_data, None)))
    changed = parse_study(with_ingest(study_data, {"sampling": {"size": 50}}))
    assert study_fingerprint(changed) != study_fingerprint(study)


def test_defaults() -> None:
    spec = IngestSpec()
    assert (spec.fields.prompt, spec.fields.region, spec.fields.messages) == (
        "prompt",
        "region",
        None,
    )
    assert (spec.sampling.size, spec.sampling.allocation, spec.sampling.dedup) == (
        1000,
        "proportional",
        True,
    )
    assert spec.redaction.builtins
    assert spec.redaction.refuse_unredacted_external


def test_messages_alone_replace_the_prompt_column(study_data: dict[str, Any]) -> None:
    study = parse_study(with_ingest(study_data, {"fields": {"messages": "conversation"}}))
    assert study.ingest is not None
    assert (study.ingest.fields.prompt, study.ingest.fields.messages) == (None, "conversation")


def test_custom_allocation_sets_the_size(study_data: dict[str, Any]) -> None:
    ingest = {"sampling": {"allocation": "custom", "per_region": {"eu": 30, "us": 20}}}
    study = parse_study(with_ingest(study_data, ingest))
    assert study.ingest is not None
    assert study.ingest.sampling.total == 50


@pytest.mark.parametrize(
    ("ingest", "field", "message"),
    [
        ({"fields": {"prompt": None}}, "ingest.fields", "map the prompt"),
        ({"sampling": {"allocation": "custom"}}, "ingest.sampling", "per_region goes with"),
        ({"sampling": {"per_region": {"eu": 1}}}, "ingest.sampling", "per_region goes with"),
        (
            {"sampling": {"allocation": "custom", "per_region": {"mars": 3}}},
            "(top level)",
            "'mars' is not a region",
        ),
        (
            {"sampling": {"allocation": "custom", "per_region": {"eu": 3}, "size": 5}},
            "ingest.sampling",
            "size must equal",
        ),
        (
            {"sampling": {"since": "2025-02-01", "until": "2025-01-01"}},
            "ingest.sampling",
            "since must be before until",
        ),
        ({"sampling": {"strata": ["a", "a"]}}, "ingest.sampling", "named twice"),
        ({"sampling": {"size": 0}}, "ingest.sampling.size", "greater than or equal to 1"),
        (
            {"redaction": {"patterns": [{"name": "x", "pattern": "("}]}},
            "ingest.redaction.patterns[0].pattern",
            "not a valid regular expression",
        ),
        (
            {"redaction": {"patterns": [{"name": "x", "pattern": "a*"}]}},
            "ingest.redaction.patterns[0].pattern",
            "matches the empty string",
        ),
        ({"redaction": {"function": "no colon"}}, "ingest.redaction.function", "pattern"),
        ({"sampling": {"sise": 10}}, "ingest.sampling.sise", "Extra inputs"),
    ],
)
def test_invalid_sections_name_the_field(
    study_data: dict[str, Any], ingest: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(StudyError) as caught:
        parse_study(with_ingest(study_data, ingest), source="study.yaml")
    assert any(f == field and message in m for f, m in caught.value.problems), caught.value


def test_the_address_detector_is_off_and_out_of_the_fingerprint_unless_asked(
    study_data: dict[str, Any],
) -> None:
    plain = parse_study(with_ingest(study_data, {"sampling": {"size": 50}}))
    assert plain.ingest is not None
    assert not plain.ingest.redaction.addresses
    off = parse_study(
        with_ingest(study_data, {"sampling": {"size": 50}, "redaction": {"addresses": False}})
    )
    on = parse_study(
        with_ingest(study_data, {"sampling": {"size": 50}, "redaction": {"addresses": True}})
    )
    assert study_fingerprint(off) == study_fingerprint(plain)
    assert study_fingerprint(on) != study_fingerprint(plain)
    assert on.ingest is not None
    assert on.ingest.redaction.active
