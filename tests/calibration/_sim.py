"""Small simulators with known truth for the calibration tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from baton.simulate._truth import logit_offset


def paired_table(
    rng: np.random.Generator,
    *,
    thetas: dict[str, float],
    judge: dict[str, tuple[float, float]],
    n_judged: int,
    n_labelled: int,
    regions: tuple[str, ...] = ("r",),
    difficulty_sd: float = 1.5,
) -> tuple[pd.DataFrame, dict[tuple[str, str], float]]:
    """Every model answers the same items (correlated through difficulty); the same
    ``n_labelled`` items per region carry human labels for every model.

    Returns the table and the true pass rate per (model, region).
    """
    parts = []
    truth: dict[tuple[str, str], float] = {}
    for region in regions:
        difficulty = rng.normal(0.0, difficulty_sd, n_judged)
        labelled = np.zeros(n_judged, dtype=bool)
        labelled[rng.choice(n_judged, n_labelled, replace=False)] = True
        ids = np.char.add(f"{region}-", np.arange(n_judged).astype(str))
        for model, theta in thetas.items():
            offset = logit_offset(theta, difficulty_sd)
            truth[(model, region)] = theta
            y = rng.random(n_judged) < expit(offset + difficulty)
            se, sp = judge[model]
            says = np.where(y, rng.random(n_judged) < se, rng.random(n_judged) >= sp)
            parts.append(
                pd.DataFrame(
                    {
                        "item_id": ids,
                        "model": model,
                        "region": region,
                        "judge": says.astype(int),
                        "human": np.where(labelled, y.astype(float), np.nan),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True), truth
