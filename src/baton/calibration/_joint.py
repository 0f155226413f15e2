"""The difference Δ = θ_B − θ_A from a joint model of both models' answers to the same items.

Incumbent (A) and candidate (B) answer the same prompts; humans label both answers of a
sampled item. Within a region, the items fall into joint judge cells j (the judge's
category of A's answer × that of B's), and a labelled item's pair of human labels
(y_A, y_B) is one of four outcomes. The joint distribution of the pair in cell j is
written by the chain rule with three rates:

    a_j  = P(y_A = 1 | j),  t_j1 = P(y_B = 1 | y_A = 1, j),  t_j0 = P(y_B = 1 | y_A = 0, j)

so that θ_A = Σ_j π_j a_j, θ_B = Σ_j π_j (a_j t_j1 + (1 − a_j) t_j0) and

    Δ = Σ_j π_j (a_j (t_j1 − 1) + (1 − a_j) t_j0),

the share of items B passes and A fails minus the share A passes and B fails. The joint
cell shares π come from every item judged for both (a Bayesian bootstrap, as for one
model). Each rate is a Beta posterior, partially and robustly pooled as the per-model
calibration pools regions (``_hier``: a shared Beta with learnt mean and concentration, an
own component for a group that differs, Jeffreys floor): a_j over the regions and B's
categories within each of A's categories, t_j over the regions and A's categories within
each (B's category, y_A) — so a joint cell with few labels leans on the same model's
calibration in its judge category, and a region or category that differs keeps its own
rate. Human-only estimates (one cell, no judge) take each region on its own with a
Jeffreys prior. So Δ's
posterior comes from the model: prompt difficulty cancels through the pairs, and when
every label agrees the discordant rates keep their prior's uncertainty instead of
collapsing. Labels chosen with unequal probability count by the inverse of their inclusion
probability (Kish effective counts). A region without a labelled pair gets no paired
draws: the caller falls back to the unpaired difference of the two calibrations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from baton.calibration._hier import hierarchical_cell_rate_draws

__all__ = ["PairedCells", "joint_delta_draws", "paired_cells", "region_deltas"]

Array = NDArray[np.float64]
_JEFFREYS = 0.5
Positions = NDArray[np.intp]


@dataclass(frozen=True)
class PairedCells:
    """Effective counts by region and joint judge cell (A's category × B's category)."""

    regions: tuple[str, ...]
    judged: Array  # Kish-scaled judged counts, (regions, K_A, K_B), for the shares
    passes_a: Array  # A's labelled passes, (regions, K_A, K_B)
    trials_a: Array  # A's labelled rows, (regions, K_A, K_B)
    passes_b: Array  # B's passes among labelled pairs, (regions, K_A, K_B, y_A)
    trials_b: Array  # labelled pairs, (regions, K_A, K_B, y_A)
    pairs: NDArray[np.int64]  # labelled pairs per region


def _sums(codes: NDArray[np.int64], values: Array, size: int) -> Array:
    return np.bincount(codes, weights=values, minlength=size).astype(np.float64)


def _effective(codes: NDArray[np.int64], weights: Array, values: Array, size: int) -> Array:
    """Kish effective count and effective sum of ``values`` per group, stacked (2, size)."""
    total, squares = _sums(codes, weights, size), _sums(codes, weights * weights, size)
    n_eff = np.divide(total * total, squares, out=np.zeros(size), where=squares > 0)
    mean = np.divide(
        _sums(codes, weights * values, size), total, out=np.zeros(size), where=total > 0
    )
    return np.stack([n_eff, n_eff * mean])


def _matched(rows_a: pd.DataFrame, rows_b: pd.DataFrame) -> tuple[Positions, Positions]:
    """Positions in ``rows_a`` and in ``rows_b`` of the items both carry, in ``rows_a``'s
    order (an item appears once per model and dimension)."""
    match = pd.Index(rows_b["item_id"]).get_indexer(rows_a["item_id"])
    at_a = np.flatnonzero(match >= 0)
    return at_a, match[at_a]


def _values(rows: pd.DataFrame, name: str, at: Positions) -> Array:
    values: Array = rows[name].to_numpy(float)[at]
    return values


def _pair_codes(
    rows_a: pd.DataFrame, rows_b: pd.DataFrame, regions: tuple[str, ...], at: tuple[Positions, ...]
) -> tuple[NDArray[np.int64], NDArray[np.int64], tuple[int, int, int]]:
    """Each pair's region and joint judge cell (region, k_A, k_B) as codes, and the shape."""
    k_a, cells_a = pd.factorize(rows_a["cell"].to_numpy()[at[0]], sort=True)
    k_b, cells_b = pd.factorize(rows_b["cell"].to_numpy()[at[1]], sort=True)
    shape = (len(regions), max(len(cells_a), 1), max(len(cells_b), 1))
    region = rows_a["region"].iloc[at[0]]
    r = pd.Categorical(region, categories=list(regions)).codes.astype(np.int64)
    code = (r * shape[1] + k_a.astype(np.int64)) * shape[2] + k_b.astype(np.int64)
    return r, code, shape


