"""A study's result from a ``baton estimate`` result (its ``result.json``), without a study.

The estimate result carries pass rates, comparisons with a baseline and judge diagnostics,
but no posterior draws, traffic shares, costs, responses or refusals. What the report
needs from those is approximated and said so: Δ and pass rates are taken as normal with
the interval's width (for the confidence curves, the labels still needed and the chance of
being best); the regions' traffic shares are the ones that reproduce the pooled estimates
from the regions' (else each region's share of the table's rows, and then every region
blocks a go).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from baton._version import __version__
from baton.analysis._analyse import study_family
from baton.analysis._posterior import best_probabilities, confidence_curves
from baton.analysis._result import JudgeCalibration, Provenance, StudyResult
from baton.calibration import (
    ALL_REGIONS,
    Comparison,
    JudgeDiagnostic,
    PassRateEstimate,
    judge_warnings,
)
from baton.decision import (
    DEFAULT_DESIGN,
    LOOK_DESIGNS,
    Decision,
    candidate_verdict,
    decide_comparisons,
)
from baton.domain import Stratum
from baton.errors import InputError
from baton.study import Study, parse_study, study_fingerprint

__all__ = ["N_DRAWS", "result_from_estimate"]

N_DRAWS = 4000
Array = NDArray[np.float64]


def _check_estimate(data: object, source: str) -> None:
    if not isinstance(data, dict) or data.get("schema") != 1 or "comparisons" not in data:
        raise InputError(
            "not a `baton estimate` result (schema 1 with estimates and comparisons)",
            source=source,
        )
    if not data.get("baseline") or not data["comparisons"]:
        raise InputError(
            "the estimate has no comparisons: run `baton estimate --baseline MODEL`",
            source=source,
            field="baseline",
        )


def _names(data: Mapping[str, Any], source: str) -> dict[str, str]:
    """Report-safe dimension names (lower-case identifiers), one per estimate dimension."""
    out: dict[str, str] = {}
    for row in data["estimates"]:
        name = str(row["dimension"])
        safe = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "dimension"
        out[name] = safe if safe[0].isalpha() else f"d_{safe}"
    if len(set(out.values())) != len(out):
        raise InputError(
            "two dimensions differ only in case or punctuation", source=source, field="dimension"
        )
    return out


def _margin(data: Mapping[str, Any], dimension: str) -> float:
    margin = data.get("margin")
    if isinstance(margin, Mapping):
        return float(margin.get(dimension) or 0.0)
    return float(margin or 0.0)


def _row_shares(data: Mapping[str, Any]) -> dict[str, float]:
    """Each region's share of the baseline's rows in the table."""
    sizes: dict[str, float] = {}
    for r in data["estimates"]:
        if r["region"] != ALL_REGIONS and r["model"] == data["baseline"]:
            sizes[str(r["region"])] = sizes.get(str(r["region"]), 0.0) + float(r["n_items"] or 0)
    total = sum(sizes.values()) or 1.0
    return {region: n / total for region, n in sizes.items()}


def _pooled_shares(data: Mapping[str, Any], regions: list[str]) -> dict[str, float] | None:
    """The traffic shares that reproduce the pooled (ALL) means from the regions' means, by
    least squares over every dimension and model; None when they do not reproduce them."""
    means: dict[tuple[str, str], dict[str, float]] = {}
    for r in data["estimates"]:
        if r["mean"] is not None:
            means.setdefault((str(r["dimension"]), str(r["model"])), {})[str(r["region"])] = r[
                "mean"
            ]
    rows, targets = [], []
    for by_region in means.values():
        if ALL_REGIONS in by_region and all(g in by_region for g in regions):
            rows.append([by_region[g] for g in regions])
            targets.append(by_region[ALL_REGIONS])
    if len(rows) < len(regions):
        return None
    a = np.vstack([np.asarray(rows), np.ones(len(regions))])  # the shares sum to one
    b = np.append(np.asarray(targets), 1.0)
    shares = np.linalg.lstsq(a, b, rcond=None)[0]
    if np.any(shares < -1e-3) or np.max(np.abs(a @ shares - b)) > 1e-3:
        return None
    shares = np.clip(shares, 1e-6, None)
    return {g: float(x) for g, x in zip(regions, shares / shares.sum(), strict=True)}


def _study(
    data: Mapping[str, Any],
    names: dict[str, str],
    *,
    name: str,
    shares: Mapping[str, float],
    confidence: float,
    min_traffic_share: float,
    design: str,
) -> Study:
    """A study that says what the estimate result says, and no more."""
    baseline = str(data["baseline"])
    models = sorted({str(r["model"]) for r in data["estimates"]} - {baseline})

    def spec(model: str) -> dict[str, Any]:
        return {"name": model, "provider": "unknown", "model": model}

    labelled = [r for r in data["estimates"] if r["region"] != ALL_REGIONS]
    return parse_study(
        {
            "name": name,
            "service": {"system_prompt": "(not recorded in the estimate result)"},
            "incumbent": spec(baseline),
            "candidates": [spec(m) for m in models],
            "regions": [{"name": r, "traffic_share": x} for r, x in shares.items()],
            "dimensions": [
                {
                    "name": safe,
                    "judge": {"name": "signal", "scale": "binary"},
                    "rubric": "(not recorded in the estimate result)",
                    "margin": _margin(data, original),
                }
                for original, safe in names.items()
            ],
            "labels": {"budget": sum(int(r["n_labelled"] or 0) for r in labelled)},
            "decision": {
                "confidence": confidence,
                "min_traffic_share": min_traffic_share,
                "design": design,
                "pool_regions": bool((data.get("diagnostics") or {}).get("pooled_regions")),
            },
        },
        source="<estimate result>",
    )


def _f(value: Any) -> float:
    return math.nan if value is None else float(value)


def _estimates(data: Mapping[str, Any], names: Mapping[str, str]) -> list[PassRateEstimate]:
    return [
        PassRateEstimate(
            Stratum(names[str(r["dimension"])], str(r["model"]), str(r["region"])),
            _f(r["mean"]),
            _f(r["lower"]),
            _f(r["upper"]),
            int(r["n_items"]),
            int(r["n_labelled"]),
            bool(r["calibrated"]),
            _f(r["judge_mean"]),
        )
        for r in data["estimates"]
    ]


def _comparisons(data: Mapping[str, Any], names: Mapping[str, str]) -> list[Comparison]:
    return [
        Comparison(
            names[str(c["dimension"])],
            str(c["candidate"]),
            str(c["baseline"]),
            str(c["region"]),
            _f(c["mean"]),
            _f(c["lower"]),
            _f(c["upper"]),
            _f(c["margin"]),
            _f(c["p_noninferior"]),
            bool(c["calibrated"]),
            _f(c.get("sd")),
        )
        for c in data["comparisons"]
    ]


_FLOATS = ("agreement", "sensitivity", "specificity", "youden_j", "j_gap")


def _judges(
    data: Mapping[str, Any], names: Mapping[str, str], baseline: str
) -> list[JudgeCalibration]:
    """The pooled judge diagnostics per judge, dimension and model (no category table: the
    estimate result does not keep one)."""
    rows = [
        JudgeDiagnostic(
            **{
                **r,
                "dimension": names.get(str(r["dimension"]), str(r["dimension"])),
                **{k: _f(r[k]) for k in _FLOATS},
            }
        )
        for r in data.get("judges", [])
        if r["region"] == ALL_REGIONS
    ]
    base = {(r.judge, r.dimension): r for r in rows if r.model == baseline}
    return [
        JudgeCalibration(
            dimension=r.dimension,
            judge=r.judge,
            scale="binary",
            model=r.model,
            categories=(),
            n_labelled=r.n_labelled,
            sensitivity=r.sensitivity,
            specificity=r.specificity,
            youden_j=r.youden_j,
            j_gap=r.j_gap,
            treated_differently=r.model != baseline
            and (r.judge, r.dimension) in base
            and bool(judge_warnings([base[(r.judge, r.dimension)], r], baseline)),
        )
        for r in rows
    ]


_QUANTILES = stats.norm.ppf((np.arange(N_DRAWS) + 0.5) / N_DRAWS)
_STANDARD: Array = (_QUANTILES - _QUANTILES.mean()) / _QUANTILES.std()
"""Normal quantiles with mean exactly 0 and sd exactly 1: Δ's draws rebuilt from its mean
and sd read through them as the study path read the real draws."""


def _draws(
    rows: Sequence[PassRateEstimate | Comparison], level: float, *, seed: int
) -> dict[tuple[str, str, str], Array | None]:
    """Normal draws with each row's mean and interval width, keyed (dimension, model, region)."""
    rng = np.random.default_rng(seed)
    out: dict[tuple[str, str, str], Array | None] = {}
    for row in rows:
        if isinstance(row, Comparison):
            key = (row.dimension, row.candidate, row.region)
        else:
            key = (row.stratum.dimension, row.stratum.model, row.stratum.region)
        draws = None
        finite = all(math.isfinite(x) for x in (row.mean, row.lower, row.upper))
        if finite and (not isinstance(row, Comparison) or row.calibrated):
            z = float(stats.norm.ppf((1 + level) / 2))
            sd = max((row.upper - row.lower) / (2 * z), 1e-9)
            if isinstance(row, Comparison) and math.isfinite(row.sd):
                draws = row.mean + row.sd * _STANDARD  # the loop's reading, exactly
            else:
                draws = np.asarray(rng.normal(row.mean, sd, N_DRAWS), dtype=np.float64)
        out[key] = draws
    return out


