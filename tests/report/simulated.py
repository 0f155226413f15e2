"""A fixed simulated study for the report's golden files and browser test.

Three regions (one below the traffic threshold), an incumbent and three candidates on
three dimensions: ``swift`` and ``sage`` both pass (so the report recommends between them),
``shaky`` is clearly worse on correctness in ``eu``, where its judge is lenient. Responses
are made here, with hostile markup in some answers, so the report's escaping is exercised
on the text of real examples.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from baton.analysis import AnalysisOptions, Evidence, StudyResult, analyse_study
from baton.domain import Label, Response, Verdict
from baton.simulate import (
    JudgeQuality,
    Scenario,
    SimulatedStudy,
    paired_label_requests,
    simulate_study,
)
from baton.study import Study

__all__ = ["FIXED_TIME", "HOSTILE", "SimulatedReport", "simulated_report"]

FIXED_TIME = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
VERSION = "0.0.0-test"
HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
"""Markup in some answers: it must reach the page as text, never run."""

_REGIONS = {"na": 0.6, "eu": 0.36, "oc": 0.04}
_BASE = {"correctness": 0.78, "refusal": 0.9, "style": 0.8}
_MODELS = ("incumbent", "swift", "sage", "shaky")
_COST = {"incumbent": 0.0016, "swift": 0.0004, "sage": 0.0012, "shaky": 0.0006}
_LATENCY = {"incumbent": 1.4, "swift": 0.6, "sage": 1.8, "shaky": 0.9}


def _scenario() -> Scenario:
    rates = {}
    for dim, base in _BASE.items():
        for region in _REGIONS:
            rates[(dim, "incumbent", region)] = base
            rates[(dim, "swift", region)] = base + 0.09
            rates[(dim, "sage", region)] = min(base + 0.12, 0.98)
            rates[(dim, "shaky", region)] = base + 0.04
    rates[("correctness", "shaky", "eu")] = 0.5
    for region in _REGIONS:
        rates[("correctness", "sage", region)] = 0.95
    lenient = JudgeQuality(sensitivity=0.97, specificity=0.35)
    return Scenario(
        regions=_REGIONS,
        incumbent="incumbent",
        candidates=_MODELS[1:],
        dimensions={"correctness": "binary", "refusal": "binary", "style": "likert5"},
        margins={"correctness": 0.05, "refusal": 0.04, "style": 0.05},
        pass_rates=rates,
        items_per_region=160,
        default_judge=JudgeQuality(0.93, 0.93),
        judge_quality={("correctness", "shaky", r): lenient for r in _REGIONS},
        rater_errors=(0.01, 0.02),
        label_budget=4000,
    )


def _responses(world: SimulatedStudy) -> list[Response]:
    """One answer per item and model, with the model's cost and latency; ``shaky``'s
    answers in ``eu`` carry hostile markup."""
    out = []
    for i, item in enumerate(world.items):
        for model in _MODELS:
            text = f"Answer of {model} to {item.item_id}: see the help page."
            if model == "shaky" and item.region == "eu":
                text = f"{HOSTILE} {text}"
            latency = _LATENCY[model] * (0.6 + (i % 10) * 0.1)
            cost = _COST[model] * (1 + (i % 3) / 10)
            out.append(Response(item.item_id, model, text, 40, 80, latency, cost))
    return out


def _verdicts(world: SimulatedStudy) -> list[Verdict]:
    return [
        Verdict(
            item.item_id, model, dim, "simulated", "sim-1", world.judge_category(item, model, dim)
        )
        for item in world.items
        for model in _MODELS
        for dim in _BASE
    ]


def _labels(world: SimulatedStudy) -> list[Label]:
    rng = np.random.default_rng(11)
    requests = paired_label_requests(
        world.items, list(_MODELS), list(_BASE), budget=world.study.labels.budget, rng=rng
    )
    labels = []
    for req in requests:
        rater = world.raters[int(rng.integers(len(world.raters)))]
        value = world.label(req.item_id, req.model, req.dimension, rater).value
        labels.append(
            Label(req.item_id, req.model, req.dimension, rater, value, req.inclusion_prob)
        )
    return labels


class SimulatedReport:
    """The study, its evidence and its result."""

    def __init__(self, study: Study, evidence: Evidence, result: StudyResult) -> None:
        self.study = study
        self.evidence = evidence
        self.result = result


def simulated_report() -> SimulatedReport:
    """The fixed simulated study, analysed with a fixed clock and version."""
    world = simulate_study(_scenario(), seed=3, name="checkout-assistant migration")
    evidence = Evidence(list(world.items), _responses(world), _verdicts(world), _labels(world))
    result = analyse_study(
        world.study,
        evidence,
        options=AnalysisOptions(seed=5, n_draws=2000),
        version=VERSION,
        clock=lambda: FIXED_TIME,
    )
    return SimulatedReport(world.study, evidence, result)
