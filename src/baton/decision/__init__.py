"""Decisions: non-inferiority per candidate, dimension and region, and which labels to ask
for next. No I/O here."""

from __future__ import annotations

from baton.decision._allocation import LabelUnit, allocate_units, systematic_pps
from baton.decision._interim import (
    InterimLook,
    InterimState,
    interim_look,
    interim_thresholds,
    interim_z,
    pocock_spending,
)
from baton.decision._looks import MIN_LOOK_LABELS, SequentialDecisions, sequential_decisions
from baton.decision._noninferiority import (
    MAX_LABELS_NEEDED,
    candidate_verdict,
    decide_comparisons,
    labels_needed_estimate,
    noninferiority_outcome,
    noninferiority_probability,
)
from baton.decision._types import CandidateVerdict, Decision, Outcome

__all__ = [
    "MAX_LABELS_NEEDED",
    "MIN_LOOK_LABELS",
    "CandidateVerdict",
    "Decision",
    "InterimLook",
    "InterimState",
    "LabelUnit",
    "Outcome",
    "SequentialDecisions",
    "allocate_units",
    "candidate_verdict",
    "decide_comparisons",
    "interim_look",
    "interim_thresholds",
    "interim_z",
    "labels_needed_estimate",
    "noninferiority_outcome",
    "noninferiority_probability",
    "pocock_spending",
    "sequential_decisions",
    "systematic_pps",
]
