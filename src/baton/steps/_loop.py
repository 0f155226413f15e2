"""The human-label loop over a study's store: decide now, choose what to label next, plan.

Each reads the study's items, verdicts and labels from its store and runs the result stage
one way: fit (``baton.analysis.fit_study``) → the label loop's rule
(``baton.decision.sequential_decisions`` over the looks recorded in the store) → the result
(``baton.analysis.analyse_study``). Only ``decide_study`` (``baton decide``) records the
look; every other read (a report, the admin page, the next batch) sees the same calls and
spends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from baton._version import __version__
from baton.analysis import (
    AnalysisOptions,
    Evidence,
    StudyResult,
    analyse_study,
    evidence_table,
    fit_study,
    study_family,
)
from baton.decision import (
    LOOK_DESIGNS,
    SIGNAL,
    JudgePrior,
    LabelPlan,
    LabelUnit,
    LookDesign,
    SequentialDecisions,
    allocate_units,
    allocation_weights,
    plan_labels,
    plan_power,
    sequential_decisions,
    spending_time,
)
from baton.errors import InsufficientLabelsError
from baton.steps._open import StudyStore, study_store
from baton.steps._versions import record_version
from baton.storage import Store

__all__ = [
    "choose_units",
    "decide",
    "decide_study",
    "next_units",
    "plan",
    "plan_study",
    "study_result",
]


def _look(opened: StudyStore, *, seed: int) -> tuple[StudyResult, SequentialDecisions]:
    """This look's result and what it adds to the recorded looks (not recorded here)."""
    study, store = opened.study, opened.store
    evidence = Evidence(store.items(), store.responses(), store.verdicts(), store.labels())
    options = AnalysisOptions(seed=seed)
    fit = fit_study(study, evidence, options=options)
    outcome = sequential_decisions(
        fit.comparisons,
        fit.posteriors.deltas,
        fit.labelled(),
        confidence=study_family(study).candidate_confidence,
        blocking=study.blocking,
        time=spending_time(len(evidence.labels), study.labels.budget, _recorded_budgets(store)),
        looks=store.looks(),
        calls=store.look_calls(),
        n_items=fit.judged(),
        design=LOOK_DESIGNS[study.decision.design],
    )
    result = analyse_study(
        study, evidence, fit=fit, decisions=outcome.decisions, options=options, version=__version__
    )
    return result, outcome


def _recorded_budgets(store: Store) -> list[int]:
    """The label budget of every version of the study the store has recorded: time is
    measured against the largest (``baton.decision.spending_time``), so a cut spends no
    error ahead."""
    budgets = []
    for version in store.study_versions():
        labels = version.study.get("labels")
        budget = labels.get("budget") if isinstance(labels, dict) else None
        if isinstance(budget, int) and not isinstance(budget, bool):
            budgets.append(budget)
    return budgets


def study_result(opened: StudyStore, *, seed: int = 0) -> StudyResult:
    """The study's result from the labels so far, as ``decide_study`` would call it now,
    without recording a look (a pure read: reports, the admin page, the next batch)."""
    return _look(opened, seed=seed)[0]


def decide_study(opened: StudyStore, *, seed: int = 0) -> StudyResult:
    """Calibrated estimates and go / no-go / inconclusive calls from the labels so far,
    recorded as a look of the label loop.

    Deciding again after every batch and keeping the first go at the plain confidence
    would call a candidate at Δ = −margin go far more often than 1 − confidence, so each
    look is recorded in the store, every call is made at its look's interim threshold
    (alpha spending over the share of the label budget spent, measured against the largest
    budget the study has had: ``baton.decision.spending_time``; each candidate at its share
    of the error when several are controlled together: ``study_family``) and frozen once
    made. A look
    with every label of the budget in, and none before it, is the plain rule at the study's
    confidence. Deciding again on the same labels records nothing new. The study's version
    is recorded too (an edited margin or confidence is in use from now on)."""
    record_version(opened.store, opened.study)
    result, outcome = _look(opened, seed=seed)
    if outcome.looks or outcome.calls:
        opened.store.add_look(outcome.looks, outcome.calls)
    return result


