"""The sequential labelling loop over an evidence table, run against a known truth.

Label a batch, refit, decide; a (candidate, dimension, region) cell, once decided, keeps its
call and its stratum gets no more labels; repeat until every blocking cell is decided or
the budget is spent. Each refit is an interim look decided by the product's own rule
(``baton.decision.sequential_decisions``, as ``baton decide`` over a study's recorded
looks): a call needs the look's threshold (alpha spending over the planned rounds), not the
single-look confidence, which keeps a cell at Δ = −margin from being called go more often
than 1 − confidence over all its looks. Three arms share the loop: ``human`` (human-only
estimates, random labels spread evenly over the undecided strata), ``random`` (Baton's
calibration, the same random labels) and ``allocated`` (Baton's calibration and its
allocation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from baton.calibration import Method, estimate_frame
from baton.decision._allocation import LabelUnit, allocate_units, allocation_weights
from baton.decision._looks import (
    DEFAULT_DESIGN,
    LOOK_DESIGNS,
    LookDesign,
    SequentialDecisions,
    sequential_decisions,
)
from baton.decision._types import SIGNAL, Decision, Outcome
from baton.domain import Look, LookCall

__all__ = [
    "Arm",
    "SequentialOptions",
    "SequentialResult",
    "planned_rounds_of",
    "run_sequential",
]

Arm = Literal["human", "random", "allocated"]


@dataclass(frozen=True)
class SequentialOptions:
    """The rule: batch size (units = items × dimension, every model labelled), budget,
    decision confidence, margins per dimension, regions that may block a go.
    ``planned_rounds``: the rounds the interim rule spends 1 − confidence over; None for as
    many as the budget allows (``planned_rounds_of``)."""

    arm: Arm
    batch_units: int
    max_labels: int
    confidence: float
    margins: Mapping[str, float]
    blocking: Mapping[str, bool]
    n_draws: int = 1000
    planned_rounds: int | None = None
    design: LookDesign = field(default_factory=lambda: LOOK_DESIGNS[DEFAULT_DESIGN])
    pool_deltas: bool = False
    """Each region's Δ pooled with the other regions' (``estimate_frame(pool_deltas=...)``)."""


@dataclass(frozen=True)
class SequentialResult:
    """Final calls per (dimension, candidate, region), labels spent, rounds run."""

    calls: dict[tuple[str, str, str], Outcome]
    labels_used: int
    rounds: int
    decided_at: dict[tuple[str, str, str], int] = field(default_factory=dict)
    stratum_labels_at: dict[tuple[str, str, str], int] = field(default_factory=dict)
    """Labels in the cell's (dimension, region) stratum when it was decided."""


def _label(table: pd.DataFrame, truth: pd.Series, units: list[LabelUnit], n_models: int) -> int:
    keys = pd.MultiIndex.from_tuples([(u.item_id, u.dimension) for u in units])
    probs = pd.Series([u.inclusion_prob for u in units], index=keys)
    rows = pd.MultiIndex.from_frame(table[["item_id", "dimension"]])
    chosen = rows.isin(keys)
    table.loc[chosen, "human"] = truth[chosen]
    table.loc[chosen, "inclusion_prob"] = probs.reindex(rows[chosen]).to_numpy()
    return len(units) * n_models


CellKey = tuple[str, str, str]
"""(dimension, candidate, region)."""


def planned_rounds_of(options: SequentialOptions, n_models: int) -> int:
    """The rounds the budget allows: ``max_labels`` ÷ (``batch_units`` × models), rounded up."""
    if options.planned_rounds is not None:
        return options.planned_rounds
    return max(1, math.ceil(options.max_labels / (options.batch_units * n_models)))


def _look(
    table: pd.DataFrame,
    baseline: str,
    options: SequentialOptions,
    *,
    round_no: int,
    planned_rounds: int,
    history: tuple[list[Look], list[LookCall]],
) -> SequentialDecisions:
    """Refit and decide at this round's look: the product's rule (``baton decide``)."""
    method: Method = "human" if options.arm == "human" else "bayes"
    fit = estimate_frame(
        table,
        [SIGNAL],
        baseline=baseline,
        margin=dict(options.margins),
        method=method,
        seed=round_no,
        n_draws=options.n_draws,
        pool_deltas=options.pool_deltas,
    )
    return sequential_decisions(
        fit.comparisons,
        fit.posteriors.deltas,
        fit.labelled(),
        confidence=options.confidence,
        blocking=options.blocking,
        time=round_no / planned_rounds,
        looks=history[0],
        calls=history[1],
        n_items=fit.judged(),
        design=options.design,
    )


def run_sequential(
    table: pd.DataFrame,
    truth: pd.Series,
    *,
    baseline: str,
    options: SequentialOptions,
    rng: np.random.Generator,
) -> SequentialResult:
    """Run the rule on ``table`` (the evidence table, ``human`` all NaN) whose true human
    labels are ``truth`` (aligned with the table's rows)."""
    work = table.assign(human=np.nan, inclusion_prob=1.0)
    n_models = work["model"].nunique()
    planned_rounds = planned_rounds_of(options, n_models)
    looks: list[Look] = []
    calls: list[LookCall] = []
    decided_at: dict[CellKey, int] = {}
    stratum_at: dict[CellKey, int] = {}
    strata = {
        (d, r)
        for d, r in zip(work["dimension"], work["region"], strict=True)
        if options.blocking.get(r, False)
    }
    weights = dict.fromkeys(strata, 1.0)
    decisions: list[Decision] = []
    used, rounds = 0, 0
    while weights and used + n_models <= options.max_labels:
        n_units = min(options.batch_units, (options.max_labels - used) // n_models)
        units = allocate_units(
            work, weights, n_units, signal=SIGNAL, rng=rng, uniform=options.arm != "allocated"
        )
        if not units:
            break
        used += _label(work, truth, units, n_models)
        rounds += 1
        step = _look(
            work,
            baseline,
            options,
            round_no=rounds,
            planned_rounds=planned_rounds,
            history=(looks, calls),
        )
        looks += step.looks
        calls += step.calls
        stratum_labels = {(look.dimension, look.region): look.information for look in step.looks}
        for call in step.calls:
            key = (call.dimension, call.candidate, call.region)
            decided_at[key] = used
            stratum_at[key] = int(stratum_labels.get((call.dimension, call.region), 0)) * n_models
        decisions = step.decisions
        weights = allocation_weights(decisions, evenly=options.arm != "allocated")
    final: dict[CellKey, Outcome] = {
        (d.dimension, d.candidate, d.region): d.outcome
        for d in decisions
        if options.blocking.get(d.region, False)
    }
    return SequentialResult(final, used, rounds, decided_at, stratum_at)
