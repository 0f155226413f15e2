from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from baton.calibration import Comparison
from baton.decision import (
    MAX_LABELS_NEEDED,
    Decision,
    candidate_verdict,
    labels_needed_estimate,
    noninferiority_outcome,
    noninferiority_probability,
)


@pytest.mark.parametrize(
    ("p", "outcome"),
    [
        (0.95, "go"),
        (0.99, "go"),
        (0.949, "inconclusive"),
        (0.051, "inconclusive"),
        (0.05, "no_go"),
        (0.0, "no_go"),
    ],
)
def test_outcome_thresholds(p: float, outcome: str) -> None:
    assert noninferiority_outcome(p, 0.95) == outcome


def test_probability_counts_draws_above_minus_margin() -> None:
    draws = np.array([-0.10, -0.06, -0.04, 0.0, 0.02])
    assert noninferiority_probability(draws, 0.05) == pytest.approx(0.6)


def test_labels_needed_grows_as_the_mean_nears_the_margin() -> None:
    rng = np.random.default_rng(0)
    far = rng.normal(0.0, 0.04, 20_000)
    near = rng.normal(-0.04, 0.04, 20_000)
    n_far = labels_needed_estimate(far, 0.05, 0.95, 50)
    n_near = labels_needed_estimate(near, 0.05, 0.95, 50)
    assert 0 < n_far < n_near <= MAX_LABELS_NEEDED
    # sd must shrink from 0.04 to 0.05/1.645: (0.04 * 1.645 / 0.05)^2 * 50 - 50 ≈ 36.6
    assert n_far == pytest.approx(37, abs=3)


def cell(region: str, outcome: str, *, blocking: bool = True, dim: str = "c") -> Decision:
    return Decision("cand", dim, region, outcome, 0.5, blocking)  # type: ignore[arg-type]


def test_go_needs_every_blocking_cell_and_flags_small_bad_regions() -> None:
    verdict = candidate_verdict(
        "cand", [cell("eu", "go"), cell("us", "go"), cell("tiny", "no_go", blocking=False)]
    )
    assert verdict.outcome == "go"
    assert verdict.flagged_regions == ("tiny",)
    assert any("tiny" in r for r in verdict.reasons)


def test_one_blocking_no_go_makes_a_no_go() -> None:
    verdict = candidate_verdict(
        "cand", [cell("eu", "go"), cell("us", "no_go"), cell("eu", "inconclusive", dim="s")]
    )
    assert verdict.outcome == "no_go"
    assert verdict.reasons == ("worse than the margin on c in us",)


def test_undecided_blocking_cell_makes_it_inconclusive() -> None:
    verdict = candidate_verdict("cand", [cell("eu", "go"), cell("us", "inconclusive")])
    assert verdict.outcome == "inconclusive"


def comparison(region: str, mean: float, *, calibrated: bool = True) -> Comparison:
    return Comparison(
        "c", "cand", "inc", region, mean, mean - 0.1, mean + 0.1, 0.05, float("nan"), calibrated
    )


def test_decisions_from_constructed_posteriors() -> None:
    import dataclasses

    from baton.decision import decide_comparisons

    rng = np.random.default_rng(0)
    draws = {
        ("c", "cand", "go"): rng.normal(0.02, 0.02, 4000),
        ("c", "cand", "nogo"): rng.normal(-0.12, 0.02, 4000),
        ("c", "cand", "edge"): rng.normal(-0.05, 0.03, 4000),
        ("c", "cand", "near"): rng.normal(-0.01, 0.03, 4000),
        ("c", "cand", "tiny"): rng.normal(-0.2, 0.03, 4000),
    }
    comps = []
    for (_, _, region), d in draws.items():
        base = comparison(region, float(d.mean()))
        comps.append(dataclasses.replace(base, p_noninferior=float(np.mean(d > -0.05))))
    comps.append(comparison("none", float("nan"), calibrated=False))
    regions = ("go", "nogo", "edge", "near", "tiny")
    labelled = {("c", m, r): 40 for m in ("cand", "inc") for r in regions}
    blocking = {"go": True, "nogo": True, "edge": True, "near": True, "tiny": False, "none": True}
    out = {
        d.region: d
        for d in decide_comparisons(comps, draws, labelled, confidence=0.95, blocking=blocking)
    }
    assert out["go"].outcome == "go"
    assert out["nogo"].outcome == "no_go"
    assert out["edge"].outcome == "inconclusive"
    assert out["edge"].labels_needed is None
    assert out["edge"].reason.startswith("not reachable at this margin")
    assert out["near"].outcome == "inconclusive"
    assert out["near"].labels_needed is not None
    assert out["near"].labels_needed > 10
    assert out["near"].reason.startswith("not yet decisive: about")
    assert out["none"].outcome == "inconclusive"
    assert out["none"].labels_needed is None
    assert "uncalibrated" in out["none"].reason
    assert all(out[r].reason == "" for r in ("go", "nogo", "tiny"))
    verdict = candidate_verdict("cand", list(out.values()))
    assert verdict.outcome == "no_go"
    assert verdict.flagged_regions == ("tiny",)


def _one_cell(mean: float, n: int, *, items: int = 1000) -> tuple[list[Comparison], Any, Any, Any]:
    import dataclasses

    draws = {("c", "cand", "r"): np.random.default_rng(1).normal(mean, 0.04, 4000)}
    base = comparison("r", mean)
    comps = [
        dataclasses.replace(base, p_noninferior=float(np.mean(draws[("c", "cand", "r")] > -0.05)))
    ]
    labelled = {("c", m, "r"): n for m in ("cand", "inc")}
    pool = {("c", m, "r"): items for m in ("cand", "inc")}
    return comps, draws, labelled, pool


def test_a_clear_loser_is_no_go_before_the_minimum_labels_but_a_winner_waits() -> None:
    from baton.decision import EARLY_NO_GO, MIN_LOOK_LABELS, decide_comparisons

    for mean, expected in ((-0.4, "no_go"), (0.3, "inconclusive")):
        comps, draws, labelled, pool = _one_cell(mean, MIN_LOOK_LABELS // 4)
        (d,) = decide_comparisons(
            comps, draws, labelled, confidence=0.95, blocking={"r": True}, n_items=pool
        )
        assert d.outcome == expected, (mean, d)
    comps, draws, labelled, pool = _one_cell(0.3, 5)
    (d,) = decide_comparisons(comps, draws, labelled, confidence=0.95, blocking={"r": True})
    assert d.reason == f"below the minimum labels: 5 of {MIN_LOOK_LABELS} per model"
    assert EARLY_NO_GO < 0.01


def test_a_need_beyond_the_items_judged_is_not_reachable() -> None:
    from baton.decision import decide_comparisons

    comps, draws, labelled, pool = _one_cell(-0.03, 40, items=60)
    (d,) = decide_comparisons(
        comps, draws, labelled, confidence=0.95, blocking={"r": True}, n_items=pool
    )
    assert d.outcome == "inconclusive"
    assert d.labels_needed is None
    assert d.reason.startswith("not reachable with the items judged: 60 in the stratum")


def test_the_pooled_region_is_never_flagged() -> None:
    bad = [
        Decision("cand", "c", "ALL", "no_go", 0.0, False),
        Decision("cand", "c", "small", "no_go", 0.0, False),
        Decision("cand", "c", "big", "go", 1.0, True),
    ]
    assert candidate_verdict("cand", bad).flagged_regions == ("small",)
