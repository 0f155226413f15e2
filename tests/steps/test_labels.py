"""Labels from anywhere: a blinded sheet out, filled by hand or in Label Studio or Argilla,
back in, into the labels the decisions read."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from baton.analysis import StudyResult
from baton.calibration import ALL_REGIONS
from baton.errors import InputError
from baton.steps import (
    DemoOptions,
    decide,
    labels_export,
    labels_import,
    next_units,
    run_demo,
    study_result,
    study_store,
)
from baton.storage import open_store

MODELS = ("incumbent", "cand-a", "cand-b")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, options=DemoOptions(log_items_per_region=300, sample_per_region=180))
    return out


@pytest.fixture
def study(demo_dir: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo study and its store for each test."""
    copy = tmp_path / "study"
    shutil.copytree(demo_dir, copy)
    return copy / "study.yaml"


def _store_labels(study: Path) -> list[tuple[str, str, str, str, int, float]]:
    store = open_store(f"sqlite:///{study.parent / 'baton.db'}")
    try:
        return [
            (x.item_id, x.model, x.dimension, x.rater, x.value, x.inclusion_prob)
            for x in store.labels()
        ]
    finally:
        store.close()


def _answers(study: Path) -> dict[tuple[str, str], str | None]:
    store = open_store(f"sqlite:///{study.parent / 'baton.db'}")
    try:
        return {(r.item_id, r.model): r.text for r in store.responses()}
    finally:
        store.close()


def _labelled(result: StudyResult) -> int:
    return sum(e.n_labelled for e in result.estimates if e.stratum.region != ALL_REGIONS)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _fill(rows: list[dict[str, str]], value: Callable[[int, str], str]) -> None:
    for index, row in enumerate(rows):
        for key in list(row):
            if key.startswith("label_"):
                row[key] = value(index, key)


def test_a_sheet_is_blinded_and_has_what_a_rater_needs(study: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "next.csv"
    export = labels_export(study, 12, sheet)
    rows = _read_csv(sheet)
    assert len(rows) == len(export.sheet.rows) == 4  # 12 labels = 4 units x 3 models
    # the simulated answers name their model; nothing else on the sheet does
    blinded = [v for row in rows for k, v in row.items() if not k.startswith("answer_")]
    assert not any(model in value for model in MODELS for value in [*blinded, *rows[0]])
    for column in ("unit", "prompt", "context", "rubric", "inclusion_prob", "rater", "note"):
        assert column in rows[0]
    for letter in "ABC":
        assert all(row[f"answer_{letter}"] for row in rows)
        assert all(row[f"label_{letter}"] == "" for row in rows)
    assert all(0 < float(row["inclusion_prob"]) <= 1 for row in rows)
    planned = next_units(study, 12)
    assert [(r["item_id"], r["dimension"]) for r in rows] == [
        (u.item_id, u.dimension) for u in planned
    ]


def test_the_order_of_answers_is_drawn_per_row(study: Path, tmp_path: Path) -> None:
    """Over many rows, each model stands at every position: the order is not fixed."""
    labels_export(study, 120, tmp_path / "sheet.csv")
    answers = _answers(study)
    rows = _read_csv(tmp_path / "sheet.csv")
    first = set()
    for row in rows:
        first |= {m for m in MODELS if answers[(row["item_id"], m)] == row["answer_A"]}
    assert first == set(MODELS)


def test_round_trip_sheet_filled_imported_feeds_the_decision(study: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "next.csv"
    labels_export(study, 30, sheet)
    rows = _read_csv(sheet)
    _fill(rows, lambda i, key: "pass" if (i + ord(key[-1])) % 3 else "fail")
    _write_csv(sheet, rows)
    with study_store(study) as opened:
        before = _labelled(study_result(opened))
    stored_before = len(_store_labels(study))

    imported = labels_import(study, sheet, rater="ana")

    assert imported.labels == imported.written == 30
    stored = _store_labels(study)
    assert len(stored) == stored_before + 30
    answers = _answers(study)
    ours = {(i, m, d): (v, p) for i, m, d, r, v, p in stored if r == "ana"}
    for index, row in enumerate(rows):
        for letter in "ABC":
            shown = row[f"answer_{letter}"]
            model = next(
                m
                for m in MODELS
                if (row["item_id"], m, row["dimension"]) in ours
                and answers[(row["item_id"], m)] == shown
            )
            value, prob = ours[(row["item_id"], model, row["dimension"])]
            assert value == (0 if (index + ord(letter)) % 3 == 0 else 1)
            assert prob == pytest.approx(float(row["inclusion_prob"]))
    assert _labelled(decide(study)) == before + 30


def test_importing_the_same_file_again_adds_nothing(study: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "next.csv"
    labels_export(study, 9, sheet)
    rows = _read_csv(sheet)
    _fill(rows, lambda _i, _k: "1")
    _write_csv(sheet, rows)
    first = labels_import(study, sheet, rater="ana")
    count = len(_store_labels(study))
    again = labels_import(study, sheet, rater="ana")
    assert (first.written, again.written, again.labels) == (9, 0, 9)
    assert len(_store_labels(study)) == count


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda rows: rows[2].update(label_B="maybe"), r"next\.csv, row 4, field 'label_B'"),
        (lambda rows: rows[1].update(unit="f00d"), r"next\.csv, row 3, field 'unit': unknown unit"),
        (lambda rows: rows[0].update(label_D="pass"), r"row 2, field 'label_D': unknown position"),
    ],
)
def test_a_bad_row_fails_the_whole_file(
    study: Path, tmp_path: Path, change: Callable[[list[dict[str, str]]], None], expected: str
) -> None:
    sheet = tmp_path / "next.csv"
    labels_export(study, 9, sheet)
    rows = _read_csv(sheet)
    _fill(rows, lambda _i, _k: "yes")
    for row in rows:
        row["label_D"] = ""
    change(rows)
    _write_csv(sheet, rows)
    count = len(_store_labels(study))
    with pytest.raises(InputError, match=expected) as raised:
        labels_import(study, sheet, rater="ana")
    assert "nothing was stored" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert len(_store_labels(study)) == count


