"""``baton.estimate``: judge scores + a few human labels -> honest pass rates, from a table
in a file (CSV, JSON Lines, Parquet) or a DataFrame, with or without a study."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from baton.calibration import DEFAULT_DRAWS, Estimates, Margins, Method, estimate_frame
from baton.data import read_table

__all__ = ["estimate"]


def estimate(
    table: pd.DataFrame | str | Path,
    signals: Sequence[str],
    *,
    baseline: str | None = None,
    margin: Margins = None,
    level: float = 0.9,
    method: Method = "bayes",
    seed: int = 0,
    n_draws: int = DEFAULT_DRAWS,
    pool_deltas: bool = False,
) -> Estimates:
    """Calibrated pass rates per dimension × model × region (and ALL), and with a
    ``baseline`` each other model's difference from it with P(Δ > −margin).

    ``table`` is a DataFrame or the path of a CSV, JSONL or Parquet file, one row per
    (item, model, dimension); ``margin`` is one number, or one per dimension (a mapping);
    None means 0; ``pool_deltas`` pools each region's Δ with the other regions' (a study's
    ``decision.pool_regions``)."""
    if isinstance(table, pd.DataFrame):
        frame, source = table, "<DataFrame>"
    else:
        frame, source = read_table(table), str(table)
    return estimate_frame(
        frame,
        signals,
        source=source,
        baseline=baseline,
        margin=margin,
        level=level,
        method=method,
        seed=seed,
        n_draws=n_draws,
        pool_deltas=pool_deltas,
    )
