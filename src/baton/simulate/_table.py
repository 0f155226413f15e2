"""One replication of a scenario as an estimation table, fast.

``simulate_study`` builds a whole study (items, providers, a judge, raters) for the job;
benchmarks of the calibration need only the table ``baton.estimate`` reads, thousands of
times. ``simulate_table`` draws it straight from the scenario with the same response model
(``_responses``), vectorised over items and models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from baton.simulate._responses import (
    judge_categories,
    judge_category_probabilities,
    latent_passes,
    rater_flips,
)
from baton.simulate._scenario import Scenario, StratumKey

__all__ = ["LabelDesign", "judge_eta_squared", "simulate_table"]


@dataclass(frozen=True)
class LabelDesign:
    """Which responses carry a human label: ``per_stratum`` random items in each stratum.

    ``paired``: the same items are labelled for every model (otherwise each model's labels
    fall on different items). ``models`` / ``regions``: only these get labels (None: all),
    e.g. labels from the incumbent only, or from one region only.
    """

    per_stratum: int
    paired: bool = True
    models: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.per_stratum < 0:
            raise ValueError(f"per_stratum must be at least 0, got {self.per_stratum}")

    def labels(self, model: str, region: str) -> bool:
        """Whether this model's answers in this region get any labels."""
        return (self.models is None or model in self.models) and (
            self.regions is None or region in self.regions
        )


def _labelled_mask(
    scenario: Scenario, plan: LabelDesign, region: str, n_items: int
) -> NDArray[np.bool_]:
    """(models, items): which responses of one region and dimension are labelled.

    Items are exchangeable, so the first items are a random sample; unpaired plans give
    each model its own block of items.
    """
    mask = np.zeros((len(scenario.models), n_items), dtype=bool)
    for m, model in enumerate(scenario.models):
        if not plan.labels(model, region):
            continue
        start = 0 if plan.paired else m * plan.per_stratum
        if start + plan.per_stratum > n_items:
            raise ValueError(
                f"{plan.per_stratum} labels per model on distinct items need more than "
                f"{n_items} items per region"
            )
        mask[m, start : start + plan.per_stratum] = True
    return mask


def _dimension_region(
    scenario: Scenario, plan: LabelDesign, key: tuple[str, str], rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Judge categories and human labels (NaN unless labelled), both (models, items)."""
    dimension, region = key
    n = scenario.items_per_region
    difficulty = rng.normal(0.0, scenario.difficulty_sd, n)
    categories = np.empty((len(scenario.models), n), dtype=np.int64)
    human = np.full((len(scenario.models), n), np.nan)
    labelled = _labelled_mask(scenario, plan, region, n)
    raters = rng.integers(len(scenario.rater_errors), size=(len(scenario.models), n))
    for m, model in enumerate(scenario.models):
        stratum = (dimension, model, region)
        latent = latent_passes(
            scenario.pass_rates[stratum], difficulty, scenario.difficulty_sd, rng
        )
        scale = scenario.dimensions[dimension]
        categories[m] = judge_categories(latent, scenario.judge(stratum), scale, rng)
        flipped = rater_flips(n, scenario.rater_errors, rng)[np.arange(n), raters[m]]
        human[m, labelled[m]] = (latent != flipped)[labelled[m]]
    return categories, human


def simulate_table(
    scenario: Scenario, plan: LabelDesign, *, seed: int, signal: str = "judge"
) -> pd.DataFrame:
    """One replication: a row per (item, model, dimension), as ``baton.estimate`` reads it.

    Columns: item_id, model, dimension, region, weight (the region's traffic share spread
    over its items), human (1.0/0.0, NaN unless labelled; one rater chosen at random per
    label) and ``signal`` (the judge's category). Every response is judged;
    ``scenario.items_per_region`` items per region. The same seed gives the same table.
    """
    rng = np.random.default_rng(seed)
    models = np.asarray(scenario.models, dtype=object)
    n = scenario.items_per_region
    positions = np.arange(n).astype(str)
    parts = []
    for dimension in scenario.dimensions:
        for region, share in scenario.regions.items():
            categories, human = _dimension_region(scenario, plan, (dimension, region), rng)
            parts.append(
                pd.DataFrame(
                    {
                        "item_id": np.tile(np.char.add(f"{region}-", positions), len(models)),
                        "model": np.repeat(models, n),
                        "dimension": dimension,
                        "region": region,
                        "weight": share / n,
                        "human": human.ravel(),
                        signal: categories.ravel(),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def judge_eta_squared(scenario: Scenario, key: StratumKey) -> float:
    """η² = Var(E[Y | S]) / Var(Y) for the human label Y and judge category S in a stratum.

    The share of the label's variance the judge can explain: the efficiency
    bound for random labelling is n_eff ≤ n / (1 − η² N / (n + N)).
    """
    _, given = judge_category_probabilities(scenario.judge(key), scenario.dimensions[key[0]])
    theta = scenario.pass_rates[key]
    eps = float(np.mean(scenario.rater_errors))
    joint = np.array([1.0 - theta, theta])[:, None] * given  # P(L, S)
    p_s = joint.sum(axis=0)
    human_given_latent = np.array([eps, 1.0 - eps])
    e_y_given_s = (joint * human_given_latent[:, None]).sum(axis=0) / np.where(p_s > 0, p_s, 1)
    mean_y = float(p_s @ e_y_given_s)
    var_y = mean_y * (1.0 - mean_y)
    if var_y <= 0:
        return 0.0
    return float(p_s @ (e_y_given_s - mean_y) ** 2 / var_y)
