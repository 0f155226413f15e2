"""Strict parsing of a judge's answer: valid, fenced, invalid, truncated, declined."""

from __future__ import annotations

import pytest

from baton.errors import JudgeOutputError
from baton.judges import CANNOT_JUDGE, OUTPUTS, parse_output


@pytest.mark.parametrize(
    ("text", "kind", "choice"),
    [
        ('{"rationale": "fine", "verdict": "pass"}', "binary", "pass"),
        ('  {"verdict": "fail", "rationale": "wrong year"}\n', "binary", "fail"),
        ('```json\n{"rationale": "ok", "verdict": "pass"}\n```', "binary", "pass"),
        ('{"rationale": "ok", "score": "4"}', "likert5", "4"),
        ('{"rationale": "ok", "score": 2}', "likert5", "2"),
        ('{"rationale": "declines", "behaviour": "refused"}', "refusal", "refused"),
        ('{"rationale": "b is right", "better": "B"}', "pairwise", "B"),
        ('{"rationale": "empty answer", "verdict": "cannot_judge"}', "binary", CANNOT_JUDGE),
    ],
)
def test_valid_answers_parse(text: str, kind: str, choice: str) -> None:
    parsed = parse_output(text, kind)  # type: ignore[arg-type]
    assert parsed.choice == choice
    assert parsed.declined == (choice == CANNOT_JUDGE)


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ("", "binary", "empty"),
        ("The answer is correct.", "binary", "not a JSON object"),
        ('Sure! {"rationale": "x", "verdict": "pass"}', "binary", "not a JSON object"),
        ('{"rationale": "x", "verdict": "pa', "binary", "not a JSON object"),
        ('["pass"]', "binary", "not a JSON object"),
        ("[" * 1_500 + "]" * 1_500, "binary", "nested too deeply"),
        ('{"rationale": "x"}', "binary", "no 'verdict' field"),
        ('{"rationale": "x", "verdict": "PASS"}', "binary", "is not one of"),
        ('{"rationale": "x", "verdict": true}', "binary", "is not one of"),
        ('{"rationale": "x", "score": 6}', "likert5", "is not one of"),
        ('{"rationale": "x", "score": 4.5}', "likert5", "is not one of"),
        ('{"rationale": "x", "behaviour": "maybe"}', "refusal", "is not one of"),
    ],
)
def test_invalid_answers_are_errors_never_scores(text: str, kind: str, reason: str) -> None:
    with pytest.raises(JudgeOutputError, match=reason):
        parse_output(text, kind)  # type: ignore[arg-type]


def test_a_truncated_answer_is_an_error_even_when_it_parses() -> None:
    with pytest.raises(JudgeOutputError, match="cut off"):
        parse_output('{"rationale": "x", "verdict": "pass"}', "binary", finish_reason="length")


def test_every_schema_requires_both_fields_and_allows_declining() -> None:
    for spec in OUTPUTS.values():
        schema = spec.schema
        assert schema["required"] == ["rationale", spec.field]
        assert schema["additionalProperties"] is False
        assert CANNOT_JUDGE in schema["properties"][spec.field]["enum"]
        assert all(f'"{c}"' in spec.instruction for c in spec.choices)
