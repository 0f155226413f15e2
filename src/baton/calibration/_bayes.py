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


def _sums(codes: NDArray[np.int64], values: Array, size: int) -> Array:
    return np.bincount(codes, weights=values, minlength=size).astype(np.float64)


def _effective_counts(
    codes: NDArray[np.int64], weights: Array, values: Array, size: int
) -> tuple[Array, Array]:
    """Per group: Kish effective count, and the effective sum of ``values`` under weights."""
    total, squares = _sums(codes, weights, size), _sums(codes, weights * weights, size)
    n_eff = np.divide(total * total, squares, out=np.zeros(size), where=squares > 0)
    mean = np.divide(
        _sums(codes, weights * values, size), total, out=np.zeros(size), where=total > 0
    )
    return n_eff, n_eff * mean


def cell_data(rows: pd.DataFrame, regions: tuple[str, ...], levels: tuple[float, ...]) -> CellData:
    """Effective counts for one model and dimension (``rows`` from a prepared frame)."""
    cells = tuple(sorted(int(c) for c in rows["cell"].unique()))
    shape = (len(regions), len(cells))
    size = shape[0] * shape[1]
    r = pd.Categorical(rows["region"], categories=list(regions)).codes.astype(np.int64)
    k = np.searchsorted(np.asarray(cells), rows["cell"].to_numpy(np.int64))
    codes = r * len(cells) + k
    weight = rows["weight"].to_numpy(float)
    judged = _sums(codes, weight, size).reshape(shape)
    lab = rows["human"].notna().to_numpy()
    w = (rows["weight"] / rows["inclusion_prob"]).to_numpy(float)[lab]
    y = rows["human"].to_numpy(float)[lab]
    trials, passes = (a.reshape(shape) for a in _effective_counts(codes[lab], w, y, size))
    level_counts = np.zeros((*shape, len(levels)))
    for j, level in enumerate(levels):
        hit = (y == level).astype(float)
        level_counts[:, :, j] = _effective_counts(codes[lab], w, hit, size)[1].reshape(shape)
    n_labelled = np.bincount(r[lab], minlength=len(regions)).astype(np.int64)
    # judged shares: a Bayesian bootstrap on each region's effective (Kish) count
    region_kish = _effective_counts(r, weight, np.ones_like(weight), len(regions))[0]
    totals = judged.sum(axis=1, keepdims=True)
    judged = np.divide(judged * region_kish[:, None], totals, out=np.zeros(shape), where=totals > 0)
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
