"""From a study's verdicts and labels to its result (no I/O), one way: fit → decisions →
result.

``fit_study`` turns the study's evidence into the estimation table (one row per response
and dimension) and fits it with the same engine as ``baton estimate``: one mechanism for
users with a table and for studies. The decisions are made outside (the label loop's rule
in ``baton.decision``, or one look at the study's confidence) and handed to
``analyse_study``, which adds what the report shows beyond them (which passing candidate is
best, confidence curves, the judge's calibration per model, refusals, examples).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from baton.analysis._evidence import (
    failure_examples,
    human_by_response,
    judge_calibrations,
    refusal_transitions,
)
from baton.analysis._posterior import best_probabilities, confidence_curves
from baton.analysis._result import DataSnapshot, ModelUsage, Provenance, StudyResult
from baton.calibration import Comparison, Estimates, estimate_frame
from baton.decision import (
    LOOK_DESIGNS,
    SIGNAL,
    Decision,
    FamilyRule,
    candidate_verdict,
    decide_comparisons,
    family_rule,
)
from baton.domain import Item, Label, Response, Verdict
from baton.study import Study, study_fingerprint

__all__ = [
    "AnalysisOptions",
    "Clock",
    "Evidence",
    "analyse_study",
    "data_snapshot",
    "evidence_table",
    "fit_study",
    "model_usage",
    "single_look_decisions",
    "study_family",
    "utc_now",
]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC (the default clock of a result's provenance)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class AnalysisOptions:
    """How an analysis is run."""

    level: float = 0.9
    seed: int = 0
    n_draws: int = 4000


@dataclass(frozen=True)
class Evidence:
    """A study's rows, as read from its store."""

    items: Sequence[Item]
    responses: Sequence[Response]
    verdicts: Sequence[Verdict]
    labels: Sequence[Label]


def evidence_table(
    study: Study, items: Sequence[Item], verdicts: Sequence[Verdict], labels: Sequence[Label]
) -> pd.DataFrame:
    """The study's verdicts and labels as an estimation table (one row per response and
    dimension). Each region carries its traffic share, split over its items by their own
    weights (frequency over inclusion probability, as ingestion records them), so a
    deduplicated prompt counts as often as it was asked."""
    region = {item.item_id: item.region for item in items}
    item_weight = {item.item_id: item.weight for item in items}
    per_region: dict[str, float] = defaultdict(float)
    for item in items:
        per_region[item.region] += item.weight
    judge_of = {d.name: d.judge.name for d in study.dimensions}
    human = human_by_response(labels)
    shares = study.traffic_shares
    rows = []
    for v in verdicts:
        if v.item_id not in region or judge_of.get(v.dimension) != v.judge:
            continue
        r = region[v.item_id]
        value, inclusion = human.get((v.item_id, v.model, v.dimension), (math.nan, 1.0))
        category = math.nan if v.category is None else float(v.category)
        rows.append(
            (
                v.item_id,
                v.model,
                v.dimension,
                r,
                shares[r] * item_weight[v.item_id] / per_region[r],
                inclusion,
                value,
                category,
            )
        )
    columns = ["item_id", "model", "dimension", "region", "weight", "inclusion_prob", "human"]
    return pd.DataFrame(rows, columns=[*columns, SIGNAL])


def study_family(study: Study) -> FamilyRule:
    """How the study's candidates share the false go (``decision.multiple_candidates``):
    the confidence each candidate's cells are decided at, and the family-wise figure."""
    return family_rule(
        study.decision.confidence, len(study.candidates), study.decision.multiple_candidates
    )


def single_look_decisions(study: Study, fit: Estimates) -> list[Decision]:
    """Non-inferiority per candidate × dimension × region from the fitted comparisons, at
    one look with the whole budget in (the label loop's rule at its last look)."""
    return decide_comparisons(
        fit.comparisons,
        fit.posteriors.deltas,
        fit.labelled(),
        confidence=study_family(study).candidate_confidence,
        blocking=study.blocking,
        n_items=fit.judged(),
        design=LOOK_DESIGNS[study.decision.design],
    )


def model_usage(study: Study, responses: Sequence[Response]) -> list[ModelUsage]:
    """Cost per 1,000 interactions and latency percentiles per model, from the responses
    Baton replayed (answers taken from the logs carry neither: unknown, NaN, not 0)."""
    usage = []
    for model in study.models:
        own = [r for r in responses if r.model == model.name]
        ok = [r for r in own if r.error is None and r.source == "replayed"]
        errors = sum(r.error is not None for r in own)
        if not ok:
            nan = math.nan
            usage.append(ModelUsage(model.name, len(own), errors, nan, nan, nan))
            continue
        p50, p95 = np.percentile([r.latency_s for r in ok], [50, 95])
        cost = float(np.mean([r.cost_usd for r in ok])) * 1000
        usage.append(ModelUsage(model.name, len(own), errors, cost, float(p50), float(p95)))
    return usage


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def data_snapshot(evidence: Evidence) -> DataSnapshot:
    """Row counts and a digest of the content the result was computed from (order-free)."""
    rows: list[Any] = [("item", i.item_id, i.region, i.prompt) for i in evidence.items]
    rows += [("response", r.item_id, r.model, r.text, r.error) for r in evidence.responses]
    rows += [
        ("verdict", v.item_id, v.model, v.dimension, v.judge, v.judge_version, v.category)
        for v in evidence.verdicts
    ]
    rows += [("label", x.item_id, x.model, x.dimension, x.rater, x.value) for x in evidence.labels]
    lines = sorted(map(repr, rows))
    return DataSnapshot(
        n_items=len(evidence.items),
        n_responses=len(evidence.responses),
        n_verdicts=len(evidence.verdicts),
        n_labels=len(evidence.labels),
        digest=_hash("\n".join(lines)),
    )


