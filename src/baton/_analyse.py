"""From a study's verdicts and labels to estimates, comparisons and decisions (no I/O)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from baton.analysis import ModelUsage, Provenance, StudyResult
from baton.calibration import (
    ALL_REGIONS,
    Comparison,
    PassRateEstimate,
    central_interval,
    pooled_draws,
    poststratified_pass_rate_draws,
)
from baton.decision import (
    Decision,
    candidate_verdict,
    labels_needed_estimate,
    noninferiority_outcome,
    noninferiority_probability,
)
from baton.domain import Item, Label, Response, Stratum, Verdict
from baton.study import Study, study_fingerprint

__all__ = ["ABSTAINED", "AnalysisOptions", "analyse_study"]

ABSTAINED = -1
"""The category an abstaining verdict is post-stratified under (it is never a score)."""

Draws = NDArray[np.float64]


@dataclass(frozen=True)
class AnalysisOptions:
    """How an analysis is run."""

    level: float = 0.9
    seed: int = 0
    n_draws: int = 4000


@dataclass(frozen=True)
class _Evidence:
    judged: dict[Stratum, list[int]]
    labelled: dict[Stratum, list[tuple[int, int]]]  # (judge category, human label)


def _gather(
    study: Study, items: Sequence[Item], verdicts: Sequence[Verdict], labels: Sequence[Label]
) -> _Evidence:
    region = {item.item_id: item.region for item in items}
    judge_of = {d.name: d.judge.name for d in study.dimensions}
    category: dict[tuple[str, str, str], int] = {}
    judged: dict[Stratum, list[int]] = defaultdict(list)
    for v in verdicts:
        if v.item_id not in region or judge_of.get(v.dimension) != v.judge:
            continue
        cat = ABSTAINED if v.category is None else v.category
        category[(v.item_id, v.model, v.dimension)] = cat
        judged[Stratum(v.dimension, v.model, region[v.item_id])].append(cat)
    labelled: dict[Stratum, list[tuple[int, int]]] = defaultdict(list)
    for lab in labels:
        cat_or_none = category.get((lab.item_id, lab.model, lab.dimension))
        if cat_or_none is not None:
            stratum = Stratum(lab.dimension, lab.model, region[lab.item_id])
            labelled[stratum].append((cat_or_none, lab.value))
    return _Evidence(judged, labelled)


def _stratum_draws(
    evidence: _Evidence,
    stratum: Stratum,
    categories: tuple[int, ...],
    *,
    rng: np.random.Generator,
    n_draws: int,
) -> Draws | None:
    pairs = evidence.labelled.get(stratum, [])
    if not pairs:
        return None
    labelled = np.array([c for c, _ in pairs], dtype=np.int64)
    labels = np.array([y for _, y in pairs], dtype=np.int64)
    judged = np.array(evidence.judged.get(stratum, []), dtype=np.int64)
    return poststratified_pass_rate_draws(
        judged, labelled, labels, categories=(*categories, ABSTAINED), rng=rng, n_draws=n_draws
    )


def _judge_mean(evidence: _Evidence, strata: Sequence[Stratum], study: Study) -> float:
    """Share of verdicts in the judge's passing categories (uncalibrated; for contrast)."""
    shares = study.traffic_shares
    total, weight = 0.0, 0.0
    for s in strata:
        cats = [c for c in evidence.judged.get(s, []) if c != ABSTAINED]
        if cats:
            top = max(study.dimension(s.dimension).judge.categories)
            passing = 1 if top == 1 else 4
            total += shares[s.region] * float(np.mean(np.array(cats) >= passing))
            weight += shares[s.region]
    return total / weight if weight else float("nan")


def _estimate(
    stratum: Stratum,
    draws: Draws | None,
    evidence: _Evidence,
    *,
    members: Sequence[Stratum],
    study: Study,
    level: float,
) -> PassRateEstimate:
    n_items = sum(len(evidence.judged.get(s, [])) for s in members)
    n_labelled = sum(len(evidence.labelled.get(s, [])) for s in members)
    judge_mean = _judge_mean(evidence, members, study)
    if draws is None:
        nan = float("nan")
        return PassRateEstimate(stratum, nan, nan, nan, n_items, n_labelled, False, judge_mean)
    mean, lower, upper = central_interval(draws, level)
    return PassRateEstimate(stratum, mean, lower, upper, n_items, n_labelled, True, judge_mean)


