from __future__ import annotations

import dataclasses

import numpy as np

from baton.data import stratified_sample
from baton.decision import SequentialOptions, run_sequential
from baton.simulate import JudgeQuality, demo_scenario, evidence_with_truth, simulate_study


def test_the_sequential_rule_stops_decided_strata_and_calls_right() -> None:
    rates = {}
    for (dim, model, region), rate in demo_scenario().pass_rates.items():
        if region in ("eu", "na"):
            rates[(dim, model, "us" if region == "na" else region)] = rate
    scenario = dataclasses.replace(
        demo_scenario(items_per_region=300),
        regions={"eu": 0.6, "us": 0.4},
        pass_rates=rates,
        judge_quality={},
        default_judge=JudgeQuality(0.95, 0.95),
    )
    world = simulate_study(scenario, seed=1)
    study = world.study
    sample = stratified_sample(world.items, 200, study.traffic_shares, rng=np.random.default_rng(1))
    table, truth = evidence_with_truth(world, sample, seed=1)
    options = SequentialOptions(
        arm="allocated",
        batch_units=40,
        max_labels=6000,
        confidence=0.95,
        margins={d.name: d.margin for d in study.dimensions},
        blocking={"eu": True, "us": True},
    )
    result = run_sequential(
        table, truth, baseline="incumbent", options=options, rng=np.random.default_rng(1)
    )
    assert result.labels_used <= 6000
    assert result.rounds >= 2
    decided = {k: v for k, v in result.calls.items() if v != "inconclusive"}
    assert decided
    for (dim, cand, region), outcome in decided.items():
        margin = study.dimension(dim).margin
        assert (outcome == "go") == world.truth.noninferior(dim, cand, region, margin)
    assert result.calls[("correctness", "cand-b", "eu")] == "no_go"
    assert all(result.decided_at[k] <= result.labels_used for k in decided)
