"""Which responses humans should label next (DESIGN §5): where a label most reduces the
chance of a wrong decision.

The unit is an item on one dimension: every model's answer to it is labelled (paired).
Undecided (dimension, region) strata get the batch, in proportion to how open their call
is (min(P, 1 − P) of P(non-inferior), summed over the undecided candidates). Within a
stratum, items are drawn with probability proportional to a score: the standard deviation
of the human label given the judge's cell, summed in quadrature over the models — Neyman
allocation for post-stratification, which favours cells where judge and humans disagree
most and pairs the judge sees differently. Every chosen unit records its inclusion
probability, so the calibration stays unbiased (it weights labels by its inverse).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["LabelUnit", "allocate_units", "cell_spread", "stratum_shares", "systematic_pps"]

Array = NDArray[np.float64]
_SCORE_FLOOR = 0.1
"""Every unit keeps at least this share of the mean score, so no weight explodes."""


@dataclass(frozen=True)
class LabelUnit:
    """An item to label on one dimension, for every model, with its inclusion probability."""

    item_id: str
    dimension: str
    region: str
    inclusion_prob: float


def cell_spread(table: pd.DataFrame, signal: str) -> pd.Series:
    """sd of the human label in each (dimension, model, region, judge cell), from the labels
    so far with a uniform prior: sqrt(p(1 − p)) at p = (passes + 1) / (labels + 2)."""
    keys = ["dimension", "model", "region", signal]
    labelled = table[table["human"].notna()]
    passes = labelled.groupby(keys, dropna=False)["human"].sum()
    counts = labelled.groupby(keys, dropna=False)["human"].count()
    all_cells = table.groupby(keys, dropna=False).size().index
    p = (passes.reindex(all_cells, fill_value=0) + 1) / (
        counts.reindex(all_cells, fill_value=0) + 2
    )
    return (p * (1 - p)).pow(0.5)


def _unit_scores(pool: pd.DataFrame, spread: pd.Series, signal: str) -> pd.Series:
    """Per (item, dimension): the label sd of each model's cell, in quadrature."""
    keys = ["dimension", "model", "region", signal]
    sd = pd.Series(
        spread.reindex(pd.MultiIndex.from_frame(pool[keys])).to_numpy(), index=pool.index
    ).fillna(0.5)
    score = (sd**2).groupby([pool["item_id"], pool["dimension"], pool["region"]]).sum()
    return score.pow(0.5)


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
    done = table[table["human"].notna()]
    labelled = set(zip(done["item_id"], done["dimension"], strict=True))
    spread = cell_spread(table, signal)
    units: list[LabelUnit] = []
    for (dimension, region), count in stratum_shares(open_calls, n_units).items():
        rows = table[(table["dimension"] == dimension) & (table["region"] == region)]
        scores = _unit_scores(rows, spread, signal)
        fresh = [(item, dim) not in labelled for item, dim, _ in scores.index]
        scores = scores[np.asarray(fresh, dtype=bool)]
        if scores.empty or count == 0:
            continue
        values = np.ones(scores.size) if uniform else scores.to_numpy(float)
        values = np.maximum(values, _SCORE_FLOOR * values.mean())
        chosen, probs = systematic_pps(values, count, rng)
        for i in chosen:
            item_id, dim, reg = scores.index[i]
            units.append(LabelUnit(str(item_id), str(dim), str(reg), float(probs[i])))
    return units
