"""The human-label loop over a study's store: decide now, choose what to label next, plan.

Each reads the study's items, verdicts and labels from its store, builds the evidence table
and calls the pure stages (calibration, decision, planning).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from baton._analyse import SIGNAL, AnalysisOptions, analyse_study, evidence_table
from baton._version import __version__
from baton.analysis import StudyResult
from baton.decision import (
    Decision,
    LabelUnit,
    SequentialDecisions,
    allocate_units,
    sequential_decisions,
)
from baton.domain import Look, LookCall
from baton.errors import InsufficientLabelsError
from baton.estimate import Estimates
from baton.planning import JudgePrior, LabelPlan, plan_labels
from baton.storage import Store, default_store_url, open_store
from baton.study import Study, load_study

__all__ = ["StudyStore", "decide", "decide_study", "next_units", "open_study", "plan_study"]


@dataclass(frozen=True)
class StudyStore:
    """A study and its open store."""

    study: Study
    store: Store


def open_study(path: Path) -> StudyStore:
    """Load ``study.yaml`` and open its store (``store:`` in the file, else baton.db beside it)."""
    study = load_study(path)
    return StudyStore(study, open_store(study.store or default_store_url(path)))


@dataclass
class _RecordedLooks:
    """The label loop's rule over the looks recorded in the store: each call at its look's
    interim threshold, frozen once made (``baton.decision.sequential_decisions``). Holds
    what this look adds, for the caller to record."""

    study: Study
    looks: list[Look]
    calls: list[LookCall]
    time: float
    outcome: SequentialDecisions | None = None

    def __call__(self, fit: Estimates) -> list[Decision]:
        study = self.study
        self.outcome = sequential_decisions(
            fit.comparisons,
            fit.posteriors.deltas,
            fit.labelled(),
            confidence=study.decision.confidence,
            blocking=study.blocking,
            time=self.time,
            looks=self.looks,
            calls=self.calls,
        )
        return self.outcome.decisions


def decide_study(opened: StudyStore, *, seed: int = 0) -> StudyResult:
    """Calibrated estimates and go / no-go / inconclusive calls from the labels so far.

    A look of the label loop: deciding again after every batch and keeping the first go at
    the plain confidence would call a candidate at Δ = −margin go far more often than
    1 − confidence, so each look is recorded in the store, every call is made at its look's
    interim threshold (alpha spending over the share of the label budget spent) and frozen
    once made. A look with every label of the budget in, and none before it, is the plain
    rule at the study's confidence."""
    study, store = opened.study, opened.store
    labels = store.labels()
    rule = _RecordedLooks(
        study, store.looks(), store.look_calls(), time=len(labels) / max(study.labels.budget, 1)
    )
    result = analyse_study(
        study,
        store.items(),
        store.responses(),
        store.verdicts(),
        labels,
        options=AnalysisOptions(seed=seed),
        version=__version__,
        rule=rule,
    )
    if rule.outcome is not None and (rule.outcome.looks or rule.outcome.calls):
        store.add_look(rule.outcome.looks, rule.outcome.calls)
    return result


def decide(study_path: str | Path, *, seed: int = 0) -> StudyResult:
    """``baton.decide``: open the study's store, decide from the labels so far, close it."""
    opened = open_study(Path(study_path))
    try:
        return decide_study(opened, seed=seed)
    finally:
        opened.store.close()


def next_units(opened: StudyStore, n_labels: int, *, seed: int = 0) -> list[LabelUnit]:
    """The next ``n_labels`` labels (items × dimension, every model's answer) to ask for."""
    study, store = opened.study, opened.store
    table = evidence_table(study, store.items(), store.verdicts(), store.labels())
    if table.empty:
        raise InsufficientLabelsError(
            "nothing is judged yet: run the judges before asking for labels"
        )
    units = max(n_labels // len(study.models), 1)
    blocking = {region for region, blocks in study.blocking.items() if blocks}
    if not table["human"].notna().any():
        weights = {(d.name, r): 1.0 for d in study.dimensions for r in sorted(blocking)}
    else:
        result = decide_study(opened, seed=seed)
        weights = {}
        for d in result.decisions:
            if d.blocking and d.outcome == "inconclusive":
                p = d.p_noninferior
                openness = 1.0 if np.isnan(p) else max(min(p, 1 - p), 0.01)
                weights[(d.dimension, d.region)] = (
                    weights.get((d.dimension, d.region), 0) + openness
                )
    return allocate_units(table, weights, units, signal=SIGNAL, rng=np.random.default_rng(seed))


def plan_study(
    opened: StudyStore,
    prior: JudgePrior,
    *,
    replications: int = 20,
    batch_units: int = 20,
    seed: int = 0,
) -> LabelPlan:
    """Labels needed per region and dimension before any label, from the judged responses."""
    study, store = opened.study, opened.store
    table = evidence_table(study, store.items(), store.verdicts(), [])
    if table.empty:
        raise InsufficientLabelsError("nothing is judged yet: planning needs judged responses")
    return plan_labels(
        table,
        baseline=study.incumbent.name,
        margins={d.name: d.margin for d in study.dimensions},
        blocking=study.blocking,
        confidence=study.decision.confidence,
        prior=prior,
        minutes_per_label=study.labels.minutes_per_label,
        batch_units=batch_units,
        max_labels=max(study.labels.budget, 1),
        replications=replications,
        seed=seed,
    )
