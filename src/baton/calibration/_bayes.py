"""``method="bayes"``: per-model post-stratification on judge cells, regions partially pooled.

θ_mr = Σ_k π_mrk · p_mrk for model m in region r: the judge-cell shares π from every judged
row (a Bayesian bootstrap over the judged rows: Dirichlet on their weighted counts), the
human pass rates p within each cell from the labelled rows (``_hier``: regions partially
pooled, never across models). Labels chosen with unequal probability are weighted by the
inverse of ``inclusion_prob`` within their cell (effective counts, Kish). Ordinal human
labels get a Dirichlet over their levels within each cell, without pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from baton.calibration._hier import hierarchical_cell_rate_draws

__all__ = ["CellData", "cell_data", "stratum_draws"]

Array = NDArray[np.float64]
_ORDINAL_PRIOR = 0.5


@dataclass(frozen=True)
class CellData:
    """One model and dimension, by region (rows) and judge cell (columns)."""

    regions: tuple[str, ...]
    cells: tuple[int, ...]
    judged: Array  # effective judged counts per (region, cell)
    passes: Array  # effective labelled passes per (region, cell), binary labels
    trials: Array  # effective labelled rows per (region, cell)
    levels: tuple[float, ...]  # ordinal label levels (empty for binary)
    level_counts: Array  # (region, cell, level) effective counts, ordinal labels
    n_labelled: NDArray[np.int64]  # labelled rows per region


def _kish(weights: Array) -> float:
    total = weights.sum()
    return float(total * total / (weights * weights).sum()) if total > 0 else 0.0


def _effective(weights: Array, values: Array) -> tuple[float, float]:
    """Effective trials and effective sum of ``values`` under ``weights``."""
    n_eff = _kish(weights)
    return n_eff, n_eff * float(np.average(values, weights=weights)) if n_eff else 0.0


def cell_data(rows: pd.DataFrame, regions: tuple[str, ...], levels: tuple[float, ...]) -> CellData:
    """Effective counts for one model and dimension (``rows`` from a prepared frame)."""
    cells = tuple(sorted(int(c) for c in rows["cell"].unique()))
    shape = (len(regions), len(cells))
    judged, passes, trials = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    level_counts = np.zeros((*shape, len(levels)))
    n_labelled = np.zeros(len(regions), dtype=np.int64)
    for (region, cell), group in rows.groupby(["region", "cell"]):
        r, k = regions.index(str(region)), cells.index(int(cell))  # type: ignore[call-overload]
        judged[r, k] = group["weight"].sum()
        labelled = group[group["human"].notna()]
        if labelled.empty:
            continue
        n_labelled[r] += len(labelled)
        w = (labelled["weight"] / labelled["inclusion_prob"]).to_numpy(float)
        y = labelled["human"].to_numpy(float)
        trials[r, k], passes[r, k] = _effective(w, y)
        for j, level in enumerate(levels):
            level_counts[r, k, j] = _effective(w, (y == level).astype(float))[1]
    for r in range(len(regions)):  # judged shares: Bayesian bootstrap on effective counts
        total = judged[r].sum()
        if total > 0:
            rows_r = rows[rows["region"] == regions[r]]
            judged[r] *= _kish(rows_r["weight"].to_numpy(float)) / total
    return CellData(regions, cells, judged, passes, trials, levels, level_counts, n_labelled)


def _cell_mean_draws(data: CellData, rng: np.random.Generator, n_draws: int) -> Array:
    """Draws of E[human label | cell] per region and cell: (n_draws, regions, cells)."""
    if not data.levels:
        return hierarchical_cell_rate_draws(data.passes, data.trials, rng=rng, n_draws=n_draws)
    alpha = data.level_counts + _ORDINAL_PRIOR
    gammas = rng.gamma(alpha[None, ...], size=(n_draws, *alpha.shape))
    probs = gammas / gammas.sum(axis=-1, keepdims=True)
    means: Array = probs @ np.asarray(data.levels)
    return means


def stratum_draws(data: CellData, rng: np.random.Generator, n_draws: int) -> tuple[Array, Array]:
    """Draws of the stratum's mean human label in each region, (n_draws, regions), and the
    posterior mean of each cell's rate, (regions, cells).

    Regions without a judged row get NaN draws.
    """
    rates = _cell_mean_draws(data, rng, n_draws)
    thetas = np.full((n_draws, len(data.regions)), np.nan)
    for r in range(len(data.regions)):
        present = data.judged[r] > 0
        if not present.any():
            continue
        shares = rng.dirichlet(data.judged[r, present], size=n_draws)
        thetas[:, r] = (shares * rates[:, r, present]).sum(axis=1)
    return thetas, rates.mean(axis=0)
