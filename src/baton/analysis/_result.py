"""A study's result: what calibration and decision found, with what the report needs.

Everything here is plain, frozen data computed by ``analyse_study`` (from a study's evidence)
or read back from an ``estimate`` result; the report renderers only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from baton.calibration import Comparison, PassRateEstimate
from baton.decision import CandidateVerdict, Decision, FamilyRule, Outcome
from baton.domain import ExpectedBehaviour

__all__ = [
    "Behaviour",
    "BestProbability",
    "ConfidenceCurve",
    "CurveSource",
    "DataSnapshot",
    "EvidenceSource",
    "FailureExample",
    "JudgeCalibration",
    "JudgeCategory",
    "ModelUsage",
    "Provenance",
    "RefusalTransitions",
    "StudyResult",
    "labels_needed_total",
    "overall_outcome",
]

Behaviour = Literal["complied", "refused"]
EvidenceSource = Literal["human labels", "judge verdicts"]
CurveSource = Literal["posterior draws", "normal approximation"]


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
class DataSnapshot:
    """What the result was computed from: row counts and a digest of their content."""

    n_items: int
    n_responses: int
    n_verdicts: int
    n_labels: int
    digest: str


@dataclass(frozen=True)
class Provenance:
    """Where a result came from.

    ``models`` maps each model to ``provider:model id``; ``model_parameters`` to its
    generation parameters (the service's, overridden by the model's own); ``prompt_hashes``
    to the SHA-256 (16 hex digits) of the system prompt it was sent; ``rubric_hashes`` and
    ``judges`` map each dimension to its rubric's hash and its judge's name, and
    ``judge_versions`` to the judge versions found among its verdicts.
    """

    study_name: str
    study_fingerprint: str
    baton_version: str
    seed: int
    created_at: str
    models: dict[str, str]
    judges: dict[str, str]
    model_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompt_hashes: dict[str, str] = field(default_factory=dict)
    rubric_hashes: dict[str, str] = field(default_factory=dict)
    judge_versions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    data: DataSnapshot | None = None
    source: str = ""


@dataclass(frozen=True)
class BestProbability:
    """P(this candidate has the highest pooled human pass rate on the dimension), among
    the candidates that passed (``contenders``); NaN when one of them is uncalibrated."""

    dimension: str
    candidate: str
    p_best: float
    contenders: tuple[str, ...]


@dataclass(frozen=True)
class ConfidenceCurve:
    """P(candidate − incumbent > −δ) for each tolerance δ in ``margins`` (fractions, not
    percentage points), from the posterior draws of Δ in one region (or ``ALL``)."""

    dimension: str
    candidate: str
    region: str
    margins: tuple[float, ...]
    p_noninferior: tuple[float, ...]


@dataclass(frozen=True)
class JudgeCategory:
    """One judge output (category None: the judge abstained) for one model on one
    dimension: how often the judge gave it, and what the humans said of those responses."""

    category: int | None
    n_judged: int
    n_labelled: int
    n_human_pass: int

    @property
    def p_human_pass(self) -> float:
        """The share of labelled responses in this category that humans passed (NaN: none)."""
        return self.n_human_pass / self.n_labelled if self.n_labelled else float("nan")


@dataclass(frozen=True)
class JudgeCalibration:
    """How one model's responses on one dimension look to the judge and to the humans.

    Se, Sp and J = Se + Sp − 1 treat the judge's upper half of its scale as a pass and are
    pooled over regions; ``j_gap`` is J minus the incumbent's J; ``treated_differently``
    flags a gap large enough, and beyond its noise, that only a per-model calibration holds.
    """

    dimension: str
    judge: str
    scale: str
    model: str
    categories: tuple[JudgeCategory, ...]
    n_labelled: int
    sensitivity: float
    specificity: float
    youden_j: float
    j_gap: float
    treated_differently: bool


@dataclass(frozen=True)
class RefusalTransitions:
    """Incumbent × candidate behaviour (complied or refused) on the items whose expected
    behaviour is known, for one candidate and one expected behaviour.

    ``counts[(incumbent, candidate)]`` is the number of items; ``from_labels`` and
    ``from_judge`` count the responses whose behaviour came from a human label on
    ``dimension`` and from its judge's verdict.
    """

    candidate: str
    dimension: str
    expected: ExpectedBehaviour
    counts: dict[tuple[Behaviour, Behaviour], int]
    from_labels: int
    from_judge: int


@dataclass(frozen=True)
class FailureExample:
    """An item on which the candidate failed and the incumbent passed, with both answers
    (plain, unescaped text, possibly shortened)."""

    candidate: str
    dimension: str
    region: str
    item_id: str
    prompt: str
    incumbent_answer: str
    candidate_answer: str
    source: EvidenceSource


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
    margins: dict[str, float] = field(default_factory=dict)
    """Each dimension's non-inferiority margin, as the decisions used it."""
    warnings: tuple[str, ...] = ()
    best: tuple[BestProbability, ...] = ()
    curves: tuple[ConfidenceCurve, ...] = ()
    judges: tuple[JudgeCalibration, ...] = ()
    refusals: tuple[RefusalTransitions, ...] = ()
    examples: tuple[FailureExample, ...] = ()
    curves_source: CurveSource = "posterior draws"
    family: FamilyRule | None = None
    """How the false go was shared across the candidates (None: not stated, as in a result
    built before the setting; the reports then derive it from the study)."""


ExitOutcome = Literal["go", "no_go", "inconclusive"]


def overall_outcome(verdicts: tuple[CandidateVerdict, ...]) -> Outcome:
    """Go when some candidate is go; no-go when every candidate is no-go; else inconclusive."""
    outcomes = {v.outcome for v in verdicts}
    if "go" in outcomes:
        return "go"
    if outcomes == {"no_go"}:
        return "no_go"
    return "inconclusive"


def labels_needed_total(decisions: tuple[Decision, ...]) -> int:
    """Human labels needed to decide every blocking inconclusive cell, if each Δ holds.

    A cell needs its ``labels_needed`` for the candidate and as many for the incumbent;
    the incumbent's labels in a region and dimension serve every candidate, so they count
    once, at the largest need.
    """
    open_cells = [
        d
        for d in decisions
        if d.blocking and d.outcome == "inconclusive" and d.labels_needed is not None
    ]
    incumbent: dict[tuple[str, str], int] = {}
    for d in open_cells:
        key = (d.dimension, d.region)
        incumbent[key] = max(incumbent.get(key, 0), d.labels_needed or 0)
    return sum(d.labels_needed or 0 for d in open_cells) + sum(incumbent.values())
