"""The demo scenario: six regions, an incumbent and two candidates, three dimensions."""

from __future__ import annotations

from baton.simulate._scenario import JudgeQuality, Scenario, StratumKey

__all__ = ["demo_scenario"]

_REGIONS = {"na": 0.34, "eu": 0.26, "apac": 0.18, "latam": 0.12, "mena": 0.07, "africa": 0.03}
_INCUMBENT = {"correctness": 0.78, "refusal": 0.9, "style": 0.82}


def demo_scenario(*, items_per_region: int = 400) -> Scenario:
    """A migration where ``cand-a`` is a go and ``cand-b`` a no-go that a naive judge passes.

    ``cand-a`` is better everywhere except ``africa`` (3% of traffic, below the threshold),
    where its correctness is far worse: flagged, not blocking. ``cand-b`` matches the
    incumbent except for correctness in ``eu``, 28 points worse, where the judge is
    lenient on it — an uncalibrated judge would wave it through.
    """
    rates: dict[StratumKey, float] = {}
    for dimension, base in _INCUMBENT.items():
        for region in _REGIONS:
            rates[(dimension, "incumbent", region)] = base
            rates[(dimension, "cand-a", region)] = min(base + 0.12, 0.99)
            rates[(dimension, "cand-b", region)] = base + 0.02
    rates[("correctness", "cand-a", "africa")] = 0.55
    rates[("correctness", "cand-b", "eu")] = 0.5
    lenient = JudgeQuality(sensitivity=0.97, specificity=0.35)
    return Scenario(
        regions=_REGIONS,
        incumbent="incumbent",
        candidates=("cand-a", "cand-b"),
        dimensions={"correctness": "binary", "refusal": "binary", "style": "likert5"},
        margins={"correctness": 0.05, "refusal": 0.04, "style": 0.05},
        pass_rates=rates,
        items_per_region=items_per_region,
        default_judge=JudgeQuality(0.95, 0.95),
        rater_errors=(0.01, 0.02, 0.03),
        judge_quality={("correctness", "cand-b", r): lenient for r in _REGIONS},
        label_budget=8100,
    )
