"""Reading logs into items: field maps, exact sample sizes, dedup weights, windows, filters."""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from baton.data import IngestOptions, read_logs
from baton.domain import Message
from baton.errors import InputError, StudyError
from baton.study import Study
from tests.data.conftest import FORMATS, write_jsonl, write_log

StudyFactory = Callable[..., Study]


def traffic(counts: dict[str, int], *, repeats: int = 1) -> list[dict[str, Any]]:
    """``counts[region]`` distinct prompts per region, each logged ``repeats`` times."""
    return [
        {"prompt": f"{region} question {i}", "region": region, "answer": f"answer {i}"}
        for region, n in counts.items()
        for i in range(n)
        for _ in range(repeats)
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_single_prompt_log_maps_every_field(
    tmp_path: Path, fmt: str, study_factory: StudyFactory
) -> None:
    record = {
        "q": "Where is my order? Mail me at jo@example.com",
        "geo": "eu",
        "tier": "pro",
        "answer": "It ships today, jo@example.com.",
        "gold": "Tomorrow",
        "behaviour": "answer",
        "when": "2024-03-01T10:00:00Z",
    }
    study = study_factory(
        fields={
            "prompt": "q",
            "region": "geo",
            "segment": "tier",
            "incumbent_answer": "answer",
            "reference": "gold",
            "expected_behaviour": "behaviour",
            "timestamp": "when",
        }
    )
    result = read_logs(study, [str(write_log(tmp_path, [record], fmt))])
    (item,) = result.items
    assert (item.region, item.segment, item.reference) == ("eu", "pro", "Tomorrow")
    assert item.prompt == "Where is my order? Mail me at [EMAIL]"
    assert item.expected_behaviour == "answer"
    assert item.context == ()
    (logged,) = result.responses
    assert (logged.item_id, logged.model, logged.source) == (item.item_id, "old", "logged")
    assert logged.text == "It ships today, [EMAIL]."
    assert result.summary.redactions == {
        "incumbent_answer": {"email": 1},
        "prompt": {"email": 1},
        "reference": {},
    }


CHAT = [
    {"role": "system", "content": "You are a bot."},
    {"role": "user", "content": "Hi, I am +44 20 7946 0958"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "Cancel my plan"},
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_chat_log_takes_the_last_user_turn_as_the_prompt(
    tmp_path: Path, fmt: str, study_factory: StudyFactory
) -> None:
    study = study_factory(fields={"messages": "conversation"})
    log = write_log(tmp_path, [{"conversation": CHAT, "region": "us"}], fmt)
    result = read_logs(study, [str(log)])
    (item,) = result.items
    assert item.prompt == "Cancel my plan"
    assert item.context == (Message("user", "Hi, I am [PHONE]"), Message("assistant", "Hello!"))
    assert result.responses == ()
    assert result.summary.redactions["context"] == {"phone": 1}


def test_chat_history_with_a_separate_prompt_column_is_all_context(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    study = study_factory(fields={"messages": "history", "prompt": "prompt"})
    records = [{"history": CHAT[:3], "prompt": "And now?", "region": "eu"}]
    (item,) = read_logs(study, [str(write_jsonl(tmp_path / "l.jsonl", records))]).items
    assert item.prompt == "And now?"
    assert [m.role for m in item.context] == ["user", "assistant"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_proportional_sample_sizes_per_region_are_exact(
    tmp_path: Path, fmt: str, study_factory: StudyFactory
) -> None:
    study = study_factory(sampling={"size": 50})
    log = write_log(tmp_path, traffic({"eu": 600, "us": 300, "apac": 100}), fmt)
    result = read_logs(study, [str(log)])
    assert Counter(item.region for item in result.items) == {"eu": 30, "us": 15, "apac": 5}
    for item in result.items:
        share = {"eu": 30 / 600, "us": 15 / 300, "apac": 5 / 100}[item.region]
        assert item.inclusion_prob == pytest.approx(share)
        assert item.weight == pytest.approx(1 / share)


@pytest.mark.parametrize(
    ("sampling", "expected"),
    [
        ({"size": 30, "allocation": "equal"}, {"eu": 10, "us": 10, "apac": 10}),
        ({"allocation": "custom", "per_region": {"eu": 7, "apac": 2}}, {"eu": 7, "apac": 2}),
        ({"size": 40, "allocation": "equal"}, {"eu": 13, "us": 13, "apac": 12}),  # no top-up
    ],
)
def test_equal_and_custom_allocations(
    tmp_path: Path, study_factory: StudyFactory, sampling: dict[str, Any], expected: dict[str, int]
) -> None:
    study = study_factory(sampling=sampling)
    log = write_jsonl(tmp_path / "l.jsonl", traffic({"eu": 600, "us": 300, "apac": 12}))
    result = read_logs(study, [str(log)])
    assert Counter(item.region for item in result.items) == expected


def test_a_region_with_too_few_prompts_gives_all_it_has_and_says_so(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    study = study_factory(sampling={"size": 30, "allocation": "equal"})
    log = write_jsonl(tmp_path / "l.jsonl", traffic({"eu": 600, "us": 300, "apac": 4}))
    result = read_logs(study, [str(log)])
    assert Counter(item.region for item in result.items) == {"eu": 10, "us": 10, "apac": 4}
    assert all(item.inclusion_prob == 1.0 for item in result.items if item.region == "apac")
    assert any("apac: 10 items asked for, only 4" in w for w in result.summary.warnings)


def test_dedup_keeps_each_prompt_once_with_its_frequency_as_weight(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    records = traffic({"eu": 10}) + traffic({"eu": 5}, repeats=3)  # prompts 0-4 seen 4 times
    study = study_factory(sampling={"size": 10})
    result = read_logs(study, [str(write_jsonl(tmp_path / "l.jsonl", records))])
    frequencies = {item.prompt: item.frequency for item in result.items}
    assert frequencies == {f"eu question {i}": 4 if i < 5 else 1 for i in range(10)}
    assert sum(item.weight for item in result.items) == pytest.approx(len(records))
    assert result.summary.duplicates == 15
    assert len({item.item_id for item in result.items}) == 10


def test_without_dedup_every_record_is_its_own_item(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    records = traffic({"eu": 4}, repeats=3)
    study = study_factory(sampling={"size": 12, "dedup": False})
    result = read_logs(study, [str(write_jsonl(tmp_path / "l.jsonl", records))])
    assert len(result.items) == 12
    assert len({item.item_id for item in result.items}) == 12
    assert {item.frequency for item in result.items} == {1}


def test_secondary_strata_share_each_region_by_traffic(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    records = [
        {"prompt": f"q{i}", "region": "eu", "plan": "free" if i % 4 else "pro"} for i in range(400)
    ]
    study = study_factory(sampling={"size": 20, "strata": ["plan"]})
    result = read_logs(study, [str(write_jsonl(tmp_path / "l.jsonl", records))])
    plans = Counter("pro" if int(item.prompt[1:]) % 4 == 0 else "free" for item in result.items)
    assert plans == {"free": 15, "pro": 5}


def test_the_same_seed_draws_the_same_sample(tmp_path: Path, study_factory: StudyFactory) -> None:
    log = str(write_jsonl(tmp_path / "l.jsonl", traffic({"eu": 500, "us": 500})))
    study = study_factory(sampling={"size": 20})
    first = read_logs(study, [log]).items
    assert read_logs(study, [log]).items == first
    other = read_logs(study, [log], options=IngestOptions(seed=1)).items
    assert {i.item_id for i in other} != {i.item_id for i in first}
    assert len(other) == len(first)


def test_a_time_window_and_a_where_clause_filter_records(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    records = [
        {
            "prompt": f"q{i}",
            "region": "eu",
            "ts": f"2024-0{1 + i % 3}-15T12:00:00+00:00",
            "channel": "web" if i % 2 else "app",
        }
        for i in range(60)
    ]
    study = study_factory(
        fields={"timestamp": "ts"},
        sampling={"size": 100, "since": "2024-02-01", "until": "2024-03-01T00:00:00Z"},
    )
    log = str(write_jsonl(tmp_path / "l.jsonl", records))
    options = IngestOptions(where="channel = 'web'")
    result = read_logs(study, [log], options=options)
    assert sorted(int(item.prompt[1:]) for item in result.items) == [
        i for i in range(60) if i % 3 == 1 and i % 2
    ]
    assert result.summary.where_filtered == 30
    assert result.summary.outside_window == 20


def test_several_files_gzip_and_globs(tmp_path: Path, study_factory: StudyFactory) -> None:
    write_jsonl(tmp_path / "a.jsonl.gz", traffic({"eu": 3}), compress=True)
    write_log(tmp_path, traffic({"us": 2}), "csv", name="b")
    write_log(tmp_path, traffic({"apac": 1}), "parquet", name="c")
    study = study_factory(sampling={"size": 100, "allocation": "equal"})
    result = read_logs(
        study, [str(tmp_path / "*.jsonl.gz"), str(tmp_path / "b.csv"), str(tmp_path / "c.*")]
    )
    assert Counter(item.region for item in result.items) == {"eu": 3, "us": 2, "apac": 1}
    assert [f.format for f in result.summary.files] == ["jsonl", "csv", "parquet"]


def test_records_outside_the_study_regions_are_counted_not_drawn(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    log = write_jsonl(tmp_path / "l.jsonl", traffic({"eu": 5, "mars": 7}))
    result = read_logs(study_factory(), [str(log)])
    assert {item.region for item in result.items} == {"eu"}
    assert result.summary.outside_regions == {"mars": 7}


def test_unredacted_prompts_to_an_external_model_are_refused(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    from tests.data.conftest import make_study

    log = str(write_jsonl(tmp_path / "l.jsonl", traffic({"eu": 2})))
    off = {"redaction": {"builtins": False}}
    external = {**study_data, "candidates": [{"name": "gpt", "provider": "openai", "model": "x"}]}
    with pytest.raises(StudyError, match="unredacted to gpt"):
        read_logs(make_study(external, **off), [log])
    local = {
        **study_data,
        "candidates": [
            {
                "name": "gpt",
                "provider": "openai",
                "model": "x",
                "base_url": "http://127.0.0.1:8000/v1",
            }
        ],
    }
    assert len(read_logs(make_study(local, **off), [log]).items) == 2
    allowed = {"redaction": {"builtins": False, "refuse_unredacted_external": False}}
    assert len(read_logs(make_study(external, **allowed), [log]).items) == 2


def test_a_gzip_file_that_is_cut_short_is_an_input_error(
    tmp_path: Path, study_factory: StudyFactory
) -> None:
    whole = gzip.compress(b'{"prompt": "x", "region": "eu"}\n' * 1000)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError) as caught:
        read_logs(study_factory(), [str(path)])
    assert caught.value.source == str(path)
