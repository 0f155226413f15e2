"""``baton plan``: before any human label, how many labels will this study need?

From the judged responses and a prior on the judge's quality (sensitivity and specificity,
or figures measured on another study), each stratum's true pass rate is inferred from the
judge's pass share (θ = (q + Sp − 1) / (Se + Sp − 1)), human labels consistent with it are
simulated for the responses actually judged, and the sequential rule (allocation, refit,
stop decided strata, calls at the interim thresholds spread over the rounds the budget
allows) is run on them. Repeated, this gives the labels each (dimension,
region) needs to be decided with 80% and 95% probability, and their cost in reviewer time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from baton.decision._sequential import SequentialOptions, run_sequential
from baton.decision._types import SIGNAL

__all__ = [
    "CellPlan",
    "JudgePrior",
    "LabelPlan",
    "StratumPlan",
    "plan_labels",
    "simulated_labels_from_prior",
]


@dataclass(frozen=True)
class JudgePrior:
    """What the judge is believed to be, before any label of this study."""

    sensitivity: float = 0.9
    specificity: float = 0.9

    def __post_init__(self) -> None:
        if self.sensitivity + self.specificity <= 1.0:
            raise ValueError("a judge with sensitivity + specificity ≤ 1 carries no signal")


@dataclass(frozen=True)
class StratumPlan:
    """Labels one (dimension, region) needs: None when the budget did not suffice."""

    dimension: str
    region: str
    labels_80: int | None
    labels_95: int | None
    decided_share: float
    reason: str = ""
    """Why a level is not reached (``plan_power``; empty when both are, or unknown)."""


@dataclass(frozen=True)
class CellPlan:
    """One (dimension, candidate, region) cell's plan: the Δ assumed, the labels per model
    its stratum needs for the cell to be called with 80% and 95% probability (None: not
    within the budget and the pool), the chance of a go and of any call, and why a level
    is not reached (empty when both are)."""

    dimension: str
    candidate: str
    region: str
    delta: float
    margin: float
    pool: int
    labels_80: int | None
    labels_95: int | None
    p_go: float
    p_decided: float
    reason: str = ""


@dataclass(frozen=True)
class LabelPlan:
    """Labels for the whole study to be decided with 80% and 95% probability, and the cost."""

    strata: tuple[StratumPlan, ...]
    total_80: int | None
    total_95: int | None
    minutes_per_label: float
    replications: int
    """Simulated studies (``plan_labels``) or paths of the normal approximation
    (``plan_power``)."""
    cells: tuple[CellPlan, ...] = ()
    """Per (dimension, candidate, region), from ``plan_power`` only."""
    method: str = "simulated"

    def hours(self, labels: int | None) -> float | None:
        return None if labels is None else labels * self.minutes_per_label / 60


def simulated_labels_from_prior(
    table: pd.DataFrame, prior: JudgePrior, rng: np.random.Generator
) -> pd.Series:
    """Human labels consistent with the judge's pass share in each stratum and the prior."""
    score = table[SIGNAL].astype(float)
    low = score.groupby(table["dimension"]).transform("min")
    high = score.groupby(table["dimension"]).transform("max")
    says = (score > (low + high) / 2).to_numpy()
    keys = [table["dimension"], table["model"], table["region"]]
    q = pd.Series(says, index=table.index).groupby(keys).transform("mean").to_numpy(float)
    se, sp = prior.sensitivity, prior.specificity
    theta = np.clip((q + sp - 1) / (se + sp - 1), 0.01, 0.99)
    q_model = theta * se + (1 - theta) * (1 - sp)
    p_pass = np.where(says, theta * se / q_model, theta * (1 - se) / (1 - q_model))
    return pd.Series((rng.random(len(table)) < p_pass).astype(float), index=table.index)


def _quantile_or_none(values: list[float], level: float, cap: float) -> int | None:
    """The ``level`` quantile of simulated label counts; None where it is over the budget
    (a run that never decided counts as infinite)."""
    value = float(np.quantile(values, level, method="inverted_cdf"))
    return None if value > cap else int(np.ceil(value))


def _stratum_needs(
    calls: Mapping[tuple[str, str, str], str], labels_at: Mapping[tuple[str, str, str], int]
) -> dict[tuple[str, str], float]:
    """Labels each (dimension, region) needed for every candidate to be decided there."""
    needs: dict[tuple[str, str], float] = {}
    for (dim, cand, region), outcome in calls.items():
        needed = np.inf if outcome == "inconclusive" else float(labels_at[(dim, cand, region)])
        needs[(dim, region)] = max(needs.get((dim, region), 0.0), needed)
    return needs


def plan_labels(
    table: pd.DataFrame,
    *,
    baseline: str,
    margins: Mapping[str, float],
    blocking: Mapping[str, bool],
    confidence: float,
    prior: JudgePrior,
    minutes_per_label: float,
    batch_units: int = 20,
    max_labels: int = 20_000,
    replications: int = 20,
    seed: int = 0,
    on_replication: Callable[[int], None] | None = None,
) -> LabelPlan:
    """Simulate the sequential rule on the judged responses of ``table`` (an evidence table
    with the judge's category in the ``judge`` column) under ``prior``; ``on_replication``
    is told the number of replications done after each."""
    rng = np.random.default_rng(seed)
    options = SequentialOptions("allocated", batch_units, max_labels, confidence, margins, blocking)
    per_stratum: dict[tuple[str, str], list[float]] = {}
    totals: list[float] = []
    for done in range(replications):
        truth = simulated_labels_from_prior(table, prior, rng)
        result = run_sequential(table, truth, baseline=baseline, options=options, rng=rng)
        undecided = any(o == "inconclusive" for o in result.calls.values())
        totals.append(np.inf if undecided else float(max(result.decided_at.values(), default=0)))
        for key, needed in _stratum_needs(result.calls, result.stratum_labels_at).items():
            per_stratum.setdefault(key, []).append(needed)
        if on_replication is not None:
            on_replication(done + 1)
    strata = tuple(
        StratumPlan(
            dim,
            region,
            _quantile_or_none(v, 0.8, max_labels),
            _quantile_or_none(v, 0.95, max_labels),
            float(np.isfinite(v).mean()),
        )
        for (dim, region), v in sorted(per_stratum.items())
    )
    return LabelPlan(
        strata,
        _quantile_or_none(totals, 0.8, max_labels),
        _quantile_or_none(totals, 0.95, max_labels),
        minutes_per_label,
        replications,
    )
