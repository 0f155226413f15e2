"""Credible intervals from posterior draws."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["credible_interval"]


def credible_interval(
    draws: NDArray[np.float64], level: float, *, bounds: tuple[float, float] = (0.0, 1.0)
) -> tuple[float, float, float]:
    """Posterior mean and a ``level`` credible interval.

    The central interval, unless the posterior piles up against a bound (every label
    agrees): then the one-sided interval reaching that bound is shorter, and it is used,
    so a pass rate of 1 can be reported as [0.97, 1].
    """
    tail = 1.0 - level
    low, high = bounds
    central = tuple(np.quantile(draws, [tail / 2, 1 - tail / 2]))
    to_low = (low, float(np.quantile(draws, level)))
    to_high = (float(np.quantile(draws, tail)), high)
    lower, upper = min((central, to_low, to_high), key=lambda iv: iv[1] - iv[0])
    return float(draws.mean()), float(lower), float(upper)
