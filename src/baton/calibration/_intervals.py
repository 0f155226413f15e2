"""Credible intervals from posterior draws."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["credible_interval"]


_BINS = 40


def credible_interval(
    draws: NDArray[np.float64], level: float, *, bounds: tuple[float, float] = (0.0, 1.0)
) -> tuple[float, float, float]:
    """Posterior mean and a ``level`` credible interval.

    The central interval, unless the posterior piles up against a bound — its density is
    highest in the bin next to it (a histogram of ``_BINS`` bins over ``bounds``), as when
    every label agrees: then the one-sided interval reaching that bound, so a pass rate of
    1 can be reported as [0.97, 1]. Which interval is used never depends on which is
    shorter: choosing the shortest of several cost coverage (for a Jeffreys posterior at
    θ = 0.85 with 20 labels, 76% for a 90% interval against 89% for the central one).
    """
    tail = 1.0 - level
    low, high = bounds
    counts, _ = np.histogram(draws, bins=_BINS, range=bounds)
    peak = int(counts.argmax())
    if peak == _BINS - 1:
        lower, upper = float(np.quantile(draws, tail)), high
    elif peak == 0:
        lower, upper = low, float(np.quantile(draws, level))
    else:
        lower, upper = (float(q) for q in np.quantile(draws, [tail / 2, 1 - tail / 2]))
    return float(draws.mean()), lower, upper


def noninferiority_probability(delta_draws: NDArray[np.float64], margin: float) -> float:
    """P(Δ > −margin) from posterior draws of Δ = candidate − incumbent."""
    return float(np.mean(delta_draws > -margin))
