"""The recommendation among candidates that pass: each one's chance of being best on each
dimension, beside its cost and latency, and the one Baton would suggest (plain text)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from baton.analysis import BestProbability, ModelUsage, StudyResult
from baton.report._view import finite, probability, usage_rows
from baton.study import Study

__all__ = [
    "CLEAR_LEAD",
    "Recommendation",
    "RecommendationRow",
    "recommendation",
    "suggested_candidate",
]

CLEAR_LEAD = 0.8
"""A candidate is called likely best on a dimension at this probability of being best."""


@dataclass(frozen=True)
class RecommendationRow:
    """One passing candidate: P(best) per dimension (study order), cost and latency."""

    candidate: str
    p_best: tuple[str, ...]
    leads: tuple[bool, ...]
    cost_per_1k: str
    cost_vs_incumbent: str
    latency_p50: str
    latency_p95: str
    suggested: bool


@dataclass(frozen=True)
class Recommendation:
    """The passing candidates side by side, and the suggestion in one or two sentences."""

    dimensions: tuple[str, ...]
    rows: tuple[RecommendationRow, ...]
    suggested: str
    sentence: str


def _p(best: tuple[BestProbability, ...], dimension: str, candidate: str) -> float:
    found = [b.p_best for b in best if b.dimension == dimension and b.candidate == candidate]
    return found[0] if found else math.nan


def _cost(usage: tuple[ModelUsage, ...], candidate: str) -> float:
    cost = next((u.cost_per_1k for u in usage if u.model == candidate), math.nan)
    return cost if finite(cost) else math.inf


def _leaders(study: Study, result: StudyResult, contenders: tuple[str, ...]) -> dict[str, str]:
    """Dimension -> the candidate likely best on it (P(best) ≥ CLEAR_LEAD), where one is."""
    leaders = {}
    for dim in study.dimensions:
        for c in contenders:
            p = _p(result.best, dim.name, c)
            if finite(p) and p >= CLEAR_LEAD:
                leaders[dim.name] = c
    return leaders


def suggested_candidate(study: Study, result: StudyResult) -> str | None:
    """The passing candidate likely best on the most dimensions, the cheaper on a tie;
    None unless at least two candidates pass."""
    contenders = result.best[0].contenders if result.best else ()
    if len(contenders) < 2:
        return None
    leaders = _leaders(study, result, contenders)
    wins = {c: sum(1 for lead in leaders.values() if lead == c) for c in contenders}
    return min(contenders, key=lambda c: (-wins[c], _cost(result.usage, c), c))


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _sentence(study: Study, result: StudyResult, suggested: str) -> str:
    contenders = result.best[0].contenders
    leaders = _leaders(study, result, contenders)
    text = f"{_join(list(contenders))} {'both' if len(contenders) == 2 else 'all'} pass."
    for c in contenders:
        led = [f"{d} ({probability(_p(result.best, d, c))})" for d, x in leaders.items() if x == c]
        if led:
            text += f" {c} is likely the best on {_join(led)}."
    undecided = [d.name for d in study.dimensions if d.name not in leaders]
    if undecided:
        text += f" No candidate is clearly better on {_join(undecided)}."
    wins = {c: sum(1 for x in leaders.values() if x == c) for c in contenders}
    if all(wins[suggested] > wins[c] for c in contenders if c != suggested):
        return text + f" Suggested: {suggested}, likely the best on the most dimensions."
    return text + f" Suggested: {suggested}, the cheapest of those equally placed."


def recommendation(study: Study, result: StudyResult) -> Recommendation | None:
    """The recommendation among the candidates that pass; None unless two or more pass."""
    suggested = suggested_candidate(study, result)
    if suggested is None:
        return None
    contenders = result.best[0].contenders
    usage = {u.model: u for u in usage_rows(study, result)}
    rows = []
    for c in contenders:
        ps = [_p(result.best, d.name, c) for d in study.dimensions]
        u = usage.get(c)
        rows.append(
            RecommendationRow(
                candidate=c,
                p_best=tuple(probability(p) for p in ps),
                leads=tuple(finite(p) and p >= CLEAR_LEAD for p in ps),
                cost_per_1k=u.cost_per_1k if u else "—",
                cost_vs_incumbent=u.cost_vs_incumbent if u else "—",
                latency_p50=u.latency_p50 if u else "—",
                latency_p95=u.latency_p95 if u else "—",
                suggested=c == suggested,
            )
        )
    return Recommendation(
        dimensions=tuple(d.name for d in study.dimensions),
        rows=tuple(rows),
        suggested=suggested,
        sentence=_sentence(study, result, suggested),
    )
