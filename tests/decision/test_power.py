"""``plan_power``: the labels each cell needs, from a normal approximation of the loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from baton.decision import (
    JudgePrior,
    LabelPlan,
    LookDesign,
    SequentialOptions,
    plan_power,
    run_sequential,
    simulated_labels_from_prior,
)

PRIOR = JudgePrior(0.9, 0.9)


def judged(n: int, shares: dict[str, float], *, region: str = "eu") -> pd.DataFrame:
    """A one-stratum table whose judge passes exactly ``shares`` of each model's answers."""
    rng = np.random.default_rng(0)
    parts = []
    for model, share in shares.items():
        says = np.zeros(n, dtype=int)
        says[rng.permutation(n)[: round(share * n)]] = 1
        parts.append(
            pd.DataFrame(
                {
                    "item_id": [f"{region}{i}" for i in range(n)],
                    "model": model,
                    "dimension": "c",
                    "region": region,
                    "weight": 1.0,
                    "judge": says,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def plan(table: pd.DataFrame, **overrides: object) -> LabelPlan:
    options: dict[str, object] = {
        "baseline": "inc",
        "margins": {"c": 0.1},
        "blocking": {"eu": True},
        "confidence": 0.9,
        "prior": PRIOR,
        "minutes_per_label": 1.0,
        "batch_units": 50,
        "max_labels": 300,
        "paths": 4000,
    }
    options.update(overrides)
    return plan_power(table, **options)  # type: ignore[arg-type]


def test_predicted_power_agrees_with_the_label_loop_itself() -> None:
    """The plan's P(go) against the loop run (bayes refits, allocation, interim boundaries)
    on labels drawn from the same prior: equal within Monte Carlo error (3 binomial SEs)."""
    table = judged(300, {"inc": 0.8, "cand": 0.72})
    (cell,) = plan(table, margins={"c": 0.15}).cells
    assert 0.2 < cell.p_go < 0.8  # where the boundaries matter, not a sure call
    options = SequentialOptions("allocated", 50, 300, 0.9, {"c": 0.15}, {"eu": True}, n_draws=500)
    rng = np.random.default_rng(5)
    reps, go = 60, 0
    for _ in range(reps):
        truth = simulated_labels_from_prior(table, PRIOR, rng)
        result = run_sequential(table, truth, baseline="inc", options=options, rng=rng)
        go += next(iter(result.calls.values())) == "go"
    simulated = go / reps
    error = np.sqrt(cell.p_go * (1 - cell.p_go) / reps)
    assert abs(simulated - cell.p_go) <= 3 * error, (simulated, cell.p_go)


def test_a_need_is_never_beyond_the_pool_and_says_so() -> None:
    table = judged(60, {"inc": 0.8, "cand": 0.78})
    (cell,) = plan(table, max_labels=10_000).cells
    assert cell.labels_95 is None
    assert cell.labels_80 is None or cell.labels_80 <= 60
    assert "pool of items too small" in cell.reason or "margin unreachable" in cell.reason


def test_a_small_budget_is_named_with_the_budget_that_would_do() -> None:
    table = judged(2000, {"inc": 0.8, "cand": 0.8})
    (cell,) = plan(table, max_labels=60).cells
    assert cell.labels_80 is None
    assert cell.reason.startswith("budget")
    assert "a budget of about" in cell.reason


def test_a_margin_no_label_can_reach_is_named() -> None:
    table = judged(300, {"inc": 0.8, "cand": 0.8})
    (cell,) = plan(table, margins={"c": 0.005}, max_labels=10_000).cells
    assert cell.labels_80 is None
    assert "margin unreachable at this judge quality" in cell.reason


@pytest.mark.parametrize(("delta", "outcome"), [(-0.3, "no_go"), (0.1, "go")])
def test_a_clear_cell_is_called_early_and_the_right_way(delta: float, outcome: str) -> None:
    table = judged(1000, {"inc": 0.7, "cand": 0.7})
    (cell,) = plan(table, delta=delta, max_labels=2000).cells
    assert cell.labels_95 is not None
    assert cell.labels_95 <= 150
    assert cell.p_go == pytest.approx(1.0 if outcome == "go" else 0.0, abs=0.02)
    assert cell.reason == ""


def test_a_better_judge_needs_fewer_labels() -> None:
    table = judged(2000, {"inc": 0.6, "cand": 0.6})
    good = plan(table, prior=JudgePrior(0.97, 0.97), max_labels=4000).cells[0]
    poor = plan(table, prior=JudgePrior(0.75, 0.75), max_labels=4000).cells[0]
    assert good.labels_80 is not None
    assert poor.labels_80 is None or poor.labels_80 > good.labels_80


def test_the_plan_follows_the_loop_design() -> None:
    """Where the budget only just suffices, the O'Brien–Fleming-type go side (a lower last
    boundary) is planned to call go more often; a cell at the margin stays near α."""
    table = judged(1000, {"inc": 0.75, "cand": 0.75})
    obf = LookDesign(go_spending="obf", no_go_spending="pocock", no_go_alpha=0.2)
    at_zero = {
        name: plan(table, delta=0.0, max_labels=100, batch_units=10, design=design).cells[0]
        for name, design in (("pocock", LookDesign()), ("obf", obf))
    }
    assert at_zero["obf"].p_go > at_zero["pocock"].p_go + 0.03
    at_margin = plan(table, delta=-0.1, max_labels=240, batch_units=20, design=obf).cells[0]
    assert at_margin.p_go <= 0.1 + 3 * np.sqrt(0.1 * 0.9 / 4000)
