from __future__ import annotations

import numpy as np
import pytest

from baton.simulate import JudgeQuality, Scenario, demo_scenario, simulate_study
from baton.simulate._truth import logit_offset

from ._helpers import judged_share, latent_share


@pytest.mark.parametrize("rate", [0.05, 0.5, 0.8, 0.97])
def test_logit_offset_hits_the_pass_rate_on_average(rate: float) -> None:
    rng = np.random.default_rng(0)
    difficulty = rng.normal(0.0, 1.5, 400_000)
    offset = logit_offset(rate, 1.5)
    assert np.mean(1 / (1 + np.exp(-(offset + difficulty)))) == pytest.approx(rate, abs=0.003)


def test_same_seed_same_study_and_other_seed_differs() -> None:
    scenario = demo_scenario(items_per_region=50)
    a, b = simulate_study(scenario, seed=1), simulate_study(scenario, seed=1)
    c = simulate_study(scenario, seed=2)
    item = a.items[3]
    assert a.judge_category(item, "cand-a", "style") == b.judge_category(item, "cand-a", "style")
    cats = [a.judge_category(i, "cand-a", "style") for i in a.items]
    assert cats != [c.judge_category(i, "cand-a", "style") for i in c.items]


def test_realised_pass_rates_and_judge_quality_match_the_scenario() -> None:
    scenario = demo_scenario(items_per_region=4000)
    world = simulate_study(scenario, seed=3)
    for key in [("correctness", "incumbent", "na"), ("correctness", "cand-b", "eu")]:
        assert latent_share(world, key) == pytest.approx(scenario.pass_rates[key], abs=0.02)
    lenient = scenario.judge(("correctness", "cand-b", "eu"))
    se, sp = judged_share(world, ("correctness", "cand-b", "eu"))
    assert se == pytest.approx(lenient.sensitivity, abs=0.02)
    assert sp == pytest.approx(lenient.specificity, abs=0.04)


def test_answers_to_the_same_item_are_correlated_across_models() -> None:
    world = simulate_study(demo_scenario(items_per_region=3000), seed=4)
    a = world._draws.latent[("correctness", "incumbent", "na")]
    b = world._draws.latent[("correctness", "cand-b", "na")]
    assert np.corrcoef(a, b)[0, 1] > 0.1


def test_likert_judge_outputs_one_to_five() -> None:
    world = simulate_study(demo_scenario(items_per_region=200), seed=5)
    cats = {world.judge_category(i, "incumbent", "style") for i in world.items}
    assert cats == {1, 2, 3, 4, 5}


def test_human_labels_carry_rater_noise() -> None:
    world = simulate_study(demo_scenario(items_per_region=3000), seed=6)
    key = ("refusal", "incumbent", "na")
    latent = world._draws.latent[key]
    items = [i for i in world.items if i.region == "na"]
    labels = np.array(
        [world.label(i.item_id, "incumbent", "refusal", "rater-3").value for i in items]
    )
    disagreement = float(np.mean(labels != latent))
    assert disagreement == pytest.approx(world.scenario.rater_errors[2], abs=0.01)
    expected = world.truth.human("refusal", "incumbent", "na")
    assert expected < world.truth.latent[key]


def test_truth_pools_regions_by_traffic_share() -> None:
    world = simulate_study(demo_scenario(items_per_region=10), seed=0)
    truth = world.truth
    pooled = sum(s * truth.human("correctness", "cand-a", r) for r, s in truth.shares.items())
    assert truth.human("correctness", "cand-a", "ALL") == pytest.approx(pooled)
    assert truth.delta("correctness", "cand-b", "eu") < -0.2


def test_scenario_rejects_missing_rates_and_bad_quality() -> None:
    with pytest.raises(ValueError, match="pass_rates"):
        Scenario(
            regions={"x": 1.0},
            incumbent="a",
            candidates=("b",),
            dimensions={"d": "binary"},
            margins={"d": 0.1},
            pass_rates={},
        )
    with pytest.raises(ValueError, match="sensitivity"):
        JudgeQuality(1.2, 0.5)
