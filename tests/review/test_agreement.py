"""Inter-rater agreement on known data, computed by hand."""

from __future__ import annotations

import pytest

from baton.domain import Label
from baton.review._agreement import (
    cohen_kappa,
    dimension_agreement,
    krippendorff_alpha,
    rater_agreement,
)

# Ten responses, two raters agreeing on eight: p_o = 0.8, both raters half yes, so
# p_e = 0.5 and kappa = 0.6. Alpha (nominal, 20 values, 10 of each): D_o = 4/20,
# D_e = 2·10·10/(20·19) = 10/19, alpha = 1 - 0.2·19/10 = 0.62.
ALICE = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
BOB = [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]


def labels(rater: str, values: list[int], dimension: str = "correctness") -> list[Label]:
    return [Label(f"i{i}", "m", dimension, rater, v) for i, v in enumerate(values)]


def test_two_raters_give_the_hand_computed_alpha_and_kappa() -> None:
    (agreement,) = dimension_agreement(labels("alice", ALICE) + labels("bob", BOB))
    assert agreement.shared_responses == 10
    assert agreement.alpha == pytest.approx(0.62)
    assert agreement.kappa == pytest.approx(0.6)
    assert agreement.rater_pairs == 1


def test_each_rater_against_the_panel() -> None:
    found = rater_agreement(labels("alice", ALICE) + labels("bob", BOB))
    assert [(r.rater, r.shared_responses) for r in found] == [("alice", 10), ("bob", 10)]
    assert all(r.agreement == pytest.approx(0.8) and r.kappa == pytest.approx(0.6) for r in found)


def test_the_panel_is_the_majority_of_the_others_and_ties_are_left_out() -> None:
    carl = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    found = {
        r.rater: r
        for r in rater_agreement(labels("a", ALICE) + labels("b", BOB) + labels("c", carl))
    }
    # For carl the others (alice, bob) tie on responses 4 and 9: 8 shared, all agreeing.
    assert found["c"].shared_responses == 8
    assert found["c"].agreement == 1.0
    assert found["c"].kappa == pytest.approx(1.0)


def test_undefined_statistics_are_none_not_zero() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) is None
    assert krippendorff_alpha({("i", "m", "d"): {"a": 1}}) is None
    assert krippendorff_alpha({("i", "m", "d"): {"a": 1, "b": 1}}) is None
    (single,) = dimension_agreement(labels("alice", ALICE))
    assert (single.shared_responses, single.alpha, single.kappa) == (0, None, None)
    assert rater_agreement(labels("alice", ALICE))[0].agreement is None


def test_dimensions_are_measured_apart() -> None:
    both = (
        labels("alice", ALICE)
        + labels("bob", BOB)
        + labels("alice", ALICE, "style")
        + labels("bob", ALICE, "style")
    )
    by_dimension = {a.dimension: a for a in dimension_agreement(both)}
    assert by_dimension["correctness"].kappa == pytest.approx(0.6)
    assert by_dimension["style"].kappa == pytest.approx(1.0)
    assert by_dimension["style"].alpha == pytest.approx(1.0)
