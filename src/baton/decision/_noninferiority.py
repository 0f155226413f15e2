"""Non-inferiority decisions per region and dimension, and the call per candidate.

A candidate is non-inferior on a dimension in a region when P(Δ > −margin) ≥ confidence,
no-go when P(Δ > −margin) ≤ 1 − confidence, and otherwise inconclusive, with the labels a
stratum still needs. A candidate is a go when it is non-inferior on every dimension in
every region at or above the traffic threshold; a smaller region that is clearly worse is
flagged by name, never pooled away.

These are the calls of one look (a fixed design: the demo's report, ``baton estimate``).
A loop that looks after every batch and keeps the first call must make each call at a
stricter, per-look threshold, or a cell at Δ = −margin is called go far more often than
1 − confidence: ``baton.decision._looks`` makes those calls over a study's recorded looks
(``baton decide``, ``baton next``, the review app) and in the simulated loop (``baton
plan``, the decisions benchmark).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from baton.calibration import ALL_REGIONS
from baton.decision._types import CandidateVerdict, Decision, Outcome

__all__ = [
    "MAX_LABELS_NEEDED",
    "candidate_verdict",
    "labels_needed_estimate",
    "noninferiority_outcome",
]

MAX_LABELS_NEEDED = 100_000
"""Cap on ``labels_needed``: a cell whose Δ sits on the margin may never be decided."""


def noninferiority_outcome(p_noninferior: float, confidence: float) -> Outcome:
    """Go, no-go or inconclusive from P(Δ > −margin) and the study's confidence."""
    if p_noninferior >= confidence:
        return "go"
    if p_noninferior <= 1.0 - confidence:
        return "no_go"
    return "inconclusive"


def labels_needed_estimate(
    delta_draws: NDArray[np.float64], margin: float, confidence: float, n_labelled: int
) -> int:
    """Further labels per model this stratum needs for a decision, if Δ's mean holds.

    The posterior sd is assumed to shrink as 1/√n; the target sd puts the margin
    z_confidence sds from the mean.
    """
    distance = abs(float(delta_draws.mean()) + margin)
    sd = float(delta_draws.std())
    z = float(stats.norm.ppf(confidence))
    if distance == 0.0:
        return MAX_LABELS_NEEDED
    target_sd = distance / z
    current = max(n_labelled, 1)
    needed = current * (sd / target_sd) ** 2 - current
    return int(min(MAX_LABELS_NEEDED, max(1, math.ceil(needed))))


def candidate_verdict(candidate: str, decisions: Sequence[Decision]) -> CandidateVerdict:
    """The overall call on a candidate from its per-region, per-dimension decisions."""
    own = [d for d in decisions if d.candidate == candidate]
    blocking = [d for d in own if d.blocking]
    flagged = sorted(
        {
            d.region
            for d in own
            if not d.blocking and d.outcome == "no_go" and d.region != ALL_REGIONS
        }
    )
    failing = [d for d in blocking if d.outcome == "no_go"]
    open_cells = [d for d in blocking if d.outcome == "inconclusive"]
    outcome: Outcome
    if failing:
        outcome = "no_go"
        reasons = tuple(f"worse than the margin on {d.dimension} in {d.region}" for d in failing)
    elif open_cells:
        outcome = "inconclusive"
        reasons = tuple(f"undecided on {d.dimension} in {d.region}" for d in open_cells)
    else:
        outcome = "go"
        reasons = ("non-inferior on every dimension in every region above the traffic threshold",)
    reasons += tuple(f"{r} (below the traffic threshold) is clearly worse" for r in flagged)
    return CandidateVerdict(candidate, outcome, reasons, tuple(flagged))
