"""A simulated study's judged responses as an evidence table, with the labels its raters
would give: the known truth the label loop (``baton.decision.run_sequential``) runs on."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from baton.decision import SIGNAL
from baton.domain import Item
from baton.simulate._world import SimulatedStudy

__all__ = ["evidence_with_truth"]


def evidence_with_truth(
    world: SimulatedStudy, items: Sequence[Item], *, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Every response's judge verdict as an evidence table (no labels yet), and the label a
    randomly drawn simulated rater would give each row."""
    rng = np.random.default_rng(seed)
    study = world.study
    shares = study.traffic_shares
    per_region = pd.Series([i.region for i in items]).value_counts()
    rows, truth = [], []
    for item in items:
        for model in study.models:
            for dim in study.dimensions:
                rater = world.raters[int(rng.integers(len(world.raters)))]
                truth.append(float(world.label(item.item_id, model.name, dim.name, rater).value))
                rows.append(
                    (
                        item.item_id,
                        model.name,
                        dim.name,
                        item.region,
                        shares[item.region] / per_region[item.region],
                        float(world.judge_category(item, model.name, dim.name)),
                    )
                )
    table = pd.DataFrame(
        rows, columns=["item_id", "model", "dimension", "region", "weight", SIGNAL]
    )
    return table, pd.Series(truth, index=table.index)
