"""Credible intervals from posterior draws."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["credible_interval"]


_BIN_SDS = 0.5


def _piled_against(draws: NDArray[np.float64], bound: float, width: float) -> bool:
    """Whether the draws are densest next to ``bound``: cut into bins ``width`` wide,
    counted outwards from the bound, the first bin holds the most."""
    distance = np.abs(draws - bound)
    counts = np.bincount((distance // width).astype(np.int64))
    return int(counts.argmax()) == 0


def credible_interval(
    draws: NDArray[np.float64], level: float, *, bounds: tuple[float, float] = (0.0, 1.0)
) -> tuple[float, float, float]:
    """Posterior mean and a ``level`` credible interval.

    The central interval, unless the posterior piles up against a bound — its density is
    highest next to it, in bins half a posterior standard deviation wide counted from the
    bound, as when every label agrees: then the one-sided interval reaching that bound, so
    a pass rate of 1 can be reported as [0.97, 1]. The bins scale with the posterior: with
    fixed bins (a fortieth of the range), a pooled posterior near 0.98 with a standard
    deviation of 0.01 counted as piled against 1, and its one-sided interval, chosen when
    its draws sat high, left the central one for the draws that sat low — pooled 90%
    intervals at true rates 0.97–0.995 covered 0.863 with 50 labels per region, against
    0.891 for the central one on the same draws. Which interval is used never depends on
    which is shorter: choosing the shortest of several cost coverage (for a Jeffreys
    posterior at θ = 0.85 with 20 labels, 76% for a 90% interval against 89% for the
    central one).
    """
    tail = 1.0 - level
    low, high = bounds
    width = _BIN_SDS * float(draws.std())
    if width > 0 and _piled_against(draws, high, width):
        lower, upper = float(np.quantile(draws, tail)), high
    elif width > 0 and _piled_against(draws, low, width):
        lower, upper = low, float(np.quantile(draws, level))
    else:
        lower, upper = (float(q) for q in np.quantile(draws, [tail / 2, 1 - tail / 2]))
    return float(draws.mean()), lower, upper


def noninferiority_probability(delta_draws: NDArray[np.float64], margin: float) -> float:
    """P(Δ > −margin) from posterior draws of Δ = candidate − incumbent."""
    return float(np.mean(delta_draws > -margin))
