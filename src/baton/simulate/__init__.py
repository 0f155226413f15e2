"""Simulated studies with known truth, for the demo, the tests and the benchmarks."""

from __future__ import annotations

from baton.simulate._demo import demo_scenario
from baton.simulate._evidence import evidence_with_truth
from baton.simulate._families import CALIBRATION_FAMILIES, Family, calibration_family
from baton.simulate._scenario import JudgeQuality, Scenario, StratumKey
from baton.simulate._selection import LabelRequest, paired_label_requests
from baton.simulate._table import LabelDesign, judge_eta_squared, simulate_table
from baton.simulate._truth import Truth
from baton.simulate._world import SIMULATED_JUDGE, SimulatedJudge, SimulatedStudy, simulate_study

__all__ = [
    "CALIBRATION_FAMILIES",
    "SIMULATED_JUDGE",
    "Family",
    "JudgeQuality",
    "LabelDesign",
    "LabelRequest",
    "Scenario",
    "SimulatedJudge",
    "SimulatedStudy",
    "StratumKey",
    "Truth",
    "calibration_family",
    "demo_scenario",
    "evidence_with_truth",
    "judge_eta_squared",
    "paired_label_requests",
    "simulate_study",
    "simulate_table",
]