def choose_units(opened: StudyStore, n_labels: int, *, seed: int = 0) -> list[LabelUnit]:
    """The next ``n_labels`` labels (items × dimension, every model's answer) to ask for:
    open blocking cells weighted by ``baton.decision.allocation_weights``."""
    study, store = opened.study, opened.store
    table = evidence_table(study, store.items(), store.verdicts(), store.labels())
    if table.empty:
        raise InsufficientLabelsError(
            "nothing is judged yet: run the judges before asking for labels"
        )
    units = max(n_labels // len(study.models), 1)
    if not table["human"].notna().any():
        blocking = sorted(region for region, blocks in study.blocking.items() if blocks)
        weights = {(d.name, r): 1.0 for d in study.dimensions for r in blocking}
    else:
        weights = allocation_weights(study_result(opened, seed=seed).decisions)
    return allocate_units(table, weights, units, signal=SIGNAL, rng=np.random.default_rng(seed))


def plan_study(
    opened: StudyStore,
    prior: JudgePrior,
    *,
    simulate: bool = False,
    delta: float | None = None,
    design: LookDesign | None = None,
    replications: int = 20,
    batch_units: int = 20,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> LabelPlan:
    """Labels needed per cell, region and dimension before any label, from the judged
    responses: the loop's rule on a normal approximation of the calibrated estimate
    (``plan_power``, seconds), or with ``simulate`` the label loop itself run on
    ``replications`` simulated studies (``plan_labels``, a refit at every look: minutes).
    ``delta`` assumes that Δ in every cell, ``design`` plans another ``LookDesign`` than
    the product's (``plan_power`` only); ``on_progress(done,
    total)`` is told the strata or simulated studies done."""
    study, store = opened.study, opened.store
    table = evidence_table(study, store.items(), store.verdicts(), [])
    if table.empty:
        raise InsufficientLabelsError("nothing is judged yet: planning needs judged responses")
    budget = max(study.labels.budget, 1)
    common: dict[str, Any] = {
        "baseline": study.incumbent.name,
        "margins": study.margins,
        "blocking": study.blocking,
        "confidence": study_family(study).candidate_confidence,
        "prior": prior,
        "minutes_per_label": study.labels.minutes_per_label,
        "batch_units": batch_units,
        "max_labels": budget,
        "seed": seed,
    }
    if not simulate:
        design = design or LOOK_DESIGNS[study.decision.design]
        return plan_power(table, delta=delta, design=design, on_stratum=on_progress, **common)
    progress = on_progress
    return plan_labels(
        table,
        replications=replications,
        on_replication=None if progress is None else lambda done: progress(done, replications),
        **common,
    )


def decide(study: str | Path, *, store: str | None = None, seed: int = 0) -> StudyResult:
    """``baton decide``: decide from the labels so far, recording the look."""
    with study_store(study, store=store) as opened:
        return decide_study(opened, seed=seed)


def next_units(
    study: str | Path, n_labels: int, *, store: str | None = None, seed: int = 0
) -> list[LabelUnit]:
    """``baton next``: the next ``n_labels`` labels to ask for (records nothing)."""
    with study_store(study, store=store) as opened:
        return choose_units(opened, n_labels, seed=seed)


def plan(
    study: str | Path,
    prior: JudgePrior = JudgePrior(),
    *,
    store: str | None = None,
    simulate: bool = False,
    delta: float | None = None,
    design: LookDesign | None = None,
    replications: int = 20,
    batch_units: int = 20,
    seed: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
) -> LabelPlan:
    """``baton plan``: labels per cell, region and dimension to decide, before any label
    (``plan_study``)."""
    with study_store(study, store=store) as opened:
        return plan_study(
            opened,
            prior,
            simulate=simulate,
            delta=delta,
            design=design,
            replications=replications,
            batch_units=batch_units,
            seed=seed,
            on_progress=on_progress,
        )
