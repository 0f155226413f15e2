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


def unequal_inclusion_table(
    rng: np.random.Generator,
    *,
    n_items: int = 1500,
    offsets: tuple[float, float] = (1.4, 0.8),
    slopes: tuple[float, float] = (0.5, 1.5),
    chosen: tuple[float, float] = (0.05, 0.5),
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Two models ("inc", "cand") whose pass rates differ answer the same items; items are
    chosen for labelling (both answers labelled) with probability ``chosen[1]`` when the
    prompt looks hard (a noisy reading of its difficulty, which no judge sees), ``chosen[0]``
    otherwise — so inclusion probabilities vary 10-fold within every judge cell, joint
    cells included, and track each model's pass rate there; the candidate depends more on
    difficulty (``slopes``), so Δ differs between easy and hard prompts. Dropping the inclusion
    probabilities biases every method, θ and Δ alike.

    Returns the table (``inclusion_prob`` given) and each model's pass rate over the items.
    """
    difficulty = rng.normal(0.0, 1.5, n_items)
    ids = np.arange(n_items).astype(str)
    answers = {}
    for model, offset, slope, (se, sp) in zip(
        ("inc", "cand"), offsets, slopes, ((0.9, 0.6), (0.75, 0.85)), strict=True
    ):
        y = rng.random(n_items) < expit(offset + slope * difficulty)
        says = np.where(y, rng.random(n_items) < se, rng.random(n_items) >= sp)
        answers[model] = (y, says.astype(int))
    looks_hard = difficulty + rng.normal(0.0, 0.5, n_items) < -0.5
    prob = np.where(looks_hard, chosen[1], chosen[0])
    labelled = rng.random(n_items) < prob
    parts = [
        pd.DataFrame(
            {
                "item_id": ids,
                "model": model,
                "judge": says,
                "human": np.where(labelled, y.astype(float), np.nan),
                "inclusion_prob": prob,
            }
        )
        for model, (y, says) in answers.items()
    ]
    truth = {model: float(y.mean()) for model, (y, _) in answers.items()}
    return pd.concat(parts, ignore_index=True), truth


def outlier_region_table(
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[tuple[str, str], float]]:
    """Seven regions where both models pass 85% (40 labelled pairs each) and a small eighth,
    ``odd``, where the candidate passes 45% (10 pairs); judges 0.9/0.9, 300 items each.
    Returns the table and the true pass rate per (model, region)."""
    parts, truth = [], {}
    for region in [*(f"r{i}" for i in range(7)), "odd"]:
        odd = region == "odd"
        frame, t = paired_table(
            rng,
            thetas={"inc": 0.85, "cand": 0.45 if odd else 0.85},
            judge={"inc": (0.9, 0.9), "cand": (0.9, 0.9)},
            n_judged=300,
            n_labelled=10 if odd else 40,
            regions=(region,),
        )
        parts.append(frame)
        truth.update(t)
    return pd.concat(parts), truth
