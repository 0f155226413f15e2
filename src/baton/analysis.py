"""A study's result: what calibration and decision found, with what the report needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from baton.calibration._types import Comparison, PassRateEstimate
from baton.decision._types import CandidateVerdict, Decision, Outcome

__all__ = ["ModelUsage", "Provenance", "StudyResult", "overall_outcome"]


@dataclass(frozen=True)
class ModelUsage:
    """Cost and latency of one model's responses in the study."""

    model: str
    n_responses: int
    n_errors: int
    cost_per_1k: float
    latency_p50_s: float
    latency_p95_s: float


@dataclass(frozen=True)
class Provenance:
    """Where a result came from."""

    study_name: str
    study_fingerprint: str
    baton_version: str
    seed: int
    created_at: str
    models: dict[str, str]
    judges: dict[str, str]


@dataclass(frozen=True)
class StudyResult:
    """Everything a report shows."""

    estimates: tuple[PassRateEstimate, ...]
    comparisons: tuple[Comparison, ...]
    decisions: tuple[Decision, ...]
    verdicts: tuple[CandidateVerdict, ...]
    usage: tuple[ModelUsage, ...]
    provenance: Provenance
    level: float
    confidence: float
    labels_used: int
    labels_budget: int
    warnings: tuple[str, ...] = field(default=())


ExitOutcome = Literal["go", "no_go", "inconclusive"]


def overall_outcome(verdicts: tuple[CandidateVerdict, ...]) -> Outcome:
    """Go when some candidate is go; no-go when every candidate is no-go; else inconclusive."""
    outcomes = {v.outcome for v in verdicts}
    if "go" in outcomes:
        return "go"
    if outcomes == {"no_go"}:
        return "no_go"
    return "inconclusive"
