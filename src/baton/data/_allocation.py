"""How many items each region, and each secondary stratum within it, gets.

Pure arithmetic over counts, no I/O. Sizes are whole numbers that add up exactly to what was
asked (largest remainder, ties broken by key), never more than a stratum holds.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import TypeVar

from baton.study import IngestSampling

__all__ = ["largest_remainder", "region_allocation", "stratum_allocation"]

K = TypeVar("K", bound=Hashable)


def _order(key: object) -> tuple[object, ...]:
    """A total order over keys that may hold None (a missing stratum value)."""
    parts = key if isinstance(key, tuple) else (key,)
    return tuple((part is None, "" if part is None else str(part)) for part in parts)


def largest_remainder(total: int, weights: Mapping[K, float]) -> dict[K, int]:
    """Split ``total`` in proportion to ``weights`` into whole numbers summing to ``total``."""
    keys = sorted(weights, key=_order)
    mass = sum(weights[key] for key in keys)
    if total <= 0 or mass <= 0:
        return dict.fromkeys(keys, 0)
    quotas = {key: total * weights[key] / mass for key in keys}
    sizes = {key: math.floor(quotas[key]) for key in keys}
    left = total - sum(sizes.values())
    by_remainder = sorted(keys, key=lambda key: (-(quotas[key] - sizes[key]), _order(key)))
    for key in by_remainder[:left]:
        sizes[key] += 1
    return sizes


def region_allocation(
    sampling: IngestSampling, traffic: Mapping[str, int], regions: list[str]
) -> dict[str, int]:
    """Items to draw per study region: proportional to logged traffic, equal, or custom.

    A region's allocation is what the study asks for; the draw takes at most what the
    region holds and reports any shortfall.
    """
    if sampling.per_region is not None:
        return {region: sampling.per_region.get(region, 0) for region in regions}
    if sampling.allocation == "equal":
        present = {region: 1.0 for region in regions if traffic.get(region, 0) > 0}
        return {**dict.fromkeys(regions, 0), **largest_remainder(sampling.total, present)}
    weights = {region: float(traffic.get(region, 0)) for region in regions}
    return largest_remainder(sampling.total, weights)


def stratum_allocation(
    size: int, traffic: Mapping[K, int], capacity: Mapping[K, int]
) -> dict[K, int]:
    """Spread ``size`` over strata in proportion to ``traffic``, at most ``capacity`` each.

    What a full stratum cannot take goes to the others, in proportion again, so the sum is
    ``min(size, total capacity)``.
    """
    sizes: dict[K, int] = dict.fromkeys(traffic, 0)
    left = min(size, sum(capacity.values()))
    while left > 0:
        open_ = {key: float(traffic[key]) for key in traffic if sizes[key] < capacity[key]}
        if not any(open_.values()):
            open_ = dict.fromkeys(open_, 1.0)
        share = largest_remainder(left, open_)
        for key, extra in share.items():
            taken = min(extra, capacity[key] - sizes[key])
            sizes[key] += taken
            left -= taken
    return sizes
