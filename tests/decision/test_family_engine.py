"""Family-wise false go through the engine: three candidates, each exactly at Δ = −margin,
decided by the product's rule on simulated label streams (``estimate_frame`` and
``sequential_decisions``, one look with the budget in). Per candidate, some candidate is
called go in about K · α of the studies; under the control, in at most about α."""

from __future__ import annotations

from benchmarks.calibration_family import RULES, Settings, run_study, study_seeds

STUDIES = 40
SETTINGS = Settings(
    candidates=3, items=200, batch=60, rounds=1, margin=0.05, confidence=0.95, draws=400
)


def test_the_control_keeps_false_go_across_candidates_near_its_level() -> None:
    outcomes = [run_study(seed, SETTINGS) for seed in study_seeds(STUDIES)]
    any_go = {rule: sum(any(o.gone[rule]) for o in outcomes) for rule in RULES}
    # seeded: 6 of 40 studies per candidate (15%, the bound K · α), 1 of 40 under control
    assert any_go["per_candidate"] >= 4
    assert any_go["control"] <= 0.05 * STUDIES
    assert any_go["control"] < any_go["per_candidate"]