def _all_draws(
    study: Study, evidence: _Evidence, options: AnalysisOptions
) -> dict[Stratum, Draws | None]:
    """Draws per stratum, and the traffic-pooled ``ALL`` region (None if a region lacks labels)."""
    rng = np.random.default_rng(options.seed)
    draws: dict[Stratum, Draws | None] = {}
    for dim in study.dimensions:
        for model in study.models:
            by_region: dict[str, Draws] = {}
            for region in study.regions:
                s = Stratum(dim.name, model.name, region.name)
                draws[s] = _stratum_draws(
                    evidence, s, dim.judge.categories, rng=rng, n_draws=options.n_draws
                )
                if draws[s] is not None:
                    by_region[region.name] = draws[s]  # type: ignore[assignment]
            complete = len(by_region) == len(study.regions)
            pooled = pooled_draws(by_region, study.traffic_shares) if complete else None
            draws[Stratum(dim.name, model.name, ALL_REGIONS)] = pooled
    return draws


def _members(study: Study, stratum: Stratum) -> list[Stratum]:
    if stratum.region != ALL_REGIONS:
        return [stratum]
    return [Stratum(stratum.dimension, stratum.model, r.name) for r in study.regions]


def _compare(
    study: Study, draws: dict[Stratum, Draws | None], evidence: _Evidence, options: AnalysisOptions
) -> tuple[list[Comparison], list[Decision]]:
    comparisons, decisions = [], []
    regions = [*(r.name for r in study.regions), ALL_REGIONS]
    blocking = {r.name: r.traffic_share >= study.decision.min_traffic_share for r in study.regions}
    confidence = study.decision.confidence
    for dim in study.dimensions:
        for cand in study.candidates:
            for region in regions:
                base = draws[Stratum(dim.name, study.incumbent.name, region)]
                mine = draws[Stratum(dim.name, cand.name, region)]
                blocks = blocking.get(region, False)
                if base is None or mine is None:
                    nan = float("nan")
                    comparisons.append(
                        Comparison(
                            dim.name,
                            cand.name,
                            study.incumbent.name,
                            region,
                            nan,
                            nan,
                            nan,
                            dim.margin,
                            nan,
                            False,
                        )
                    )
                    decisions.append(
                        Decision(cand.name, dim.name, region, "inconclusive", nan, blocks, None)
                    )
                    continue
                delta = mine - base
                p = noninferiority_probability(delta, dim.margin)
                mean, lower, upper = central_interval(delta, options.level)
                comparisons.append(
                    Comparison(
                        dim.name,
                        cand.name,
                        study.incumbent.name,
                        region,
                        mean,
                        lower,
                        upper,
                        dim.margin,
                        p,
                        True,
                    )
                )
                outcome = noninferiority_outcome(p, confidence)
                n_lab = min(
                    len(evidence.labelled.get(s, []))
                    for s in _members(study, Stratum(dim.name, cand.name, region))
                )
                needed = (
                    labels_needed_estimate(delta, dim.margin, confidence, n_lab)
                    if outcome == "inconclusive"
                    else None
                )
                decisions.append(Decision(cand.name, dim.name, region, outcome, p, blocks, needed))
    return comparisons, decisions


def model_usage(study: Study, responses: Sequence[Response]) -> list[ModelUsage]:
    """Cost per 1,000 interactions and latency percentiles per model."""
    usage = []
    for model in study.models:
        own = [r for r in responses if r.model == model.name]
        ok = [r for r in own if r.error is None]
        latency = np.array([r.latency_s for r in ok]) if ok else np.array([np.nan])
        cost = float(np.mean([r.cost_usd for r in ok])) * 1000 if ok else float("nan")
        p50, p95 = np.nanpercentile(latency, [50, 95]) if ok else (np.nan, np.nan)
        usage.append(
            ModelUsage(model.name, len(own), len(own) - len(ok), cost, float(p50), float(p95))
        )
    return usage


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
    evidence = _gather(study, items, verdicts, labels)
    draws = _all_draws(study, evidence, options)
    estimates = [
        _estimate(s, d, evidence, members=_members(study, s), study=study, level=options.level)
        for s, d in draws.items()
    ]
    comparisons, decisions = _compare(study, draws, evidence, options)
    warnings = [
        f"{e.stratum.model} has no human labels for {e.stratum.dimension} in "
        f"{e.stratum.region}: only the uncalibrated judge figure is shown"
        for e in estimates
        if not e.calibrated and e.stratum.region != ALL_REGIONS
    ]
    provenance = Provenance(
        study_name=study.name,
        study_fingerprint=study_fingerprint(study),
        baton_version=version,
        seed=options.seed,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        models={m.name: f"{m.provider}:{m.model}" for m in study.models},
        judges={d.name: d.judge.name for d in study.dimensions},
    )
    return StudyResult(
        estimates=tuple(estimates),
        comparisons=tuple(comparisons),
        decisions=tuple(decisions),
        verdicts=tuple(candidate_verdict(c.name, decisions) for c in study.candidates),
        usage=tuple(model_usage(study, responses)),
        provenance=provenance,
        level=options.level,
        confidence=study.decision.confidence,
        labels_used=len(labels),
        labels_budget=study.labels.budget,
        warnings=tuple(warnings),
    )
