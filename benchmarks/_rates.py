"""A share of hits and its Monte Carlo (binomial) standard error, for the benchmarks' tables."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["hit_rate"]


def hit_rate(hits: Sequence[bool] | Sequence[float]) -> tuple[float, float]:
    """The share of ``hits`` that are true, and its standard error √(p(1 − p)/n)."""
    values = np.asarray(hits, dtype=float)
    p = float(values.mean())
    return p, math.sqrt(p * (1 - p) / values.size)
