"""``baton check`` says before anyone labels whether the budget can decide the study."""

from __future__ import annotations

from pathlib import Path

import yaml

import baton
from baton.decision import MIN_LOOK_LABELS


def _study(tmp_path: Path, budget: int) -> Path:
    path = baton.init(tmp_path / "study.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["labels"]["budget"] = budget
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_budget_below_the_minimum_labels_is_flagged_with_what_fits(tmp_path: Path) -> None:
    checked = baton.check(_study(tmp_path, 600))
    study = checked.study
    blocking = sum(study.blocking.values())
    floor = MIN_LOOK_LABELS * len(study.models) * len(study.dimensions) * blocking
    (warning,) = checked.warnings
    assert "cannot reach a go" in warning
    assert f"a budget of at least {floor}" in warning
    assert "pool small regions" in warning


def test_the_example_study_can_be_decided_within_its_budget(tmp_path: Path) -> None:
    assert baton.check(baton.init(tmp_path / "study.yaml")).warnings == ()
