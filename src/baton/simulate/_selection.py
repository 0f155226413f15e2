"""Which responses humans label: a random, paired sample of items in each region.

Every model's answer to a chosen item is labelled on every dimension, so comparisons are
paired. Each request records its inclusion probability within its stratum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from baton.domain import Item

__all__ = ["LabelRequest", "paired_label_requests"]


@dataclass(frozen=True)
class LabelRequest:
    """One response to be labelled on one dimension."""

    item_id: str
    model: str
    dimension: str
    inclusion_prob: float


def paired_label_requests(
    items: Sequence[Item],
    models: Sequence[str],
    dimensions: Sequence[str],
    *,
    budget: int,
    rng: np.random.Generator,
) -> list[LabelRequest]:
    """Spend ``budget`` labels evenly over regions, all models and dimensions of each item."""
    regions = sorted({item.region for item in items})
    per_item = len(models) * len(dimensions)
    per_region = budget // (per_item * len(regions)) if regions else 0
    requests: list[LabelRequest] = []
    for region in regions:
        pool = [item for item in items if item.region == region]
        k = min(per_region, len(pool))
        chosen = rng.choice(len(pool), size=k, replace=False)
        for index in sorted(int(i) for i in chosen):
            requests.extend(
                LabelRequest(pool[index].item_id, m, d, k / len(pool))
                for m in models
                for d in dimensions
            )
    return requests