def test_a_label_needs_a_rater(study: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "next.csv"
    labels_export(study, 3, sheet)
    rows = _read_csv(sheet)
    _fill(rows, lambda _i, _k: "no")
    _write_csv(sheet, rows)
    with pytest.raises(InputError, match="field 'rater': no rater"):
        labels_import(study, sheet)
    rows[0]["rater"] = "bo"
    _write_csv(sheet, rows)
    assert labels_import(study, sheet).raters == ("bo",)


def test_an_empty_label_is_not_a_label(study: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "next.csv"
    labels_export(study, 9, sheet)
    rows = _read_csv(sheet)
    rows[0]["label_A"] = "pass"
    _write_csv(sheet, rows)
    assert labels_import(study, sheet, rater="ana").written == 1


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_jsonl_and_parquet_sheets_round_trip(study: Path, tmp_path: Path, suffix: str) -> None:
    sheet = tmp_path / f"next{suffix}"
    labels_export(study, 6, sheet)
    filled = tmp_path / f"filled{suffix}"
    if suffix == ".jsonl":
        records = [json.loads(line) for line in sheet.read_text(encoding="utf-8").splitlines()]
        for record in records:
            record.update(label_A="pass", label_B="fail", label_C=1)
        filled.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    else:
        duckdb.sql(
            f"COPY (SELECT * REPLACE ('pass' AS label_A, 'fail' AS label_B, '1' AS label_C) "
            f"FROM read_parquet('{sheet}')) TO '{filled}' (FORMAT parquet)"
        )
    result = labels_import(study, filled, rater="ana")
    assert result.written == 6
    assert sorted(v for *_k, r, v, _p in _store_labels(study) if r == "ana") == [0, 0, 1, 1, 1, 1]


def test_an_unknown_suffix_is_refused(study: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"next\.xlsx: a sheet is written as"):
        labels_export(study, 3, tmp_path / "next.xlsx")


def test_label_studio_export_round_trip(study: Path, tmp_path: Path) -> None:
    tasks_path = tmp_path / "tasks.json"
    labels_export(study, 6, tasks_path, fmt="label-studio")
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert [sorted(t) for t in tasks] == [["data"], ["data"]]
    assert {"unit", "prompt", "rubric", "answer_A", "answer_C"} <= set(tasks[0]["data"])
    blinded = [v for k, v in tasks[0]["data"].items() if not k.startswith("answer_")]
    assert not any(m in str(v) for m in MODELS for v in blinded)

    # Label Studio's JSON export, by hand: two annotators on the first task, one cancelled
    # annotation, a result of another control that is not a label.
    def result(position: str, choice: str) -> dict[str, object]:
        return {
            "id": f"r{position}",
            "from_name": f"label_{position}",
            "to_name": f"answer_{position}",
            "type": "choices",
            "origin": "manual",
            "value": {"choices": [choice]},
        }

    exported = [
        {
            "id": 1,
            "data": tasks[0]["data"],
            "annotations": [
                {
                    "id": 11,
                    "completed_by": 3,
                    "was_cancelled": False,
                    "result": [result("A", "pass"), result("B", "fail"), result("C", "pass")],
                },
                {
                    "id": 12,
                    "completed_by": {"id": 4, "email": "bo@example.org"},
                    "was_cancelled": False,
                    "result": [result("A", "fail")],
                },
            ],
            "predictions": [],
        },
        {
            "id": 2,
            "data": tasks[1]["data"],
            "annotations": [
                {"id": 13, "completed_by": 3, "was_cancelled": True, "result": []},
                {
                    "id": 14,
                    "completed_by": 3,
                    "was_cancelled": False,
                    "result": [
                        result("A", "pass"),
                        {"from_name": "comment", "type": "textarea", "value": {"text": ["ok"]}},
                    ],
                },
            ],
        },
    ]
    export_path = tmp_path / "project-1-at-2025.json"
    export_path.write_text(json.dumps(exported), encoding="utf-8")
    imported = labels_import(study, export_path)
    assert imported.format == "label-studio"
    assert imported.written == 5
    assert imported.raters == ("label-studio:3", "label-studio:bo@example.org")
    again = labels_import(study, export_path)
    assert again.written == 0


def test_label_studio_bad_choice_names_task_and_control(study: Path, tmp_path: Path) -> None:
    tasks_path = tmp_path / "tasks.json"
    labels_export(study, 3, tasks_path, fmt="label-studio")
    data = json.loads(tasks_path.read_text(encoding="utf-8"))[0]["data"]
    bad = [
        {
            "id": 1,
            "data": data,
            "annotations": [
                {
                    "completed_by": 1,
                    "result": [
                        {"from_name": "label_A", "type": "choices", "value": {"choices": ["meh"]}}
                    ],
                }
            ],
        }
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(InputError, match=r"export\.json, row 1, field 'label_A': expected pass"):
        labels_import(study, path)


def test_argilla_export_round_trip(study: Path, tmp_path: Path) -> None:
    records_path = tmp_path / "records.json"
    labels_export(study, 6, records_path, fmt="argilla")
    records = json.loads(records_path.read_text(encoding="utf-8"))
    assert {"id", "fields", "metadata"} == set(records[0])
    assert {"prompt", "rubric", "answer_A", "answer_B", "answer_C"} <= set(records[0]["fields"])
    # Argilla v2's records.to_json: responses per question, a list of {value, user_id,
    # status}; a draft and a discarded response are not labels.
    exported = [
        {
            "id": records[0]["id"],
            "fields": records[0]["fields"],
            "metadata": records[0]["metadata"],
            "suggestions": {},
            "responses": {
                "label_A": [{"value": "pass", "user_id": "u-1", "status": "submitted"}],
                "label_B": [
                    {"value": "fail", "user_id": "u-1", "status": "submitted"},
                    {"value": "pass", "user_id": "u-2", "status": "draft"},
                ],
                "label_C": [{"value": "pass", "user_id": "u-1", "status": "discarded"}],
            },
            "vectors": {},
            "status": "completed",
            "_server_id": "3f1c",
        },
        {
            "id": records[1]["id"],
            "fields": records[1]["fields"],
            "metadata": records[1]["metadata"],
            "responses": {"label_C": [{"value": "fail", "user_id": "u-2"}]},
            "status": "pending",
        },
    ]
    path = tmp_path / "argilla.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    imported = labels_import(study, path)
    assert (imported.format, imported.written) == ("argilla", 3)
    assert imported.raters == ("argilla:u-1", "argilla:u-2")
    exported[1]["responses"] = {"label_Q": [{"value": "fail", "user_id": "u-2"}]}
    path.write_text(json.dumps(exported), encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, field 'label_Q': unknown position"):
        labels_import(study, path)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([{"data": {"unit": "x"}, "annotations": {"id": 1}}], r"row 1, field 'annotations'"),
        ([{"id": "x", "responses": {"label_A": "pass"}}], r"row 1, field 'label_A'"),
        ({"tasks": []}, "expected a JSON list"),
        ([{"something": 1}], "name it with --format"),
    ],
)
def test_a_malformed_export_is_one_line(
    study: Path, tmp_path: Path, document: object, expected: str
) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError, match=expected) as raised:
        labels_import(study, path)
    assert "\n" not in str(raised.value)
