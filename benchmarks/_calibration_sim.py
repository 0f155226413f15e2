"""The simulated scenario families: one task = one family, n and replication."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from baton import Estimates, estimate
from baton.simulate import (
    CALIBRATION_FAMILIES,
    Family,
    Scenario,
    Truth,
    calibration_family,
    judge_eta_squared,
)
from baton.simulate import simulate_table as draw_table

from ._calibration_records import (
    Record,
    bound_width,
    comparison_records,
    estimate_records,
    with_central_intervals,
)

__all__ = ["METHODS", "Task", "run_task", "variants"]

Method = Literal["bayes", "ppi", "human", "judge"]
METHODS = ("bayes", "bayes-central", "bayes-thr", "ppi", "human", "judge")
"""``bayes-central``: the same bayes fit, central intervals from its draws (a diagnostic);
``bayes-thr``: the Bayesian method on the Likert judge thresholded at 4 (Likert only)."""
BASE_METHODS: tuple[Method, ...] = ("bayes", "ppi", "human", "judge")


@dataclass(frozen=True)
class Task:
    family: str
    n: int
    rep: int
    items: int
    draws: int


@lru_cache(maxsize=64)
def _family(name: str, items: int) -> Family:
    return calibration_family(name, items_per_region=items)


def _truth(scenario: Scenario) -> Truth:
    return Truth(
        latent=dict(scenario.pass_rates),
        mean_rater_error=float(np.mean(scenario.rater_errors)),
        shares=dict(scenario.regions),
        incumbent=scenario.incumbent,
    )


def variants(family: Family) -> list[tuple[str, Method, str]]:
    """(label, method, signal column) to run on a family's tables."""
    out: list[tuple[str, Method, str]] = [(m, m, "judge") for m in BASE_METHODS]
    if all(scale == "likert5" for scale in family.scenario.dimensions.values()):
        out.insert(1, ("bayes-thr", "bayes", "judge_pass"))
    return out


def _seed(task: Task) -> int:
    entropy = [CALIBRATION_FAMILIES.index(task.family), task.n, task.rep, task.items]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def _table(family: Family, task: Task) -> pd.DataFrame:
    table = draw_table(family.scenario, family.plan(task.n), seed=_seed(task))
    table["judge_pass"] = (table["judge"] >= 4).astype(np.int64)
    return table


def run_task(task: Task) -> list[Record]:
    """Every method on one replication: intervals per stratum and comparison."""
    family = _family(task.family, task.items)
    scenario = family.scenario
    truth = _truth(scenario)
    table = _table(family, task)

    def bound(dim: str, model: str, region: str, n: int, unlabelled: int) -> float:
        eta2 = judge_eta_squared(scenario, (dim, model, region))
        return bound_width(truth.human(dim, model, region), eta2, n, unlabelled)

    records: list[Record] = []
    for label, method, signal in variants(family):
        result = estimate(
            table,
            [signal],
            baseline=scenario.incumbent,
            margin=max(scenario.margins.values()),
            method=method,
            seed=task.rep,
            n_draws=task.draws,
        )
        fits: list[tuple[str, Estimates]] = [(label, result)]
        if label == "bayes":
            fits.append(("bayes-central", with_central_intervals(result)))
        for name, fit in fits:
            tag = (task.family, task.n, name)
            records += estimate_records(fit, label=tag, truth=truth.human, bound=bound)
            records += comparison_records(
                fit, label=tag, truth=truth.delta, margins=scenario.margins.__getitem__
            )
    return records