def _provenance(study: Study, data: Mapping[str, Any], source: str, created_at: str) -> Provenance:
    signals = sorted({str(j["judge"]) for j in data.get("judges", [])}) or ["signal"]
    return Provenance(
        study_name=study.name,
        study_fingerprint=study_fingerprint(study),
        baton_version=__version__,
        seed=0,
        created_at=created_at,
        models={m.name: f"unknown:{m.name}" for m in study.models},
        judges={d.name: ", ".join(signals) for d in study.dimensions},
        source=source,
    )


def _study_of(
    data: Mapping[str, Any],
    path: Path,
    *,
    confidence: float,
    min_traffic_share: float,
    design: str,
) -> tuple[Study, str]:
    """The study the estimate result describes, and how its traffic shares were found."""
    names = _names(data, str(path))
    shares = _row_shares(data)
    inferred = _pooled_shares(data, list(shares))
    study = _study(
        data,
        names,
        name=path.stem,
        shares=inferred or shares,
        confidence=confidence,
        min_traffic_share=min_traffic_share if inferred else 0.0,
        design=design,
    )
    how = (
        "inferred from the pooled estimates"
        if inferred
        else "each region's share of the table's rows, so every region blocks a go"
    )
    return study, how


def _decided(
    study: Study,
    estimates: Sequence[PassRateEstimate],
    comparisons: Sequence[Comparison],
    *,
    level: float,
) -> tuple[list[Decision], dict[tuple[str, str, str], Array | None]]:
    """Decisions from the comparisons, and the normal draws of Δ they were made with."""
    deltas = _draws(comparisons, level, seed=0)
    decisions = decide_comparisons(
        comparisons,
        deltas,
        {(e.stratum.dimension, e.stratum.model, e.stratum.region): e.n_labelled for e in estimates},
        confidence=study_family(study).candidate_confidence,
        blocking=study.blocking,
        design=LOOK_DESIGNS[study.decision.design],
        n_items={
            (e.stratum.dimension, e.stratum.model, e.stratum.region): e.n_items for e in estimates
        },
    )
    return decisions, deltas


