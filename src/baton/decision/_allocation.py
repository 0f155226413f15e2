"""Which responses humans should label next: where a label most reduces the
chance of a wrong decision.

The unit is an item on one dimension: every model's answer to it is labelled (paired).
Undecided (dimension, region) strata get the batch, in proportion to how open their call
is (min(P, 1 − P) of P(non-inferior), summed over the undecided candidates). Within a
stratum, items are drawn with probability proportional to a score: the standard deviation
of the human label given the judge's cell, summed in quadrature over the models — Neyman
allocation for post-stratification, which favours cells where judge and humans disagree
most and pairs the judge sees differently.

Every chosen unit records an inclusion probability, so the calibration stays unbiased (it
weights labels by its inverse within each region and judge cell). Labels arrive over many
batches of different sizes, so the probability is recorded on one scale for all of them:
``REFERENCE_FRACTION`` × the unit's selection intensity relative to the average unit of its
stratum — exactly ``REFERENCE_FRACTION`` for a uniform draw. That is proportional to the
unit's chance of being labelled by the sequential design as a whole; a constant factor
cancels in the estimates. Recording each batch's own probability instead (batch size ÷
items left) weighs a label from a batch of 2 as much as 5 from a batch of 10: in a simulated
demo stratum labelled over batches of 2 to 15 units, that took 1.5× the labels for the
same interval width, uniform or allocated (README, "Decisions benchmark").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from baton.decision._types import Decision

__all__ = [
    "REFERENCE_FRACTION",
    "LabelUnit",
    "allocate_units",
    "allocation_weights",
    "cell_spread",
    "stratum_shares",
    "systematic_pps",
    "unit_intensities",
]

Array = NDArray[np.float64]
REFERENCE_FRACTION = 0.05
"""The inclusion probability recorded for a unit of average intensity (every unit of a
uniform draw): only ratios within a stratum matter to the estimates."""
_SCORE_FLOOR = 0.1
"""Every unit keeps at least this share of the stratum's mean score, so no weight explodes."""
_SCORE_CEILING = 1.0 / REFERENCE_FRACTION
"""No unit gets more than this multiple of the mean score, so recorded values stay ≤ 1."""
_UNIT = ["item_id", "dimension", "region"]
_CELL = ["dimension", "model", "region"]


OPENNESS_FLOOR = 0.01
"""No open cell weighs less than this, however sure its P(non-inferior) already is."""


def allocation_weights(
    decisions: Sequence[Decision], *, evenly: bool = False
) -> dict[tuple[str, str], float]:
    """The next batch's weight of each (dimension, region) with a blocking cell still open:
    the sum over its open cells of how open each is, min(P, 1 − P) of P(non-inferior)
    (floored at ``OPENNESS_FLOOR``; 1 where P is unknown), or 1 a cell with ``evenly``."""
    weights: dict[tuple[str, str], float] = {}
    for d in decisions:
        if d.outcome != "inconclusive" or not d.blocking:
            continue
        p = d.p_noninferior
        openness = 1.0 if evenly or np.isnan(p) else max(min(p, 1 - p), OPENNESS_FLOOR)
        weights[(d.dimension, d.region)] = weights.get((d.dimension, d.region), 0.0) + openness
    return weights


@dataclass(frozen=True)
class LabelUnit:
    """An item to label on one dimension, for every model, with its inclusion probability
    (on the common scale described in the module's docstring)."""

    item_id: str
    dimension: str
    region: str
    inclusion_prob: float


def cell_spread(table: pd.DataFrame, signal: str) -> pd.Series:
    """sd of the human label in each (dimension, model, region, judge cell), from the labels
    so far with a uniform prior: sqrt(p(1 − p)) at p = (passes + 1) / (labels + 2)."""
    keys = [*_CELL, signal]
    stats = table.groupby(keys, dropna=False)["human"].agg(["sum", "count"])
    p = (stats["sum"] + 1) / (stats["count"] + 2)
    return (p * (1 - p)).pow(0.5)


def _unit_scores(rows: pd.DataFrame, spread: pd.Series, signal: str) -> pd.DataFrame:
    """Per (item, dimension, region): the label sd of each model's cell, in quadrature, and
    whether the unit already has a label."""
    keys = [*_CELL, signal]
    sd = spread.reindex(pd.MultiIndex.from_frame(rows[keys])).to_numpy(float)
    parts = pd.DataFrame(
        {
            "item_id": rows["item_id"].to_numpy(),
            "dimension": rows["dimension"].to_numpy(),
            "region": rows["region"].to_numpy(),
            "variance": np.nan_to_num(sd, nan=0.5) ** 2,
            "labelled": rows["human"].notna().to_numpy(),
        }
    )
    units = parts.groupby(_UNIT, sort=True).agg(
        variance=("variance", "sum"), labelled=("labelled", "any")
    )
    return units.assign(score=np.sqrt(units["variance"])).drop(columns="variance").reset_index()


