"""The machine-readable result: versioned JSON (``"schema": 1``), strictly valid.

Keys come in a fixed order, floats are rounded to 4 decimals, and NaN or infinite values
(an uncalibrated stratum has no interval) become ``null``. Keys are only ever added under
one schema version; a key renamed, removed or changed in meaning bumps it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict
from typing import Any

from baton.analysis import (
    ConfidenceCurve,
    FailureExample,
    JudgeCalibration,
    ModelUsage,
    Provenance,
    RefusalTransitions,
    StudyResult,
    labels_needed_total,
    overall_outcome,
)
from baton.calibration import Comparison, PassRateEstimate
from baton.decision import CandidateVerdict, Decision
from baton.report._details import category_name
from baton.report._recommend import suggested_candidate
from baton.report._view import decision_family
from baton.study import Study, study_fingerprint

__all__ = ["SCHEMA_VERSION", "render_json", "result_to_dict"]

SCHEMA_VERSION = 1
_DECIMALS = 4


def _number(x: float) -> float | None:
    if math.isnan(x) or math.isinf(x):
        return None
    return round(x, _DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _plain(value: Any) -> Any:
    """Floats rounded (NaN to None), tuples to lists, dicts and lists recursed."""
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _candidate(verdict: CandidateVerdict) -> dict[str, Any]:
    return {
        "name": verdict.candidate,
        "outcome": verdict.outcome,
        "reasons": list(verdict.reasons),
        "flagged_regions": list(verdict.flagged_regions),
    }


def _record(obj: Decision | Comparison | ModelUsage | FailureExample) -> dict[str, Any]:
    """A flat dataclass as a dict, fields in declaration order."""
    return {key: _plain(value) for key, value in asdict(obj).items()}


def _estimate(estimate: PassRateEstimate) -> dict[str, Any]:
    return {
        "dimension": estimate.stratum.dimension,
        "model": estimate.stratum.model,
        "region": estimate.stratum.region,
        "mean": _number(estimate.mean),
        "lower": _number(estimate.lower),
        "upper": _number(estimate.upper),
        "n_items": estimate.n_items,
        "n_labelled": estimate.n_labelled,
        "calibrated": estimate.calibrated,
        "judge_mean": _number(estimate.judge_mean),
    }


def _provenance(p: Provenance) -> dict[str, Any]:
    return {
        "study_name": p.study_name,
        "study_fingerprint": p.study_fingerprint,
        "baton_version": p.baton_version,
        "seed": p.seed,
        "created_at": p.created_at,
        "models": dict(sorted(p.models.items())),
        "model_parameters": _plain(dict(sorted(p.model_parameters.items()))),
        "prompt_hashes": dict(sorted(p.prompt_hashes.items())),
        "judges": dict(sorted(p.judges.items())),
        "judge_versions": {k: list(v) for k, v in sorted(p.judge_versions.items())},
        "rubric_hashes": dict(sorted(p.rubric_hashes.items())),
        "data": None if p.data is None else asdict(p.data),
        "source": p.source or None,
    }


def _recommendation(study: Study, result: StudyResult) -> dict[str, Any] | None:
    suggested = suggested_candidate(study, result)
    if suggested is None:
        return None
    return {
        "contenders": list(result.best[0].contenders),
        "suggested": suggested,
        "p_best": [
            {"dimension": b.dimension, "candidate": b.candidate, "p_best": _number(b.p_best)}
            for b in result.best
        ],
    }


def _curve(curve: ConfidenceCurve) -> dict[str, Any]:
    return {
        "dimension": curve.dimension,
        "candidate": curve.candidate,
        "region": curve.region,
        "margins": _plain(curve.margins),
        "p_noninferior": _plain(curve.p_noninferior),
    }


def _judge(row: JudgeCalibration) -> dict[str, Any]:
    return {
        "dimension": row.dimension,
        "judge": row.judge,
        "model": row.model,
        "categories": [
            {
                "category": c.category,
                "name": category_name(row.scale, c.category),
                "n_judged": c.n_judged,
                "n_labelled": c.n_labelled,
                "n_human_pass": c.n_human_pass,
                "p_human_pass": _number(c.p_human_pass),
            }
            for c in row.categories
        ],
        "n_labelled": row.n_labelled,
        "sensitivity": _number(row.sensitivity),
        "specificity": _number(row.specificity),
        "youden_j": _number(row.youden_j),
        "j_gap": _number(row.j_gap),
        "treated_differently": row.treated_differently,
    }


def _refusal(t: RefusalTransitions) -> dict[str, Any]:
    counts = {f"incumbent_{a}_candidate_{b}": n for (a, b), n in t.counts.items()}
    return {
        "candidate": t.candidate,
        "dimension": t.dimension,
        "expected": t.expected,
        **counts,
        "from_labels": t.from_labels,
        "from_judge": t.from_judge,
    }


def _labels(result: StudyResult) -> dict[str, Any]:
    """``needed`` is null when some open blocking cell has no estimate of its need (no
    labels yet, or not reachable): a total would understate it."""
    unknown = any(
        d.blocking and d.outcome == "inconclusive" and d.labels_needed is None
        for d in result.decisions
    )
    return {
        "used": result.labels_used,
        "budget": result.labels_budget,
        "remaining": max(result.labels_budget - result.labels_used, 0),
        "needed": None if unknown else labels_needed_total(result.decisions),
    }


def _family(study: Study, result: StudyResult) -> dict[str, Any]:
    """How false go was shared across the candidates: the rule, the confidence each
    candidate's cells were decided at, the error per candidate and the family-wise figure
    (the controlled level, or the bound K × α under ``per_candidate``)."""
    family = decision_family(study, result)
    return {
        "rule": family.rule,
        "candidates": family.candidates,
        "candidate_confidence": _number(family.candidate_confidence),
        "candidate_alpha": _number(family.candidate_alpha),
        "family_alpha": _number(family.family_alpha),
        "family_alpha_is": "controlled" if family.rule == "control" else "bound",
    }


def result_to_dict(study: Study, result: StudyResult) -> dict[str, Any]:
    """The result as plain JSON-ready data, keys in a fixed order."""
    return {
        "schema": SCHEMA_VERSION,
        "study": {"name": study.name, "fingerprint": study_fingerprint(study)},
        "outcome": overall_outcome(result.verdicts),
        "candidates": [_candidate(v) for v in result.verdicts],
        "recommendation": _recommendation(study, result),
        "decisions": [_record(d) for d in result.decisions],
        "estimates": [_estimate(e) for e in result.estimates],
        "comparisons": [_record(c) for c in result.comparisons],
        "confidence_curves": {
            "source": result.curves_source,
            "curves": [_curve(c) for c in result.curves],
        },
        "judges": [_judge(j) for j in result.judges],
        "refusals": [_refusal(t) for t in result.refusals],
        "usage": [_record(u) for u in result.usage],
        "labels": _labels(result),
        "examples": [_record(e) for e in result.examples],
        "level": _number(result.level),
        "confidence": _number(result.confidence),
        "multiple_candidates": _family(study, result),
        "warnings": list(result.warnings),
        "provenance": _provenance(result.provenance),
    }


_NUMBER_LIST = re.compile(r"\[\s*((?:-?[\d.e+-]+|null)(?:,\s*(?:-?[\d.e+-]+|null))*)\s*\]")


def _one_line(match: re.Match[str]) -> str:
    return "[" + ", ".join(part.strip() for part in match.group(1).split(",")) + "]"


def render_json(study: Study, result: StudyResult) -> str:
    """The result as strict JSON text (no NaN), indented, ending in a newline; lists of
    numbers (the confidence curves) stay on one line."""
    data = result_to_dict(study, result)
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    return _NUMBER_LIST.sub(_one_line, text) + "\n"