def result_from_estimate(
    data: Mapping[str, Any],
    path: Path,
    *,
    digest: str,
    confidence: float = 0.95,
    min_traffic_share: float = 0.05,
    design: str = DEFAULT_DESIGN,
    clock: Callable[[], datetime] | None = None,
) -> tuple[Study, StudyResult]:
    """A study and result to report from a ``baton estimate`` result (``data``, read from
    ``path``, whose bytes hash to ``digest``).

    Regions below ``min_traffic_share`` do not block a go when the traffic shares can be
    inferred from the pooled estimates; when they cannot, every region blocks.
    """
    _check_estimate(data, str(path))
    study, how = _study_of(
        data, path, confidence=confidence, min_traffic_share=min_traffic_share, design=design
    )
    names = _names(data, str(path))
    level = float(data.get("level") or 0.9)
    estimates, comparisons = _estimates(data, names), _comparisons(data, names)
    decisions, deltas = _decided(study, estimates, comparisons, level=level)
    verdicts = tuple(candidate_verdict(c.name, decisions) for c in study.candidates)
    strata = {Stratum(*k): v for k, v in _draws(estimates, level, seed=1).items()}
    now = (clock or (lambda: datetime.now(UTC)))().astimezone(UTC).isoformat(timespec="seconds")
    source = f"estimate result {path.name} (sha256 {digest}, method {data.get('method')})"
    note = (
        f"rendered from an estimate result: traffic shares are {how}; confidence curves, "
        "labels needed and P(best) use a normal approximation to each interval; decided as "
        "one look of the label loop with the whole budget in (the plain threshold at the "
        "confidence, the minimum labels before a go, the early no-go)"
    )
    return study, StudyResult(
        estimates=tuple(estimates),
        comparisons=tuple(comparisons),
        decisions=tuple(decisions),
        verdicts=verdicts,
        usage=(),
        provenance=_provenance(study, data, source, now),
        level=level,
        confidence=confidence,
        family=study_family(study),
        labels_used=study.labels.budget,
        labels_budget=study.labels.budget,
        margins=study.margins,
        warnings=(note, *data.get("diagnostics", {}).get("warnings", [])),
        best=tuple(best_probabilities(strata, verdicts, [d.name for d in study.dimensions])),
        curves=tuple(confidence_curves(deltas, study.margins)),
        judges=tuple(_judges(data, names, study.incumbent.name)),
        curves_source="normal approximation",
    )