def unit_intensities(scores: Array, *, uniform: bool = False) -> Array:
    """Selection intensity of each unit of one stratum relative to the stratum's average
    unit (mean 1 before bounding): its score, kept within [floor, ceiling] × the mean."""
    if uniform or scores.size == 0 or float(scores.mean()) <= 0:
        return np.ones(scores.size)
    relative = scores / scores.mean()
    bounded: Array = np.clip(relative, _SCORE_FLOOR, _SCORE_CEILING)
    return bounded


def systematic_pps(
    sizes: Array, n: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], Array]:
    """Exactly ``n`` indices drawn with probability proportional to ``sizes`` (systematic
    PPS after a random shuffle), and every unit's inclusion probability (capped at 1)."""
    n = min(n, sizes.size)
    probs = np.zeros(sizes.size)
    free = np.ones(sizes.size, dtype=bool)
    remaining = n
    while remaining > 0:  # cap at 1: certain units are taken, the rest share the remainder
        share = remaining * sizes[free] / sizes[free].sum()
        if (share <= 1).all():
            probs[free] = share
            break
        over = np.flatnonzero(free)[share > 1]
        probs[over], free[over] = 1.0, False
        remaining = n - int((probs == 1).sum())
    order = rng.permutation(sizes.size)
    edges = np.cumsum(probs[order])
    points = rng.random() + np.arange(n)
    chosen = order[np.searchsorted(edges, points, side="right")]
    return np.unique(chosen), probs


def stratum_shares(
    open_calls: Mapping[tuple[str, str], float], n_units: int
) -> dict[tuple[str, str], int]:
    """Units per undecided (dimension, region), in proportion to how open each call is."""
    total = sum(open_calls.values())
    if total <= 0 or n_units <= 0:
        return {}
    raw = {k: n_units * v / total for k, v in open_calls.items()}
    shares = {k: int(np.floor(v)) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - shares[k], reverse=True)[
        : n_units - sum(shares.values())
    ]:
        shares[k] += 1
    return shares


def _draw_stratum(
    units: pd.DataFrame, count: int, *, uniform: bool, rng: np.random.Generator
) -> list[LabelUnit]:
    """``count`` fresh units of one stratum, drawn in proportion to their intensity."""
    intensity = unit_intensities(units["score"].to_numpy(float), uniform=uniform)
    fresh = np.flatnonzero(~units["labelled"].to_numpy(bool))
    if fresh.size == 0 or count <= 0:
        return []
    chosen, _ = systematic_pps(intensity[fresh], count, rng)
    picked = units.iloc[fresh[chosen]]
    recorded = np.minimum(REFERENCE_FRACTION * intensity[fresh[chosen]], 1.0)
    return [
        LabelUnit(str(item), str(dim), str(region), float(p))
        for item, dim, region, p in zip(
            picked["item_id"], picked["dimension"], picked["region"], recorded, strict=True
        )
    ]


def allocate_units(
    table: pd.DataFrame,
    open_calls: Mapping[tuple[str, str], float],
    n_units: int,
    *,
    signal: str,
    rng: np.random.Generator,
    uniform: bool = False,
) -> list[LabelUnit]:
    """The next ``n_units`` units: unlabelled items in undecided strata.

    ``table`` is the evidence table (one row per item, model, dimension; ``human`` NaN when
    unlabelled); ``open_calls`` maps each undecided (dimension, region) to its weight.
    ``uniform`` draws items uniformly within strata (for comparison).
    """
    shares = {k: c for k, c in stratum_shares(open_calls, n_units).items() if c > 0}
    if not shares:
        return []
    wanted = pd.MultiIndex.from_tuples(list(shares), names=["dimension", "region"])
    rows = table[pd.MultiIndex.from_frame(table[["dimension", "region"]]).isin(wanted)]
    scores = _unit_scores(rows, cell_spread(table, signal), signal)
    out: list[LabelUnit] = []
    for (dimension, region), units in scores.groupby(["dimension", "region"], sort=True):
        count = shares[(str(dimension), str(region))]
        out += _draw_stratum(units, count, uniform=uniform, rng=rng)
    return out
