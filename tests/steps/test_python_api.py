"""The whole workflow through the Python API alone: every CLI verb has its Python verb.

The demo's result.json is a golden file (written before the steps layer existed, so the
layout change is shown to change no figure); the label-loop verbs run on the demo's store.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import baton
import baton.steps
from baton.analysis import evidence_table, overall_outcome
from baton.decision import SIGNAL
from baton.errors import InputError
from baton.steps import DemoRun, study_store

GOLDEN = Path(__file__).parent / "golden" / "demo-result.json"
VOLATILE = ("created_at", "baton_version")


def _stable(result: dict[str, Any]) -> dict[str, Any]:
    for key in VOLATILE:
        result["provenance"].pop(key, None)
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return baton.run_demo(tmp_path_factory.mktemp("demo"))


def test_the_demo_result_is_unchanged(demo: DemoRun) -> None:
    produced = _stable(json.loads(demo.paths.json.read_text(encoding="utf-8")))
    if os.environ.get("BATON_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(produced, indent=2, sort_keys=True) + "\n", "utf-8")
    assert produced == json.loads(GOLDEN.read_text(encoding="utf-8"))


def _looks(study: Path) -> int:
    with study_store(study) as opened:
        return len(opened.store.looks())


def test_the_label_loop_through_the_python_api(demo: DemoRun, tmp_path: Path) -> None:
    study = demo.paths.json.parent / "study.yaml"
    checked = baton.check(study)
    assert checked.study.name == "demo-migration"

    units = baton.next_units(study, 30, seed=1)
    assert len(units) == 30 // len(checked.study.models)
    assert {u.dimension for u in units} <= {d.name for d in checked.study.dimensions}

    shown = baton.steps.report(study, out=tmp_path / "report")
    assert shown.paths.html.exists()
    assert shown.paths.json.exists()
    assert _looks(study) == 0, "a report or the next batch is a read: it records no look"
    decided = baton.decide(study)
    assert _looks(study) > 0, "baton.decide records its look"
    assert [d.outcome for d in decided.decisions] == [d.outcome for d in shown.result.decisions]
    assert overall_outcome(decided.verdicts) == "go"
    assert decided.margins == checked.study.margins

    agreement = baton.steps.judges(study)
    assert {a.model for a in agreement} == {m.name for m in checked.study.models}


def test_estimate_reads_a_table_file_and_agrees_with_a_dataframe(
    demo: DemoRun, tmp_path: Path
) -> None:
    with study_store(demo.paths.json.parent / "study.yaml") as opened:
        s = opened.study
        store = opened.store
        table = evidence_table(s, store.items(), store.verdicts(), store.labels())
    path = tmp_path / "table.csv"
    table.to_csv(path, index=False)
    from_file = baton.estimate(path, [SIGNAL], baseline=s.incumbent.name, margin=s.margins)
    from_frame = baton.estimate(table, [SIGNAL], baseline=s.incumbent.name, margin=s.margins)
    assert [c.mean for c in from_file.comparisons] == pytest.approx(
        [c.mean for c in from_frame.comparisons]
    )


def test_init_writes_the_example_study_once(tmp_path: Path) -> None:
    written = baton.init(tmp_path / "study.yaml")
    assert baton.check(written).study.name
    with pytest.raises(InputError, match="exists"):
        baton.init(written)
