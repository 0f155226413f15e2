"""What the decision stage hands on."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["SIGNAL", "CandidateVerdict", "Decision", "Outcome"]

SIGNAL = "judge"
"""The signal column of a study's evidence table: each dimension's configured judge."""

Outcome = Literal["go", "no_go", "inconclusive"]


@dataclass(frozen=True)
class Decision:
    """Non-inferiority of one candidate on one dimension in one region.

    ``blocking`` is False for regions below the study's traffic threshold: they are
    reported but do not block a go. ``labels_needed`` estimates how many more human labels
    (per model, in this stratum) an inconclusive cell needs; None when decided.
    ``threshold`` is the P(Δ > −margin) a go needed at the look that made the call (or
    needs at this look): the study's confidence for one look, higher at the interim looks
    of a label loop (``baton.decision._looks``). ``reason`` says, in words, why an open
    cell is open (empty for a call).
    """

    candidate: str
    dimension: str
    region: str
    outcome: Outcome
    p_noninferior: float
    blocking: bool
    labels_needed: int | None = None
    threshold: float = math.nan
    reason: str = ""


@dataclass(frozen=True)
class CandidateVerdict:
    """The overall call on one candidate, with the reasons in words."""

    candidate: str
    outcome: Outcome
    reasons: tuple[str, ...]
    flagged_regions: tuple[str, ...] = ()
