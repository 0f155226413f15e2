"""What the calibration stage hands on: summaries of posteriors."""

from __future__ import annotations

import math
from dataclasses import dataclass

from baton.domain import Stratum

__all__ = ["ALL_REGIONS", "Comparison", "PassRateEstimate"]

ALL_REGIONS = "ALL"
"""The region name of estimates pooled over regions by traffic share."""


@dataclass(frozen=True)
class PassRateEstimate:
    """A stratum's human pass rate: posterior mean and central credible interval.

    ``calibrated`` is False when the stratum has no human labels: then ``mean``, ``lower``
    and ``upper`` are NaN and only ``judge_mean`` (the uncalibrated judge pass share) is
    given, labelled as such wherever it is shown.
    """

    stratum: Stratum
    mean: float
    lower: float
    upper: float
    n_items: int
    n_labelled: int
    calibrated: bool
    judge_mean: float


@dataclass(frozen=True)
class Comparison:
    """Candidate minus baseline pass rate in one region on one dimension."""

    dimension: str
    candidate: str
    baseline: str
    region: str
    mean: float
    lower: float
    upper: float
    margin: float
    p_noninferior: float
    calibrated: bool
    sd: float = math.nan
    """The posterior standard deviation of Δ: with ``mean``, the normal reading the label
    loop's boundaries are drawn on (a report made from an estimate result reads the same)."""
