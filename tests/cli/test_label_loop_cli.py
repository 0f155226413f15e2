"""``baton decide``, ``baton next`` and ``baton plan`` on a study's store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from baton.cli._app import EXIT_CODES
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
    assert len(rows) == 30
    store = open_store(f"sqlite:///{study_path.parent / 'baton.db'}")
    try:
        labelled = {(lab.item_id, lab.dimension) for lab in store.labels()}
    finally:
        store.close()
    assert not {(r["item_id"], r["dimension"]) for r in rows} & labelled
    per_item = {(r["item_id"], r["dimension"]) for r in rows}
    assert len(per_item) == 10  # every model's answer to each chosen item
    assert all(0 < float(r["inclusion_prob"]) <= 1 for r in rows)


def test_plan_prints_labels_per_stratum(
    study_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["plan", str(study_path), "--replications", "2", "--batch", "60"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Labels to decide" in out
    assert "whole study decided with 80% probability" in out


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
