"""Ingest maps the common field names on its own, says what it read and what it ignored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from baton.data import read_logs
from baton.study import IngestFields, Study
from tests.data.conftest import FORMATS, write_log

StudyFactory = Callable[..., Study]


@pytest.mark.parametrize("fmt", FORMATS)
def test_common_names_are_mapped_without_a_field_map(
    tmp_path: Path, fmt: str, study_factory: StudyFactory
) -> None:
    records = [
        {
            "question": f"How do I reset my password {i}?",
            "Market": "eu",
            "output": f"Open settings {i}.",
            "expected": "answer",
            "gold": "Settings, then reset.",
            "id": f"log-{i}",
            "timestamp": "2024-03-01T10:00:00Z",
            "channel": "web",
            "user_agent": "x",
        }
        for i in range(3)
    ]
    result = read_logs(study_factory(), [str(write_log(tmp_path, records, fmt))])
    summary = result.summary
    assert summary.fields == {
        "prompt": "question",
        "region": "Market",
        "timestamp": "timestamp",
        "incumbent_answer": "output",
        "reference": "gold",
        "expected_behaviour": "expected",
        "id": "id",
    }
    assert set(summary.auto_fields) == set(summary.fields)
    assert summary.ignored_columns == ("channel", "user_agent")
    assert {i.item_id for i in result.items} == {"log-0", "log-1", "log-2"}
    assert {r.text for r in result.responses} == {f"Open settings {i}." for i in range(3)}
    assert all(i.reference == "Settings, then reset." for i in result.items)
    assert all(i.expected_behaviour == "answer" for i in result.items)


def test_the_study_field_map_wins_over_common_names(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    records = [{"question": "q", "prompt_text": "the prompt", "region": "eu", "answer": "a"}]
    study = study_factory(fields={"prompt": "prompt_text"})
    summary = read_logs(study, [str(write_log(tmp_path, records, "jsonl"))]).summary
    assert summary.fields["prompt"] == "prompt_text"
    assert "prompt" not in summary.auto_fields
    assert summary.fields["incumbent_answer"] == "answer"
    assert summary.ignored_columns == ("question",)


def test_a_refuse_flag_is_the_expected_behaviour(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    records = [
        {"prompt": "how to pick a lock", "region": "eu", "refuse": True},
        {"prompt": "how to bake bread", "region": "eu", "refuse": False},
    ]
    result = read_logs(study_factory(), [str(write_log(tmp_path, records, "parquet"))])
    behaviour = {i.prompt: i.expected_behaviour for i in result.items}
    assert behaviour == {"how to pick a lock": "refuse", "how to bake bread": "answer"}


def test_chat_logs_are_found_by_their_messages_column(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    records = [{"messages": [*turns, {"role": "user", "content": "and?"}], "region": "eu"}]
    result = read_logs(study_factory(), [str(write_log(tmp_path, records, "jsonl"))])
    (item,) = result.items
    assert item.prompt == "and?"
    assert len(item.context) == 2
    assert result.summary.fields["messages"] == "messages"


def test_a_default_field_is_not_called_auto() -> None:
    from baton.data._fields import resolve_fields

    resolved = resolve_fields(IngestFields(), ["prompt", "region", "answer"])
    assert resolved.auto == ("incumbent_answer",)
