"""Decisions: non-inferiority per candidate, dimension and region. No I/O here."""

from __future__ import annotations

from baton.decision._noninferiority import (
    MAX_LABELS_NEEDED,
    candidate_verdict,
    labels_needed_estimate,
    noninferiority_outcome,
    noninferiority_probability,
)
from baton.decision._types import CandidateVerdict, Decision, Outcome

__all__ = [
    "MAX_LABELS_NEEDED",
    "CandidateVerdict",
    "Decision",
    "Outcome",
    "candidate_verdict",
    "labels_needed_estimate",
    "noninferiority_outcome",
    "noninferiority_probability",
]
