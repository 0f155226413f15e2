"""The sequential labelling loop, run against a simulated truth (DESIGN §5).

Label a batch, refit, decide; a (candidate, dimension, region) cell, once decided, keeps its
call and its stratum gets no more labels; repeat until every blocking cell is decided or
the budget is spent. Each refit is an interim look, so a call needs the look's threshold
from ``baton.decision.interim_look`` (alpha spending over the planned rounds), not the
single-look confidence: that keeps a cell at Δ = −margin from being called go more often
than 1 − confidence over all its looks. Three arms share the loop: ``human`` (human-only
estimates, random labels spread evenly over the undecided strata), ``random`` (Baton's
calibration, the same random labels) and ``allocated`` (Baton's calibration and its
allocation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from baton.calibration._engine import Method
from baton.decision import InterimState, LabelUnit, Outcome, allocate_units, interim_look, interim_z
from baton.domain import Item
from baton.estimate import estimate
from baton.simulate._world import SimulatedStudy

__all__ = [
    "Arm",
    "SequentialOptions",
    "SequentialResult",
    "evidence_with_truth",
    "planned_rounds_of",
    "run_sequential",
]

Arm = Literal["human", "random", "allocated"]
SIGNAL = "judge"


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


@dataclass(frozen=True)
class _Fit:
    """One cell after a refit: P(Δ > −margin) and the z the interim boundary applies to
    (NaN for both when the stratum has no calibrated comparison yet)."""

    p_noninferior: float
    z: float


def planned_rounds_of(options: SequentialOptions, n_models: int) -> int:
    """The rounds the budget allows: ``max_labels`` ÷ (``batch_units`` × models), rounded up."""
    if options.planned_rounds is not None:
        return options.planned_rounds
    return max(1, math.ceil(options.max_labels / (options.batch_units * n_models)))


def _open_calls(
    fits: Mapping[CellKey, _Fit],
    frozen: Mapping[CellKey, Outcome],
    blocking: Mapping[str, bool],
    *,
    evenly: bool,
) -> dict[tuple[str, str], float]:
    """Weight of each (dimension, region) with a blocking cell still undecided."""
    weights: dict[tuple[str, str], float] = {}
    for (dim, cand, region), fit in fits.items():
        if (dim, cand, region) in frozen or not blocking.get(region, False):
            continue
        p = fit.p_noninferior
        openness = 1.0 if evenly or np.isnan(p) else max(min(p, 1 - p), 0.01)
        weights[(dim, region)] = weights.get((dim, region), 0.0) + openness
    return weights


def _fit_cells(
    table: pd.DataFrame, baseline: str, options: SequentialOptions, seed: int
) -> dict[CellKey, _Fit]:
    method: Method = "human" if options.arm == "human" else "bayes"
    fit = estimate(
        table,
        [SIGNAL],
        baseline=baseline,
        margin=dict(options.margins),
        method=method,
        seed=seed,
        n_draws=options.n_draws,
    )
    out = {}
    for c in fit.comparisons:
        if not options.blocking.get(c.region, False):
            continue
        draws = fit.posteriors.deltas.get((c.dimension, c.candidate, c.region))
        if not c.calibrated or draws is None:
            out[(c.dimension, c.candidate, c.region)] = _Fit(math.nan, math.nan)
            continue
        z = interim_z(draws, c.margin)
        out[(c.dimension, c.candidate, c.region)] = _Fit(c.p_noninferior, z)
    return out


@dataclass
class _Looks:
    """The interim rule's bookkeeping: each stratum's looks (its cells share the labels and
    rounds, so their boundaries) and the cells called so far."""

    confidence: float
    planned_rounds: int
    states: dict[tuple[str, str], InterimState] = field(default_factory=dict)
    frozen: dict[CellKey, Outcome] = field(default_factory=dict)

    def look(
        self, fits: Mapping[CellKey, _Fit], labels: Mapping[tuple[str, str], int], k: int
    ) -> list[CellKey]:
        """Look at every open cell whose stratum got labels since its last look; freeze
        those past the boundary. Returns the cells called now."""
        boundaries: dict[tuple[str, str], float] = {}
        called = []
        for key, fit in fits.items():
            stratum = (key[0], key[2])
            n = float(labels.get(stratum, 0))
            state = self.states.get(stratum, InterimState())
            if key in self.frozen or math.isnan(fit.z) or n <= state.information:
                continue
            if stratum not in boundaries:
                step = interim_look(
                    state, information=n, time=k / self.planned_rounds, confidence=self.confidence
                )
                boundaries[stratum], self.states[stratum] = step.boundary, step.state
            if abs(fit.z) >= boundaries[stratum]:
                self.frozen[key] = "go" if fit.z > 0 else "no_go"
                called.append(key)
        return called


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
    looks = _Looks(options.confidence, planned_rounds_of(options, n_models))
    decided_at: dict[CellKey, int] = {}
    stratum_at: dict[CellKey, int] = {}
    strata = {
        (d, r)
        for d, r in zip(work["dimension"], work["region"], strict=True)
        if options.blocking.get(r, False)
    }
    weights = dict.fromkeys(strata, 1.0)
    fits: dict[CellKey, _Fit] = {}
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
        fits = _fit_cells(work, baseline, options, seed=rounds)
        counts = work[work["human"].notna()].groupby(["dimension", "region"]).size()
        frame = counts.reset_index(name="n")
        labels = {
            (str(d), str(r)): int(n)
            for d, r, n in zip(frame["dimension"], frame["region"], frame["n"], strict=True)
        }
        for key in looks.look(fits, labels, rounds):
            decided_at[key] = used
            stratum_at[key] = labels.get((key[0], key[2]), 0)
        weights = _open_calls(
            fits, looks.frozen, options.blocking, evenly=options.arm != "allocated"
        )
    final = {key: looks.frozen.get(key, "inconclusive") for key in fits}
    return SequentialResult(final, used, rounds, decided_at, stratum_at)


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
