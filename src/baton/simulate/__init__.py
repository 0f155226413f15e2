"""Simulated studies with known truth, for the demo, the tests and the benchmarks."""

from __future__ import annotations

from baton.simulate._demo import demo_scenario
from baton.simulate._scenario import JudgeQuality, Scenario, StratumKey
from baton.simulate._truth import Truth
from baton.simulate._world import SIMULATED_JUDGE, SimulatedJudge, SimulatedStudy, simulate_study

__all__ = [
    "SIMULATED_JUDGE",
    "JudgeQuality",
    "Scenario",
    "SimulatedJudge",
    "SimulatedStudy",
    "StratumKey",
    "Truth",
    "demo_scenario",
    "simulate_study",
]
