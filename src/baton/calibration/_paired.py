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

__all__ = ["influence", "paired_correlations", "paired_delta_draws"]

Array = NDArray[np.float64]


def _group_sum(codes: NDArray[np.int64], values: Array, size: int) -> Array:
    return np.bincount(codes, weights=values, minlength=size).astype(np.float64)


def influence(
    rows: pd.DataFrame, regions: tuple[str, ...], cells: tuple[int, ...], cell_means: Array
) -> pd.DataFrame:
    """Influence of each row on its region's estimate, for one model and dimension.

    ``cell_means`` (regions × cells) is the posterior mean of the human label per cell.
    Returns item_id, region, ``judged`` (the cell-share part) and ``labelled`` (the
    within-cell part, 0 for unlabelled rows).
    """
    n_r, n_k = len(regions), len(cells)
    r = pd.Categorical(rows["region"], categories=list(regions)).codes.astype(np.int64)
    k = np.searchsorted(np.asarray(cells), rows["cell"].to_numpy(np.int64))
    code = r * n_k + k
    w = rows["weight"].to_numpy(float)
    region_total = _group_sum(r, w, n_r)
    share = _group_sum(code, w, n_r * n_k) / np.repeat(np.maximum(region_total, 1e-300), n_k)
    p_bar = cell_means.reshape(-1)
    theta = (share * p_bar).reshape(n_r, n_k).sum(axis=1)
    judged = w / region_total[r] * (p_bar[code] - theta[r])
    human = rows["human"].to_numpy(float)
    lab = ~np.isnan(human)
    wl = np.where(lab, w / rows["inclusion_prob"].to_numpy(float), 0.0)
    cell_total = _group_sum(code, wl, n_r * n_k)
    resid = np.where(lab, np.nan_to_num(human) - p_bar[code], 0.0)
    labelled = share[code] * wl * resid / np.maximum(cell_total[code], 1e-300)
    return pd.DataFrame(
        {
            "item_id": rows["item_id"].to_numpy(),
            "region": rows["region"].to_numpy(),
            "judged": judged,
            "labelled": labelled,
        }
    )


def paired_correlations(first: pd.DataFrame, second: pd.DataFrame) -> dict[str, float]:
    """Per region: correlation of two models' estimates from their influence on shared items."""
    both = first.merge(second, on=["item_id", "region"], suffixes=("_a", "_b"))
    cov = (
        (both["judged_a"] * both["judged_b"] + both["labelled_a"] * both["labelled_b"])
        .groupby(both["region"])
        .sum()
    )
    var_a = (first["judged"] ** 2 + first["labelled"] ** 2).groupby(first["region"]).sum()
    var_b = (second["judged"] ** 2 + second["labelled"] ** 2).groupby(second["region"]).sum()
    out = {}
    for region in var_a.index:
        denominator = float(np.sqrt(var_a[region] * var_b.get(region, 0.0)))
        c = float(cov.get(region, 0.0))
        out[str(region)] = float(np.clip(c / denominator, -1, 1)) if denominator > 0 else 0.0
    return out


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
