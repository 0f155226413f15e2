"""What the report reads off the posterior draws: which passing candidate is best on each
dimension, and the confidence curve P(Δ > −δ) as the tolerance δ varies (no I/O)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from baton.analysis._result import BestProbability, ConfidenceCurve
from baton.calibration import ALL_REGIONS
from baton.decision import CandidateVerdict
from baton.domain import Stratum

__all__ = ["CURVE_POINTS", "best_probabilities", "confidence_curves", "curve_margins"]

Array = NDArray[np.float64]

CURVE_POINTS = 41
"""Tolerances per confidence curve, evenly spaced from 0 to about three margins."""

_STEPS = (0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0)


def best_probabilities(
    strata: Mapping[Stratum, Array | None],
    verdicts: Sequence[CandidateVerdict],
    dimensions: Sequence[str],
) -> list[BestProbability]:
    """For each dimension, the share of posterior draws in which each passing candidate has
    the highest pooled pass rate; empty unless at least two candidates pass.

    The candidates' draws are independent (their labels are different responses), which
    leaves out the pairing on shared items: the probabilities lean toward a tie, never away.
    """
    contenders = tuple(v.candidate for v in verdicts if v.outcome == "go")
    if len(contenders) < 2:
        return []
    out = []
    for dimension in dimensions:
        draws = [strata.get(Stratum(dimension, c, ALL_REGIONS)) for c in contenders]
        if any(d is None for d in draws):
            shares = [math.nan] * len(contenders)
        else:
            stacked = np.vstack([d for d in draws if d is not None])
            winners = np.argmax(stacked, axis=0)
            shares = [float(np.mean(winners == i)) for i in range(len(contenders))]
        out += [
            BestProbability(dimension, c, p, contenders)
            for c, p in zip(contenders, shares, strict=True)
        ]
    return out


def _round_up(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 × a power of ten that is at least ``value``."""
    for step in _STEPS:
        if value <= step + 1e-12:
            return step
    return 1.0


def curve_margins(margin: float) -> tuple[float, ...]:
    """Tolerances from 0 to a round number at least three times the margin (and 1 pp)."""
    top = _round_up(max(3 * margin, 0.01))
    return tuple(round(top * i / (CURVE_POINTS - 1), 6) for i in range(CURVE_POINTS))


def confidence_curves(
    deltas: Mapping[tuple[str, str, str], Array | None], margins: Mapping[str, float]
) -> list[ConfidenceCurve]:
    """P(Δ > −δ) for every candidate, dimension and region with draws, on one grid of δ per
    dimension so that the curves of one dimension share an axis."""
    out = []
    for dimension, margin in margins.items():
        own = {k: d for k, d in deltas.items() if k[0] == dimension and d is not None}
        grid = curve_margins(margin)
        thresholds = -np.asarray(grid)[:, None]
        for (dim, candidate, region), draws in sorted(own.items()):
            p = np.mean(draws[None, :] > thresholds, axis=1)
            out.append(ConfidenceCurve(dim, candidate, region, grid, tuple(float(x) for x in p)))
    return out
