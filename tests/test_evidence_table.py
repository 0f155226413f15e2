"""A study's evidence reaches the estimator weighted by traffic: region shares, item weights."""

from __future__ import annotations

from typing import Any

import pytest

from baton.analysis import evidence_table
from baton.domain import Item, Label, Verdict
from baton.study import parse_study


def test_items_carry_their_own_weight_within_their_region(study_data: dict[str, Any]) -> None:
    study = parse_study(study_data)
    items = [
        Item("a", "eu", "q1", weight=3.0),  # a deduplicated prompt asked three times
        Item("b", "eu", "q2", weight=1.0),
        Item("c", "us", "q3", weight=1.0),
    ]
    verdicts = [Verdict(i.item_id, "old", "correctness", "simulated", "v1", 1) for i in items]
    labels = [Label("b", "old", "correctness", "r1", 0, inclusion_prob=0.5)]
    table = evidence_table(study, items, verdicts, labels).set_index("item_id")
    assert table.loc["a", "weight"] == pytest.approx(0.6 * 0.75)
    assert table.loc["b", "weight"] == pytest.approx(0.6 * 0.25)
    assert table.loc["c", "weight"] == pytest.approx(0.4)
    assert table.loc["b", "human"] == 0.0
    assert table.loc["b", "inclusion_prob"] == 0.5
