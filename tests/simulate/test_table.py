from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from benchmarks.simulate import time_tables

from baton.simulate import (
    CALIBRATION_FAMILIES,
    JudgeQuality,
    LabelDesign,
    Scenario,
    Truth,
    calibration_family,
    demo_scenario,
    judge_eta_squared,
    simulate_table,
)


def _truth(scenario: Scenario) -> Truth:
    return Truth(
        latent=dict(scenario.pass_rates),
        mean_rater_error=float(np.mean(scenario.rater_errors)),
        shares=dict(scenario.regions),
        incumbent=scenario.incumbent,
    )


def _one_stratum(quality: JudgeQuality, *, items: int, scale: str = "binary") -> Scenario:
    return Scenario(
        regions={"all": 1.0},
        incumbent="a",
        candidates=(),
        dimensions={"q": "likert5" if scale == "likert5" else "binary"},
        margins={"q": 0.05},
        pass_rates={("q", "a", "all"): 0.7},
        items_per_region=items,
        default_judge=quality,
    )


def test_table_has_the_estimation_columns_one_row_per_item_model_dimension() -> None:
    scenario = demo_scenario(items_per_region=30)
    table = simulate_table(scenario, LabelDesign(5), seed=0)
    assert list(table.columns) == [
        "item_id",
        "model",
        "dimension",
        "region",
        "weight",
        "human",
        "judge",
    ]
    assert len(table) == 3 * 3 * 6 * 30
    assert not table.duplicated(["item_id", "model", "dimension"]).any()
    weights = table.groupby(["dimension", "model", "region"])["weight"].sum()
    assert weights.loc[("refusal", "cand-a", "eu")] == pytest.approx(scenario.regions["eu"])
    assert set(table["human"].dropna().unique()) <= {0.0, 1.0}
    assert set(table.loc[table["dimension"] == "style", "judge"].unique()) <= {1, 2, 3, 4, 5}


def test_same_seed_same_table_other_seed_differs() -> None:
    scenario = demo_scenario(items_per_region=50)
    a = simulate_table(scenario, LabelDesign(10), seed=3)
    pd.testing.assert_frame_equal(a, simulate_table(scenario, LabelDesign(10), seed=3))
    assert not a["judge"].equals(simulate_table(scenario, LabelDesign(10), seed=4)["judge"])


def test_paired_plans_label_the_same_items_for_every_model() -> None:
    table = simulate_table(demo_scenario(items_per_region=40), LabelDesign(7), seed=1)
    labelled = table[table["human"].notna()]
    counts = labelled.groupby(["dimension", "model", "region"]).size()
    assert (counts == 7).all()
    assert len(counts) == 3 * 3 * 6
    eu = labelled[(labelled["dimension"] == "refusal") & (labelled["region"] == "eu")]
    items = [set(rows["item_id"]) for _, rows in eu.groupby("model")]
    assert items[0] == items[1] == items[2]


def test_unpaired_plans_label_different_items_per_model() -> None:
    table = simulate_table(demo_scenario(items_per_region=40), LabelDesign(7, paired=False), seed=1)
    labelled = table[(table["human"].notna()) & (table["dimension"] == "style")]
    assert not labelled.duplicated(["item_id", "dimension"]).any()
    with pytest.raises(ValueError, match="distinct items"):
        simulate_table(demo_scenario(items_per_region=10), LabelDesign(7, paired=False), seed=1)


def test_plans_can_label_one_model_or_one_region_only() -> None:
    scenario = demo_scenario(items_per_region=20)
    by_model = simulate_table(scenario, LabelDesign(5, models=("incumbent",)), seed=2)
    assert set(by_model.loc[by_model["human"].notna(), "model"]) == {"incumbent"}
    by_region = simulate_table(scenario, LabelDesign(5, regions=("na",)), seed=2)
    assert set(by_region.loc[by_region["human"].notna(), "region"]) == {"na"}
    with pytest.raises(ValueError, match="per_stratum"):
        LabelDesign(-1)


def test_labels_and_judge_follow_the_scenario() -> None:
    lenient = JudgeQuality(0.97, 0.35)
    scenario = _one_stratum(lenient, items=60_000)
    table = simulate_table(scenario, LabelDesign(60_000), seed=5)
    truth = _truth(scenario)
    assert table["human"].mean() == pytest.approx(truth.human("q", "a", "all"), abs=0.006)
    judge_pass = table["judge"] == 1
    human = table["human"] == 1
    # the judge sees the latent truth; against noisy labels Se/Sp are diluted a little
    assert judge_pass[human].mean() == pytest.approx(0.97, abs=0.03)
    assert (~judge_pass[~human]).mean() == pytest.approx(0.35, abs=0.06)


def _empirical_eta_squared(table: pd.DataFrame) -> float:
    cell_means = table.groupby("judge")["human"].transform("mean")
    return float(cell_means.var(ddof=0) / table["human"].var(ddof=0))


@pytest.mark.parametrize(
    ("quality", "scale"),
    [
        (JudgeQuality(0.95, 0.95), "binary"),
        (JudgeQuality(0.97, 0.35), "binary"),
        (JudgeQuality(0.85, 0.75, confident_errors=0.85), "likert5"),
    ],
)
def test_eta_squared_matches_a_large_simulation(quality: JudgeQuality, scale: str) -> None:
    scenario = _one_stratum(quality, items=80_000, scale=scale)
    table = simulate_table(scenario, LabelDesign(80_000), seed=6)
    expected = judge_eta_squared(scenario, ("q", "a", "all"))
    assert _empirical_eta_squared(table) == pytest.approx(expected, abs=0.015)


def test_a_useless_judge_explains_nothing() -> None:
    scenario = _one_stratum(JudgeQuality(0.5, 0.5), items=10)
    assert judge_eta_squared(scenario, ("q", "a", "all")) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("name", CALIBRATION_FAMILIES)
def test_families_build_and_put_the_candidate_where_they_say(name: str) -> None:
    family = calibration_family(name, items_per_region=60)
    scenario = family.scenario
    truth = _truth(scenario)
    deltas = [
        truth.delta(d, c, r)
        for d in scenario.dimensions
        for c in scenario.candidates
        for r in scenario.regions
    ]
    margins = [scenario.margins[d] for d in scenario.dimensions]
    assert min(deltas) == pytest.approx(-max(margins), abs=1e-9)
    table = simulate_table(scenario, family.plan(10), seed=0)
    assert table["human"].notna().any()
    with pytest.raises(ValueError, match="unknown family"):
        calibration_family("nope")


def test_the_table_speed_benchmark_runs_at_toy_size() -> None:
    """The speed itself is measured by ``python -m benchmarks.simulate``, not asserted."""
    speed = time_tables("3x6", items_per_region=20, labels=5, tables=1)
    family = calibration_family("3x6", items_per_region=20)
    assert speed.rows == len(simulate_table(family.scenario, family.plan(5), seed=0))
    assert speed.tables == 1
