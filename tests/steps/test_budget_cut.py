"""The label loop's spending time is measured against the largest budget the study has had:
a budget cut between looks moves no error forward, an increase is honoured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from baton.decision import spending_budget, spending_time
from baton.steps import decide, study_store
from tests.steps._looked_study import label_items, looked_study, set_study

BUDGET = 400
FIRST, SECOND = 30, 60  # items labelled per region (every model) at each look


def test_the_spending_budget_is_the_largest_the_study_has_had() -> None:
    assert spending_budget(400) == 400
    assert spending_budget(240, [400]) == 400  # a cut spends nothing ahead
    assert spending_budget(800, [400]) == 800  # an increase is honoured
    assert spending_budget(300, [400, 800, 300]) == 800  # raised, then cut: still the raise
    assert spending_budget(0) == 1
    assert spending_time(240, 240, [400]) == pytest.approx(0.6)


def _second_look(
    path: Path,
) -> tuple[list[tuple[str, str, str, float]], set[tuple[str, str, float, float]]]:
    result = decide(path)
    thresholds = [(d.candidate, d.dimension, d.region, d.threshold) for d in result.decisions]
    with study_store(path) as opened:
        looks = {(x.dimension, x.region, x.information, x.time) for x in opened.store.looks()}
    return thresholds, looks


def test_a_budget_cut_between_looks_gets_the_boundary_of_the_uncut_budget(
    tmp_path: Path,
) -> None:
    """Two copies of one study look at the same labels twice; before the second look one of
    them cuts its budget to the labels it has. Both get the same looks, times and boundaries
    (under the rule Baton had before, the cut look was at time 1 and spent all the error)."""
    uncut, world = looked_study(tmp_path / "uncut", candidates=("cand",), budget=BUDGET)
    label_items(uncut, world, FIRST)
    first = decide(uncut)
    assert any(d.outcome == "inconclusive" and d.region != "ALL" for d in first.decisions)
    cut = tmp_path / "cut" / "study.yaml"
    shutil.copytree(uncut.parent, cut.parent)
    labels = label_items(uncut, world, SECOND)
    assert label_items(cut, world, SECOND) == labels == 2 * 2 * SECOND
    set_study(cut, world, budget=labels)  # "the budget is spent": cut to the labels so far

    kept, kept_looks = _second_look(uncut)
    cut_thresholds, cut_looks = _second_look(cut)
    assert cut_looks == kept_looks
    second = {x for x in cut_looks if x[1] != "ALL" and x[2] == SECOND}
    assert second, "the second look was not made: the test would not tell the rules apart"
    assert all(x[3] == pytest.approx(labels / BUDGET) for x in second)  # not 1: nothing ahead
    assert cut_thresholds == kept


def test_a_budget_raised_between_looks_moves_time_back(tmp_path: Path) -> None:
    path, world = looked_study(tmp_path, candidates=("cand",), budget=BUDGET)
    label_items(path, world, FIRST)
    decide(path)
    set_study(path, world, budget=2 * BUDGET)
    labels = label_items(path, world, SECOND)
    decide(path)
    with study_store(path) as opened:
        times = {
            x.time for x in opened.store.looks() if x.region != "ALL" and x.information == SECOND
        }
    assert times
    assert all(t == pytest.approx(labels / (2 * BUDGET)) for t in times)
