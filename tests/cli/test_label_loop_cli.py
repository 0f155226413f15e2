"""``baton decide``, ``baton next`` and ``baton plan`` on a study's store."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from baton.cli._app import EXIT_CODES, console
from baton.cli.main import main
from baton.steps import DemoOptions, run_demo
from baton.storage import open_store


@pytest.fixture(scope="module")
def study_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("study")
    run_demo(out, options=DemoOptions(log_items_per_region=300, sample_per_region=180))
    return out / "study.yaml"


def test_decide_exits_with_the_outcome_it_writes(study_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    code = main(["decide", str(study_path), "-o", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert code == EXIT_CODES[result["outcome"]]
    assert {c["name"] for c in result["candidates"]} == {"cand-a", "cand-b"}


def test_next_proposes_unlabelled_paired_items(study_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "next.csv"
    assert main(["next", str(study_path), "--n", "30", "-o", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 10  # one row per item and dimension, every model's answer on it
    store = open_store(f"sqlite:///{study_path.parent / 'baton.db'}")
    try:
        labelled = {(lab.item_id, lab.dimension) for lab in store.labels()}
    finally:
        store.close()
    assert not {(r["item_id"], r["dimension"]) for r in rows} & labelled
    assert all(r["answer_A"] and r["answer_B"] and r["answer_C"] for r in rows)
    assert all(0 < float(r["inclusion_prob"]) <= 1 for r in rows)


def test_plan_prints_labels_per_stratum(
    study_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["plan", str(study_path), "--batch", "60"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Labels per model to decide each cell" in out
    assert "Labels per model to decide each stratum" in out
    assert "whole study decided with 80% probability" in out


def test_plan_explains_every_cell_not_reached(
    study_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["plan", str(study_path), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["method"] == "analytic"
    assert plan["cells"]
    reasons = ("margin unreachable", "pool of items too small", "budget")
    for cell in plan["cells"]:
        for level in ("labels_80", "labels_95"):
            assert cell[level] is None or cell[level] <= cell["items_judged"]
        if cell["labels_95"] is None:
            assert any(r in cell["reason"] for r in reasons), cell
        else:
            assert cell["reason"] is None


def test_plan_simulate_runs_the_loop_itself(
    study_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(["plan", str(study_path), "--simulate", "--replications", "2", "--batch", "60"])
    assert code == 0
    assert "Labels per model to decide each stratum" in capsys.readouterr().out


def test_decide_on_a_missing_study_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decide", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml" in capsys.readouterr().err


def test_decide_records_its_look_and_keeps_calls_frozen(study_path: Path, tmp_path: Path) -> None:
    """Each ``baton decide`` on new labels is a look of the label loop: recorded in the store
    with the calls made at it, at the look's interim threshold. Deciding again on the same
    labels makes no new look and changes no call."""
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    main(["decide", str(study_path), "-o", str(first)])
    store = open_store(f"sqlite:///{study_path.parent / 'baton.db'}")
    try:
        looks, calls = store.looks(), store.look_calls()
    finally:
        store.close()
    assert looks
    assert {(look.dimension, look.region) for look in looks} >= {("correctness", "eu")}
    decisions = json.loads(first.read_text(encoding="utf-8"))["decisions"]
    called = {(d["candidate"], d["dimension"], d["region"]): d["outcome"] for d in decisions}
    for call in calls:
        assert called[(call.candidate, call.dimension, call.region)] == call.outcome
        assert call.p_noninferior >= call.threshold or call.outcome == "no_go"
    assert all(d["threshold"] >= 0.95 for d in decisions if d["outcome"] != "inconclusive")

    main(["decide", str(study_path), "-o", str(second)])
    store = open_store(f"sqlite:///{study_path.parent / 'baton.db'}")
    try:
        assert store.looks() == looks
        assert store.look_calls() == calls
    finally:
        store.close()
    again = json.loads(second.read_text(encoding="utf-8"))["decisions"]
    assert [d["outcome"] for d in again] == [d["outcome"] for d in decisions]


def test_a_sheet_from_next_comes_back_through_labels_import(
    study_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``baton next -o`` → filled by hand → ``baton labels import`` → ``baton decide``
    counts the labels; importing again adds nothing; ``--json`` everywhere is data."""
    study = tmp_path / "study"
    shutil.copytree(study_path.parent, study)
    sheet = tmp_path / "sheet.csv"
    assert main(["next", str(study / "study.yaml"), "--n", "9", "-o", str(sheet)]) == 0
    with sheet.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(label_A="pass", label_B="fail", label_C="yes")
    with sheet.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    capsys.readouterr()
    args = ["labels", "import", str(sheet), "--rater", "ana", "--study", str(study / "study.yaml")]
    assert main([*args, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["labels"], first["written"]) == (9, 9)
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["written"] == 0
    main(["decide", str(study / "study.yaml"), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["labels"]["used"] == _labels_in(study) > 0


def _labels_in(study: Path) -> int:
    store = open_store(f"sqlite:///{study / 'baton.db'}")
    try:
        return len(store.labels())
    finally:
        store.close()


def test_a_bad_label_is_one_line_naming_file_row_and_field(
    study_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = tmp_path / "study"
    shutil.copytree(study_path.parent, study)
    sheet = tmp_path / "sheet.csv"
    main(["next", str(study / "study.yaml"), "--n", "6", "-o", str(sheet)])
    text = sheet.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    cells = text[2].split(",")
    cells[header.index("label_B")] = "maybe"
    text[2] = ",".join(cells)
    sheet.write_text("\n".join(text) + "\n", encoding="utf-8")
    capsys.readouterr()
    code = main(
        ["labels", "import", str(sheet), "--rater", "x", "--study", str(study / "study.yaml")]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "sheet.csv, row 3, field 'label_B'" in err


@pytest.mark.parametrize("fmt", ["label-studio", "argilla", "csv"])
def test_labels_export_writes_each_format(study_path: Path, tmp_path: Path, fmt: str) -> None:
    study = tmp_path / "study"
    shutil.copytree(study_path.parent, study)
    out = tmp_path / ("tasks.csv" if fmt == "csv" else "tasks.json")
    args = ["labels", "export", "--format", fmt, "-o", str(out), "--n", "6"]
    assert main([*args, "--study", str(study / "study.yaml")]) == 0
    text = out.read_text(encoding="utf-8")
    assert "answer_A" in text
    assert "unit" in text


@pytest.mark.parametrize(
    "command",
    [
        ["decide"],
        ["next", "--n", "6"],
        ["plan", "--replications", "2", "--batch", "60"],
        ["judges"],
        ["check"],
    ],
)
def test_json_output_is_data(
    study_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    main([command[0], str(study_path), *command[1:], "--json"])
    assert json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("command", [["decide"], ["judges"], ["plan", "--replications", "2"]])
def test_tables_fit_80_columns_without_cutting_a_word(
    study_path: Path,
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(console, "_width", 80)
    capsys.readouterr()
    main([command[0], str(study_path), *command[1:]])
    out = capsys.readouterr().out
    assert out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    if command[0] == "decide":
        assert "INCONCLUSIVE" in out or "NO-GO" in out or "GO" in out
        assert "no_go" not in out
        assert " pp" in out
        assert "%" not in out.split("Migration verdict")[1]


def test_the_replay_dry_run_names_every_model_in_80_columns(
    study_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from baton.study import load_study

    monkeypatch.setattr(console, "_width", 80)
    capsys.readouterr()
    main(["replay", str(study_path), "--dry-run"])
    out = capsys.readouterr().out
    study = load_study(study_path)
    assert max(len(line) for line in out.splitlines()) <= 80
    for model in (study.incumbent, *study.candidates):
        assert model.name in out
    assert "batch USD" in out
