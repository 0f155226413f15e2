"""Calibration: automated verdicts + a few human labels -> posteriors of human pass rates.

No I/O here: tables and arrays in, posterior draws and summaries out. ``estimate_frame``
fits a table (a DataFrame); ``baton.estimate`` reads one from a file and calls it.
"""

from __future__ import annotations

from baton.calibration._engine import METHODS, Method, Posteriors
from baton.calibration._estimate import (
    DEFAULT_DRAWS,
    SCHEMA_VERSION,
    Diagnostics,
    Estimates,
    Margins,
    estimate_frame,
)
from baton.calibration._intervals import credible_interval, noninferiority_probability
from baton.calibration._judges import JudgeDiagnostic, judge_warnings
from baton.calibration._types import ALL_REGIONS, Comparison, PassRateEstimate

__all__ = [
    "ALL_REGIONS",
    "DEFAULT_DRAWS",
    "METHODS",
    "SCHEMA_VERSION",
    "Comparison",
    "Diagnostics",
    "Estimates",
    "JudgeDiagnostic",
    "Margins",
    "Method",
    "PassRateEstimate",
    "Posteriors",
    "credible_interval",
    "estimate_frame",
    "judge_warnings",
    "noninferiority_probability",
]
