"""Calibration: automated verdicts + a few human labels -> posteriors of human pass rates.

No I/O here: arrays in, posterior draws and summaries out.
"""

from __future__ import annotations

from baton.calibration._poststrat import (
    DEFAULT_DRAWS,
    central_interval,
    pooled_draws,
    poststratified_pass_rate_draws,
)
from baton.calibration._types import ALL_REGIONS, Comparison, PassRateEstimate

__all__ = [
    "ALL_REGIONS",
    "DEFAULT_DRAWS",
    "Comparison",
    "PassRateEstimate",
    "central_interval",
    "pooled_draws",
    "poststratified_pass_rate_draws",
]
