"""From a study's verdicts and labels to estimates, comparisons and decisions (no I/O).

The study's evidence is turned into the estimation table of DESIGN §3 and goes through the
same engine as ``baton estimate``: one mechanism for users with a table and for studies.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from baton.analysis import ModelUsage, Provenance, StudyResult
from baton.calibration import Comparison
from baton.decision import Decision, candidate_verdict, decide_comparisons
from baton.domain import Item, Label, Response, Verdict
from baton.estimate import Estimates, estimate
from baton.study import Study, study_fingerprint

__all__ = ["SIGNAL", "AnalysisOptions", "analyse_study", "evidence_table", "model_usage"]

SIGNAL = "judge"
"""The signal column of a study's evidence table: the dimension's configured judge."""


@dataclass(frozen=True)
class AnalysisOptions:
    """How an analysis is run."""

    level: float = 0.9
    seed: int = 0
    n_draws: int = 4000


def _human_by_response(labels: Sequence[Label]) -> dict[tuple[str, str, str], tuple[float, float]]:
    """One human value per (item, model, dimension): the raters' majority (a tie counts as
    the first rater's label), with the inclusion probability it was chosen with."""
    grouped: dict[tuple[str, str, str], list[Label]] = defaultdict(list)
    for label in labels:
        grouped[(label.item_id, label.model, label.dimension)].append(label)
    out = {}
    for key, group in grouped.items():
        mean = float(np.mean([g.value for g in group]))
        value = group[0].value if mean == 0.5 else round(mean)
        out[key] = (float(value), group[0].inclusion_prob)
    return out


def evidence_table(
    study: Study, items: Sequence[Item], verdicts: Sequence[Verdict], labels: Sequence[Label]
) -> pd.DataFrame:
    """The study's verdicts and labels as an estimation table (one row per response and
    dimension, weighted so each region carries its traffic share)."""
    region = {item.item_id: item.region for item in items}
    per_region = defaultdict(int, pd.Series(list(region.values())).value_counts().to_dict())
    judge_of = {d.name: d.judge.name for d in study.dimensions}
    human = _human_by_response(labels)
    shares = study.traffic_shares
    rows = []
    for v in verdicts:
        if v.item_id not in region or judge_of.get(v.dimension) != v.judge:
            continue
        r = region[v.item_id]
        value, inclusion = human.get((v.item_id, v.model, v.dimension), (math.nan, 1.0))
        rows.append(
            (
                v.item_id,
                v.model,
                v.dimension,
                r,
                shares[r] / per_region[r],
                inclusion,
                value,
                math.nan if v.category is None else float(v.category),
            )
        )
    columns = [
        "item_id",
        "model",
        "dimension",
        "region",
        "weight",
        "inclusion_prob",
        "human",
        SIGNAL,
    ]
    return pd.DataFrame(rows, columns=columns)


def _decisions(study: Study, fit: Estimates) -> list[Decision]:
    """Non-inferiority per candidate × dimension × region from the fitted comparisons."""
    return decide_comparisons(
        fit.comparisons,
        fit.posteriors.deltas,
        {
            (e.stratum.dimension, e.stratum.model, e.stratum.region): e.n_labelled
            for e in fit.estimates
        },
        confidence=study.decision.confidence,
        blocking={
            r.name: r.traffic_share >= study.decision.min_traffic_share for r in study.regions
        },
    )


def model_usage(study: Study, responses: Sequence[Response]) -> list[ModelUsage]:
    """Cost per 1,000 interactions and latency percentiles per model."""
    usage = []
    for model in study.models:
        own = [r for r in responses if r.model == model.name]
        ok = [r for r in own if r.error is None]
        if not ok:
            nan = math.nan
            usage.append(ModelUsage(model.name, len(own), len(own), nan, nan, nan))
            continue
        p50, p95 = np.percentile([r.latency_s for r in ok], [50, 95])
        cost = float(np.mean([r.cost_usd for r in ok])) * 1000
        usage.append(
            ModelUsage(model.name, len(own), len(own) - len(ok), cost, float(p50), float(p95))
        )
    return usage


def _provenance(study: Study, options: AnalysisOptions, version: str) -> Provenance:
    return Provenance(
        study_name=study.name,
        study_fingerprint=study_fingerprint(study),
        baton_version=version,
        seed=options.seed,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        models={m.name: f"{m.provider}:{m.model}" for m in study.models},
        judges={d.name: d.judge.name for d in study.dimensions},
    )


def analyse_study(
    study: Study,
    items: Sequence[Item],
    responses: Sequence[Response],
    verdicts: Sequence[Verdict],
    labels: Sequence[Label],
    *,
    options: AnalysisOptions = AnalysisOptions(),
    version: str = "",
) -> StudyResult:
    """Calibrated pass rates, comparisons with the incumbent and decisions for a study."""
    fit = estimate(
        evidence_table(study, items, verdicts, labels),
        [SIGNAL],
        baseline=study.incumbent.name,
        margin={d.name: d.margin for d in study.dimensions},
        level=options.level,
        seed=options.seed,
        n_draws=options.n_draws,
    )
    decisions = _decisions(study, fit)
    comparisons: tuple[Comparison, ...] = fit.comparisons
    return StudyResult(
        estimates=fit.estimates,
        comparisons=comparisons,
        decisions=tuple(decisions),
        verdicts=tuple(candidate_verdict(c.name, decisions) for c in study.candidates),
        usage=tuple(model_usage(study, responses)),
        provenance=_provenance(study, options, version),
        level=options.level,
        confidence=study.decision.confidence,
        labels_used=len(labels),
        labels_budget=study.labels.budget,
        warnings=fit.diagnostics.warnings,
    )
