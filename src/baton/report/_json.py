"""The machine-readable result: versioned JSON (``"schema": 1``), strictly valid.

Keys come in a fixed order, floats are rounded to 4 decimals, and NaN or infinite values
(an uncalibrated stratum has no interval) become ``null``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from baton.analysis import ModelUsage, Provenance, StudyResult, overall_outcome
from baton.calibration._types import Comparison, PassRateEstimate
from baton.decision._types import CandidateVerdict, Decision
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


def _record(obj: Decision | Comparison | ModelUsage | Provenance) -> dict[str, Any]:
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


def _provenance(provenance: Provenance) -> dict[str, Any]:
    plain = _record(provenance)
    plain["models"] = dict(sorted(plain["models"].items()))
    plain["judges"] = dict(sorted(plain["judges"].items()))
    return plain


def result_to_dict(study: Study, result: StudyResult) -> dict[str, Any]:
    """The result as plain JSON-ready data, keys in a fixed order."""
    return {
        "schema": SCHEMA_VERSION,
        "study": {"name": study.name, "fingerprint": study_fingerprint(study)},
        "outcome": overall_outcome(result.verdicts),
        "candidates": [_candidate(v) for v in result.verdicts],
        "decisions": [_record(d) for d in result.decisions],
        "estimates": [_estimate(e) for e in result.estimates],
        "comparisons": [_record(c) for c in result.comparisons],
        "usage": [_record(u) for u in result.usage],
        "labels": {"used": result.labels_used, "budget": result.labels_budget},
        "level": _number(result.level),
        "confidence": _number(result.confidence),
        "warnings": list(result.warnings),
        "provenance": _provenance(result.provenance),
    }


def render_json(study: Study, result: StudyResult) -> str:
    """The result as strict JSON text (no NaN), indented, ending in a newline."""
    data = result_to_dict(study, result)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
