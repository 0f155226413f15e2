"""Scenarios: the known truth a simulated study is drawn from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["JudgeQuality", "Scenario", "StratumKey"]

StratumKey = tuple[str, str, str]
"""(dimension, model, region)"""

Scale = Literal["binary", "likert5"]


@dataclass(frozen=True)
class JudgeQuality:
    """How a judge sees one stratum: P(judge pass | human pass), P(judge fail | human fail).

    For a Likert judge, "pass" means a score of 4 or 5; ``confident_errors`` is the share
    of its false passes that are a confident 5 rather than a 4.
    """

    sensitivity: float
    specificity: float
    confident_errors: float = 0.7

    def __post_init__(self) -> None:
        for name in ("sensitivity", "specificity", "confident_errors"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")


@dataclass(frozen=True)
class Scenario:
    """The truth of a simulated study.

    ``pass_rates`` gives each (dimension, model, region) its true latent pass rate;
    ``judge_quality`` overrides ``default_judge`` per stratum (a lenient judge on one
    candidate, a poor judge in one region). Prompt difficulty (``difficulty_sd``, logit
    scale) is shared by all models, so their answers to one item are correlated. Human
    raters flip the latent truth with their own error rates.
    """

    regions: Mapping[str, float]
    incumbent: str
    candidates: tuple[str, ...]
    dimensions: Mapping[str, Scale]
    margins: Mapping[str, float]
    pass_rates: Mapping[StratumKey, float]
    items_per_region: int = 400
    default_judge: JudgeQuality = JudgeQuality(0.9, 0.9)
    judge_quality: Mapping[StratumKey, JudgeQuality] = field(default_factory=dict)
    difficulty_sd: float = 1.0
    rater_errors: tuple[float, ...] = (0.02, 0.03, 0.05)
    label_budget: int = 1000
    confidence: float = 0.95
    min_traffic_share: float = 0.05

    @property
    def models(self) -> tuple[str, ...]:
        return (self.incumbent, *self.candidates)

    def strata(self) -> list[StratumKey]:
        return [(d, m, r) for d in self.dimensions for m in self.models for r in self.regions]

    def judge(self, key: StratumKey) -> JudgeQuality:
        return self.judge_quality.get(key, self.default_judge)

    def __post_init__(self) -> None:
        missing = [key for key in self.strata() if key not in self.pass_rates]
        if missing:
            raise ValueError(f"pass_rates lacks {missing[:3]}")
        if abs(sum(self.regions.values()) - 1.0) > 1e-9:
            raise ValueError("region traffic shares must sum to 1")