def _provenance(
    study: Study, evidence: Evidence, *, seed: int, version: str, clock: Clock
) -> Provenance:
    judge_of = {d.name: d.judge.name for d in study.dimensions}
    versions: dict[str, set[str]] = defaultdict(set)
    for v in evidence.verdicts:
        if judge_of.get(v.dimension) == v.judge:
            versions[v.dimension].add(v.judge_version)
    return Provenance(
        study_name=study.name,
        study_fingerprint=study_fingerprint(study),
        baton_version=version,
        seed=seed,
        created_at=clock().astimezone(UTC).isoformat(timespec="seconds"),
        models={m.name: f"{m.provider}:{m.model}" for m in study.models},
        judges=judge_of,
        model_parameters={
            m.name: {**study.service.parameters, **m.parameters} for m in study.models
        },
        prompt_hashes={
            m.name: _hash(m.system_prompt or study.service.system_prompt) for m in study.models
        },
        rubric_hashes={d.name: _hash(d.rubric) for d in study.dimensions},
        judge_versions={d.name: tuple(sorted(versions[d.name])) for d in study.dimensions},
        data=data_snapshot(evidence),
    )


def _with_details(
    study: Study, result: StudyResult, fit: Estimates, evidence: Evidence
) -> StudyResult:
    """``result`` with what the report shows beyond the decisions: P(best), confidence
    curves, the judge's calibration per model, refusal transitions and examples."""
    human = human_by_response(evidence.labels)
    items, verdicts = evidence.items, evidence.verdicts
    return dataclasses.replace(
        result,
        best=tuple(
            best_probabilities(
                fit.posteriors.strata, result.verdicts, [d.name for d in study.dimensions]
            )
        ),
        curves=tuple(confidence_curves(fit.posteriors.deltas, study.margins)),
        judges=tuple(
            judge_calibrations(study, items, verdicts, human=human, diagnostics=fit.judges)
        ),
        refusals=tuple(refusal_transitions(study, items, verdicts, human=human)),
        examples=tuple(
            failure_examples(
                study,
                items,
                evidence.responses,
                verdicts=verdicts,
                human=human,
                decisions=result.decisions,
            )
        ),
    )


def fit_study(study: Study, evidence: Evidence, *, options: AnalysisOptions) -> Estimates:
    """Calibrated pass rates and comparisons with the incumbent from the study's evidence."""
    return estimate_frame(
        evidence_table(study, evidence.items, evidence.verdicts, evidence.labels),
        [SIGNAL],
        baseline=study.incumbent.name,
        margin=study.margins,
        level=options.level,
        seed=options.seed,
        n_draws=options.n_draws,
        pool_deltas=study.decision.pool_regions,
    )


def analyse_study(
    study: Study,
    evidence: Evidence,
    *,
    fit: Estimates | None = None,
    decisions: Sequence[Decision] | None = None,
    options: AnalysisOptions = AnalysisOptions(),
    version: str = "",
    clock: Clock = utc_now,
) -> StudyResult:
    """The study's result, with everything its report shows, from its ``fit`` (default:
    ``fit_study``) and the ``decisions`` made on it (default: one look at the study's
    confidence, ``single_look_decisions``). ``clock`` stamps the provenance."""
    fit = fit if fit is not None else fit_study(study, evidence, options=options)
    calls = tuple(decisions if decisions is not None else single_look_decisions(study, fit))
    comparisons: tuple[Comparison, ...] = fit.comparisons
    result = StudyResult(
        estimates=fit.estimates,
        comparisons=comparisons,
        decisions=calls,
        verdicts=tuple(candidate_verdict(c.name, calls) for c in study.candidates),
        usage=tuple(model_usage(study, evidence.responses)),
        provenance=_provenance(study, evidence, seed=options.seed, version=version, clock=clock),
        level=options.level,
        confidence=study.decision.confidence,
        family=study_family(study),
        labels_used=len(evidence.labels),
        labels_budget=study.labels.budget,
        margins=study.margins,
        warnings=tuple(
            w.replace(f"judge {SIGNAL!r} ", "the judge ") for w in fit.diagnostics.warnings
        ),
    )
    return _with_details(study, result, fit, evidence)
