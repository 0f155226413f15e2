"""Calibration: automated verdicts + a few human labels -> posteriors of human pass rates.

No I/O here: tables and arrays in, posterior draws and summaries out. The public entry
point is ``baton.estimate``.
"""

from __future__ import annotations

from baton.calibration._intervals import credible_interval
from baton.calibration._types import ALL_REGIONS, Comparison, PassRateEstimate

__all__ = ["ALL_REGIONS", "Comparison", "PassRateEstimate", "credible_interval"]
