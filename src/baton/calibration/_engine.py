"""From a prepared table to posterior draws for every stratum and comparison (no I/O).

One mechanism for every method: each yields draws per (dimension, model, region), or None
for a stratum without human labels (uncalibrated); regions pool into ``ALL`` by traffic
share draw by draw; comparisons are draws of candidate − baseline, paired where the same
items carry labels for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from baton.calibration._baselines import human_pass_rate_draws, judge_pass_rate_draws, ppi_draws
from baton.calibration._bayes import cell_data, stratum_draws
from baton.calibration._delta_pool import pooled_region_deltas
from baton.calibration._joint import joint_delta_draws, paired_cells
from baton.calibration._paired import influence, paired_correlations, paired_delta_draws
from baton.calibration._prepare import Prepared, group_rows
from baton.calibration._types import ALL_REGIONS
from baton.domain import Stratum

__all__ = ["METHODS", "Method", "Posteriors", "posterior_draws"]

Array = NDArray[np.float64]
Method = Literal["bayes", "ppi", "human", "judge"]
METHODS: tuple[Method, ...] = ("bayes", "ppi", "human", "judge")
ComparisonKey = tuple[str, str, str]  # dimension, candidate, region


@dataclass(frozen=True)
class Posteriors:
    """Draws for every stratum (regions and ALL) and every comparison with the baseline."""

    strata: dict[Stratum, Array | None]
    deltas: dict[ComparisonKey, Array | None]
    shares: dict[tuple[str, str], dict[str, float]]  # (dimension, model) -> region shares
    rhos: dict[ComparisonKey, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Strata:
    """The prepared rows of each (dimension, model), sorted, with the row each first appears
    in (comparisons are drawn in the table's order), and each dimension's regions."""

    rows: dict[tuple[str, str], pd.DataFrame]
    first: dict[tuple[str, str], int]
    regions: dict[str, tuple[str, ...]]

    def models(self, dimension: str) -> list[str]:
        """The dimension's models, in the order they first appear."""
        models = [m for d, m in self.rows if d == dimension]
        return sorted(models, key=lambda m: self.first[(dimension, m)])

    def dimensions(self) -> list[str]:
        """The dimensions, in the order they first appear."""
        return sorted(self.regions, key=lambda d: self.first[(d, self.models(d)[0])])


def _strata(frame: pd.DataFrame) -> _Strata:
    groups = group_rows(frame, ["dimension", "model"])
    regions: dict[str, tuple[str, ...]] = {}
    for dim, region in group_rows(frame, ["dimension", "region"]):
        regions[dim] = (*regions.get(dim, ()), region)
    return _Strata(
        {(d, m): frame.take(at) for (d, m), at in groups.items()},
        {(d, m): int(at[0]) for (d, m), at in groups.items()},
        regions,
    )


def _shares(rows: pd.DataFrame, regions: tuple[str, ...]) -> dict[str, float]:
    totals = rows.groupby("region")["weight"].sum()
    return {r: float(totals.get(r, 0.0) / totals.sum()) for r in regions}


def _human_draws(
    rows: pd.DataFrame, regions: tuple[str, ...], *, rng: np.random.Generator, n_draws: int
) -> dict[str, Array | None]:
    """Human-only draws per region (labels weighted by traffic over inclusion probability)."""
    by_region: dict[str, Array | None] = {}
    for region in regions:
        own = rows[(rows["region"] == region) & rows["human"].notna()]
        labels = own["human"].to_numpy(float)
        weights = (own["weight"] / own["inclusion_prob"]).to_numpy(float)
        by_region[region] = human_pass_rate_draws(labels, rng=rng, n_draws=n_draws, weights=weights)
    return by_region


def _region_draws(
    rows: pd.DataFrame,
    regions: tuple[str, ...],
    method: Method,
    *,
    levels: tuple[float, ...],
    rng: np.random.Generator,
    n_draws: int,
) -> tuple[dict[str, Array | None], pd.DataFrame | None]:
    """Draws per region for one dimension and model, and, for ordinal labels under ``bayes``,
    each row's influence (their Δ is paired through it; binary labels use the joint model)."""
    if method == "bayes":
        data = cell_data(rows, regions, levels)
        thetas, means = stratum_draws(data, rng, n_draws)
        by_region = {
            region: thetas[:, r] if data.n_labelled[r] > 0 else None
            for r, region in enumerate(regions)
        }
        if not levels:
            return by_region, None
        return by_region, influence(rows, regions, data.cells, means)
    if method == "human":
        return _human_draws(rows, regions, rng=rng, n_draws=n_draws), None
    by_region = {}
    for region in regions:
        sub = rows[rows["region"] == region]
        if method == "judge":
            by_region[region] = judge_pass_rate_draws(
                sub["judge_pass"].to_numpy(float),
                sub["weight"].to_numpy(float),
                rng=rng,
                n_draws=n_draws,
            )
        else:
            by_region[region] = ppi_draws(
                sub, rng=rng, n_draws=n_draws, bounds=_label_bounds(levels)
            )
    return by_region, None


def _pooled(by_region: dict[str, Array | None], shares: dict[str, float]) -> Array | None:
    """Regions pooled by traffic share, draw by draw, over the regions that have draws (the
    shares renormalised over them); None when no region has any."""
    present = {r: d for r, d in by_region.items() if d is not None}
    total = sum(shares[r] for r in present)
    if not present or total <= 0:
        return None
    return np.asarray(sum(shares[r] / total * d for r, d in present.items()))


def _levels(prepared: Prepared) -> tuple[float, ...]:
    """The ordinal label levels, sorted; empty for binary labels."""
    if prepared.binary_human:
        return ()
    return tuple(sorted(float(v) for v in prepared.frame["human"].dropna().unique()))


def _label_bounds(levels: tuple[float, ...]) -> tuple[float, float]:
    return (levels[0], levels[-1]) if levels else (0.0, 1.0)


def _ppi_delta(
    rows_a: pd.DataFrame,
    rows_b: pd.DataFrame,
    *,
    bounds: tuple[float, float],
    rng: np.random.Generator,
    n_draws: int,
) -> Array | None:
    """PPI++ on paired differences (items judged for both; labelled for both), a pair
    counted by traffic weight over the larger of its two inclusion probabilities."""
    cols = ["item_id", "human", "score", "inclusion_prob"]
    pairs = rows_a[[*cols, "weight"]].merge(rows_b[cols], on="item_id", suffixes=("_a", "_b"))
    diff = pd.DataFrame(
        {
            "human": pairs["human_b"] - pairs["human_a"],
            "score": pairs["score_b"] - pairs["score_a"],
            "weight": pairs["weight"],
            "inclusion_prob": np.maximum(pairs["inclusion_prob_a"], pairs["inclusion_prob_b"]),
        }
    )
    span = bounds[1] - bounds[0]
    return ppi_draws(diff, rng=rng, n_draws=n_draws, bounds=(-span, span))


def _unpaired(a: Array | None, b: Array | None) -> Array | None:
    return None if a is None or b is None else b - a


def _region_deltas(
    prepared: Prepared,
    strata: _Strata,
    posteriors: Posteriors,
    influences: dict[tuple[str, str], pd.DataFrame],
    pair: tuple[str, str, str],
    *,
    method: Method,
    rng: np.random.Generator,
    n_draws: int,
) -> dict[str, Array | None]:
    """Δ per region for (dimension, baseline, candidate): from the joint model of the pairs
    (binary labels, ``bayes`` and ``human``), PPI++ on paired differences (``ppi``), or the
    unpaired difference where no item carries both labels."""
    dim, baseline, cand = pair
    regions = strata.regions[dim]
    rows_a, rows_b = strata.rows[(dim, baseline)], strata.rows[(dim, cand)]
    marginal = {
        r: _unpaired(
            posteriors.strata[Stratum(dim, baseline, r)], posteriors.strata[Stratum(dim, cand, r)]
        )
        for r in regions
    }
    paired: dict[str, Array | None] = {}
    if method in ("bayes", "human") and prepared.binary_human:
        if method == "human":
            rows_a, rows_b = rows_a.assign(cell=0), rows_b.assign(cell=0)
        cells = paired_cells(rows_a, rows_b, regions)
        paired = joint_delta_draws(cells, pool=method == "bayes", rng=rng, n_draws=n_draws)
    elif method == "ppi":
        for region in regions:
            paired[region] = _ppi_delta(
                rows_a[rows_a["region"] == region],
                rows_b[rows_b["region"] == region],
                bounds=_label_bounds(_levels(prepared)),
                rng=rng,
                n_draws=n_draws,
            )
    elif method == "bayes":
        first, second = influences.get((dim, baseline)), influences.get((dim, cand))
        rhos = (
            paired_correlations(first, second) if first is not None and second is not None else {}
        )
        for region, rho in rhos.items():
            a = posteriors.strata[Stratum(dim, baseline, region)]
            b = posteriors.strata[Stratum(dim, cand, region)]
            if a is not None and b is not None:
                posteriors.rhos[(dim, cand, region)] = rho
                paired[region] = paired_delta_draws(a, b, rho)
    return {
        r: (paired.get(r) if paired.get(r) is not None and marginal[r] is not None else marginal[r])
        for r in regions
    }


def _comparisons(
    prepared: Prepared,
    strata: _Strata,
    posteriors: Posteriors,
    influences: dict[tuple[str, str], pd.DataFrame],
    *,
    baseline: str,
    method: Method,
    rng: np.random.Generator,
    n_draws: int,
    pool_deltas: bool = False,
) -> None:
    for dim in strata.dimensions():
        for cand in (m for m in strata.models(dim) if m != baseline):
            by_region = _region_deltas(
                prepared,
                strata,
                posteriors,
                influences,
                (dim, baseline, cand),
                method=method,
                rng=rng,
                n_draws=n_draws,
            )
            regional = pooled_region_deltas(by_region, rng=rng) if pool_deltas else by_region
            for region, delta in regional.items():
                posteriors.deltas[(dim, cand, region)] = delta
            shares = posteriors.shares[(dim, baseline)]
            posteriors.deltas[(dim, cand, ALL_REGIONS)] = _pooled(by_region, shares)


def posterior_draws(
    prepared: Prepared,
    *,
    method: Method,
    baseline: str | None,
    seed: int,
    n_draws: int,
    pool_deltas: bool = False,
) -> Posteriors:
    """Draws for every stratum and, with a baseline, every comparison. ``pool_deltas``:
    each region's Δ pooled with the other regions' (``_delta_pool``; ALL is unchanged)."""
    rng = np.random.default_rng(seed)
    levels = _levels(prepared)
    strata = _strata(prepared.frame)
    posteriors = Posteriors(strata={}, deltas={}, shares={})
    influences: dict[tuple[str, str], pd.DataFrame] = {}
    for (dim, model), rows in strata.rows.items():
        dim_regions = strata.regions[dim]
        by_region, infl = _region_draws(
            rows, dim_regions, method, levels=levels, rng=rng, n_draws=n_draws
        )
        shares = _shares(rows, dim_regions)
        posteriors.shares[(dim, model)] = shares
        for region, draws in by_region.items():
            posteriors.strata[Stratum(dim, model, region)] = draws
        if infl is not None:
            influences[(dim, model)] = infl
        posteriors.strata[Stratum(dim, model, ALL_REGIONS)] = _pooled(by_region, shares)
    if baseline is not None:
        _comparisons(
            prepared,
            strata,
            posteriors,
            influences,
            baseline=baseline,
            method=method,
            rng=rng,
            n_draws=n_draws,
            pool_deltas=pool_deltas,
        )
    return posteriors
