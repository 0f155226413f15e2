"""Paired comparisons: when two models answered (and humans labelled) the same items.

The posterior of each model's pass rate comes from its own calibration; what pairing adds
is the correlation between the two estimates, which cancels prompt difficulty. It is
estimated from the post-stratified estimator's influence function on the shared items
(judged part and labelled part), and the draws of Δ = θ_B − θ_A are rescaled about their
mean to the paired variance Var(θ_A) + Var(θ_B) − 2ρ·sd_A·sd_B. This is a moment-matched
approximation to the joint posterior; with no shared items ρ = 0 and nothing changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["influence", "paired_correlation", "paired_delta_draws"]

Array = NDArray[np.float64]


def influence(
    rows: pd.DataFrame, cells: tuple[int, ...], cell_means: Array
) -> tuple[pd.Series, pd.Series]:
    """Influence of each judged row and each labelled row on the stratum's estimate.

    ``rows``: one model, dimension and region of a prepared frame; ``cell_means``: the
    posterior mean of the human label in each of ``cells``. Both series are indexed by
    item_id.
    """
    lookup = dict(zip(cells, cell_means, strict=True))
    p_bar = rows["cell"].map(lookup).astype(float)
    w = rows["weight"].astype(float)
    share = w.groupby(rows["cell"]).sum() / w.sum()
    theta = float((share * share.index.map(lookup)).sum())
    judged = pd.Series((w / w.sum() * (p_bar - theta)).to_numpy(), index=rows["item_id"])
    lab = rows["human"].notna()
    wl = (w / rows["inclusion_prob"])[lab]
    cell_total = wl.groupby(rows["cell"][lab]).transform("sum")
    pi = rows["cell"][lab].map(share).astype(float)
    resid = rows["human"][lab] - p_bar[lab]
    labelled = pd.Series((pi * wl * resid / cell_total).to_numpy(), index=rows["item_id"][lab])
    return judged, labelled


def _dot(a: pd.Series, b: pd.Series) -> float:
    shared = a.index.intersection(b.index)
    return float((a.loc[shared] * b.loc[shared]).sum()) if len(shared) else 0.0


def paired_correlation(
    first: tuple[pd.Series, pd.Series], second: tuple[pd.Series, pd.Series]
) -> float:
    """Correlation of two models' estimates from their influence on shared items."""
    var_a = sum(float((s * s).sum()) for s in first)
    var_b = sum(float((s * s).sum()) for s in second)
    if var_a <= 0 or var_b <= 0:
        return 0.0
    cov = _dot(first[0], second[0]) + _dot(first[1], second[1])
    return float(np.clip(cov / np.sqrt(var_a * var_b), -1.0, 1.0))


def paired_delta_draws(theta_a: Array, theta_b: Array, rho: float) -> Array:
    """Draws of θ_B − θ_A with the variance the pairing implies."""
    delta = theta_b - theta_a
    unpaired = float(delta.var())
    if unpaired <= 0 or rho == 0:
        return delta
    paired = unpaired - 2 * rho * float(theta_a.std()) * float(theta_b.std())
    scale = np.sqrt(max(paired, 1e-12) / unpaired)
    centre = float(delta.mean())
    return np.asarray(centre + scale * (delta - centre), dtype=np.float64)
