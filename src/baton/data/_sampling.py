"""Stratified sampling of production items by region."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from baton.domain import Item

__all__ = ["stratified_sample"]


def stratified_sample(
    items: Sequence[Item],
    per_region: int,
    shares: Mapping[str, float],
    *,
    rng: np.random.Generator,
) -> list[Item]:
    """Draw up to ``per_region`` items from each region, without replacement.

    Each sampled item's ``weight`` becomes its region's traffic share divided by the number
    sampled there, so weighted sums estimate traffic-weighted totals, and its
    ``inclusion_prob`` the chance it had to be drawn within its region. For production logs
    read from files, see ``read_logs`` (deduplication, secondary strata, redaction).
    """
    sample: list[Item] = []
    for region, share in shares.items():
        pool = [item for item in items if item.region == region]
        k = min(per_region, len(pool))
        chosen = sorted(int(i) for i in rng.choice(len(pool), size=k, replace=False))
        sample.extend(
            dataclasses.replace(pool[i], weight=share / k, inclusion_prob=k / len(pool))
            for i in chosen
        )
    return sample