def paired_cells(
    rows_a: pd.DataFrame, rows_b: pd.DataFrame, regions: tuple[str, ...]
) -> PairedCells:
    """Counts for the joint model from two models' prepared rows on one dimension."""
    at_a, at_b = _matched(rows_a, rows_b)
    r, code, shape = _pair_codes(rows_a, rows_b, regions, (at_a, at_b))
    size = shape[0] * shape[1] * shape[2]
    weight = _values(rows_a, "weight", at_a)
    judged = _sums(code, weight, size).reshape(shape)
    region_kish = _effective(r, weight, np.ones_like(weight), len(regions))[0]
    totals = judged.sum(axis=(1, 2), keepdims=True)
    judged = np.divide(
        judged * region_kish[:, None, None], totals, out=np.zeros_like(judged), where=totals > 0
    )
    y_a, y_b = _values(rows_a, "human", at_a), _values(rows_b, "human", at_b)
    inclusion_a = _values(rows_a, "inclusion_prob", at_a)
    lab_a = ~np.isnan(y_a)
    trials_a, passes_a = _effective(code[lab_a], (weight / inclusion_a)[lab_a], y_a[lab_a], size)
    pair = lab_a & ~np.isnan(y_b)
    w_pair = weight / np.maximum(inclusion_a, _values(rows_b, "inclusion_prob", at_b))
    code_b = code[pair] * 2 + y_a[pair].astype(np.int64)
    trials_b, passes_b = _effective(code_b, w_pair[pair], y_b[pair], size * 2)
    return PairedCells(
        regions,
        judged,
        passes_a.reshape(shape),
        trials_a.reshape(shape),
        passes_b.reshape((*shape, 2)),
        trials_b.reshape((*shape, 2)),
        np.bincount(r[pair], minlength=len(regions)).astype(np.int64),
    )


def _rate_draws(
    passes: Array, trials: Array, *, pool: bool, rng: np.random.Generator, n_draws: int
) -> Array:
    """Draws of rates given as (groups pooled together, cells): (n_draws, groups, cells)."""
    if pool:
        return hierarchical_cell_rate_draws(passes, trials, rng=rng, n_draws=n_draws)
    a, b = _JEFFREYS + passes, _JEFFREYS + trials - passes
    draws: Array = rng.beta(a[None, ...], b[None, ...], size=(n_draws, *passes.shape))
    return draws


def _a_draws(cells: PairedCells, *, pool: bool, rng: np.random.Generator, n_draws: int) -> Array:
    """P(y_A = 1 | region, k_A, k_B), pooled over regions and B's categories within each of
    A's categories: (n_draws, regions, K_A, K_B)."""
    n_r, k_a, k_b = cells.judged.shape
    grouped = (
        np.moveaxis(x, 1, 2).reshape(n_r * k_b, k_a) for x in (cells.passes_a, cells.trials_a)
    )
    draws = _rate_draws(*grouped, pool=pool, rng=rng, n_draws=n_draws)
    return np.moveaxis(draws.reshape(n_draws, n_r, k_b, k_a), 2, 3)


def _t_draws(cells: PairedCells, *, pool: bool, rng: np.random.Generator, n_draws: int) -> Array:
    """P(y_B = 1 | y_A, region, k_A, k_B), pooled over regions and A's categories within each
    (B's category, y_A): (n_draws, regions, K_A, K_B, 2)."""
    n_r, k_a, k_b = cells.judged.shape
    grouped = (x.reshape(n_r * k_a, k_b * 2) for x in (cells.passes_b, cells.trials_b))
    draws = _rate_draws(*grouped, pool=pool, rng=rng, n_draws=n_draws)
    return draws.reshape(n_draws, n_r, k_a, k_b, 2)


def joint_delta_draws(
    cells: PairedCells, *, pool: bool, rng: np.random.Generator, n_draws: int
) -> dict[str, Array | None]:
    """Draws of Δ = θ_B − θ_A per region from the joint model; None for a region without a
    labelled pair. ``pool``: rates partially pooled as described above (``bayes``), else
    each on its own with a Jeffreys prior (human-only, one cell)."""
    a = _a_draws(cells, pool=pool, rng=rng, n_draws=n_draws)
    t = _t_draws(cells, pool=pool, rng=rng, n_draws=n_draws)
    per_cell = a * (t[..., 1] - 1.0) + (1.0 - a) * t[..., 0]
    return region_deltas(cells, per_cell, rng=rng)


def region_deltas(
    cells: PairedCells, per_cell: Array, *, rng: np.random.Generator
) -> dict[str, Array | None]:
    """Each region's Δ from draws of every joint cell's difference, (n_draws, regions,
    K_A, K_B), weighted by the cells' shares (a Bayesian bootstrap on the judged counts);
    None for a region without a labelled pair."""
    n_draws = per_cell.shape[0]
    out: dict[str, Array | None] = {}
    for r, region in enumerate(cells.regions):
        judged = cells.judged[r].reshape(-1)
        present = judged > 0
        if cells.pairs[r] == 0 or not present.any():
            out[region] = None
            continue
        shares = rng.dirichlet(judged[present], size=n_draws)
        out[region] = (shares * per_cell[:, r].reshape(n_draws, -1)[:, present]).sum(axis=1)
    return out
