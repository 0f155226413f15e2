"""Judge scores + a few human labels -> honest pass rates, on a plain table.

``estimate_frame`` works on a pandas DataFrame, one row per (item, model, dimension), with
or without a study (``baton.estimate`` reads the table from a file first). See the README
for the columns and the JSON it writes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from baton.calibration._engine import METHODS, Method, Posteriors, posterior_draws
from baton.calibration._intervals import credible_interval, noninferiority_probability
from baton.calibration._judges import JudgeDiagnostic, judge_diagnostics, judge_warnings
from baton.calibration._prepare import Prepared, prepare_table, stratum_rows
from baton.calibration._types import ALL_REGIONS, Comparison, PassRateEstimate
from baton.domain import Stratum
from baton.errors import InputError

__all__ = [
    "DEFAULT_DRAWS",
    "SCHEMA_VERSION",
    "Diagnostics",
    "Estimates",
    "Margins",
    "estimate_frame",
]

SCHEMA_VERSION = 1
DEFAULT_DRAWS = 4000


@dataclass(frozen=True)
class Diagnostics:
    """How the fit went. ``sampler`` names the inference; R-hat, ESS and divergences are
    given when MCMC is used (None otherwise: exact grids and conjugate draws need none)."""

    sampler: str
    n_draws: int
    rhat_max: float | None
    ess_min: float | None
    divergences: int | None
    warnings: tuple[str, ...]
    pooled_regions: bool = False
    """Whether each region's Δ was pooled with the other regions' (``pool_deltas``)."""


_SAMPLERS = {
    "bayes": "exact grid over hyperparameters + conjugate Dirichlet/Beta draws (no MCMC)",
    "human": "conjugate Beta draws (no MCMC)",
    "judge": "conjugate Beta draws on the judge's own verdicts (uncalibrated, no MCMC)",
    "ppi": "normal approximation (PPI++ with power tuning)",
}


@dataclass(frozen=True)
class Estimates:
    """Pass rates per stratum, comparisons with the baseline, judge diagnostics."""

    method: Method
    level: float
    baseline: str | None
    margin: float | dict[str, float] | None
    estimates: tuple[PassRateEstimate, ...]
    comparisons: tuple[Comparison, ...]
    judges: tuple[JudgeDiagnostic, ...]
    diagnostics: Diagnostics
    posteriors: Posteriors

    def labelled(self) -> dict[tuple[str, str, str], int]:
        """Human labels per (dimension, model, region), as decisions read them."""
        return {
            (e.stratum.dimension, e.stratum.model, e.stratum.region): e.n_labelled
            for e in self.estimates
        }

    def judged(self) -> dict[tuple[str, str, str], int]:
        """Judged items per (dimension, model, region): the pool labels are drawn from."""
        return {
            (e.stratum.dimension, e.stratum.model, e.stratum.region): e.n_items
            for e in self.estimates
        }

    def to_frame(self, kind: str = "estimates") -> pd.DataFrame:
        """``estimates``, ``comparisons`` or ``judges`` as a DataFrame."""
        if kind == "estimates":
            return pd.DataFrame([_estimate_row(e) for e in self.estimates])
        if kind == "comparisons":
            return pd.DataFrame([asdict(c) for c in self.comparisons])
        if kind == "judges":
            return pd.DataFrame([asdict(j) for j in self.judges])
        raise ValueError("kind is one of estimates, comparisons, judges")

    def to_dict(self) -> dict[str, Any]:
        """The versioned result (``"schema": 1``), NaN as None."""
        result: dict[str, Any] = _clean(
            {
                "schema": SCHEMA_VERSION,
                "method": self.method,
                "level": self.level,
                "baseline": self.baseline,
                "margin": self.margin,
                "estimates": [_estimate_row(e) for e in self.estimates],
                "comparisons": [asdict(c) for c in self.comparisons],
                "judges": [asdict(j) for j in self.judges],
                "diagnostics": asdict(self.diagnostics),
            }
        )
        return result

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)


def _estimate_row(e: PassRateEstimate) -> dict[str, Any]:
    row = asdict(e)
    row.update(row.pop("stratum"))
    return row


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _counts(prepared: Prepared) -> dict[Stratum, tuple[int, int, float]]:
    """Rows, labelled rows and the uncalibrated judge pass share per stratum (and ALL)."""
    frame = prepared.frame
    says = frame["judge_pass"].to_numpy(float)
    weight = frame["weight"].to_numpy(float)
    labelled = frame["human"].notna().to_numpy()
    out: dict[Stratum, tuple[int, int, float]] = {}
    for key, rows in stratum_rows(frame).items():
        judged = rows[~np.isnan(says[rows])]
        share = (
            float(np.average(says[judged], weights=weight[judged])) if judged.size else float("nan")
        )
        out[Stratum(*key)] = (rows.size, int(labelled[rows].sum()), share)
    return out


def _summaries(
    posteriors: Posteriors, prepared: Prepared, *, level: float, bounds: tuple[float, float]
) -> list[PassRateEstimate]:
    counts = _counts(prepared)
    out = []
    for stratum, draws in sorted(posteriors.strata.items()):
        n_items, n_labelled, judge_mean = counts[stratum]
        if draws is None:
            nan = float("nan")
            out.append(
                PassRateEstimate(stratum, nan, nan, nan, n_items, n_labelled, False, judge_mean)
            )
            continue
        mean, lower, upper = credible_interval(draws, level, bounds=bounds)
        out.append(
            PassRateEstimate(stratum, mean, lower, upper, n_items, n_labelled, True, judge_mean)
        )
    return out


def _comparison_summaries(
    posteriors: Posteriors, *, baseline: str, margins: Margins, level: float, width: float
) -> list[Comparison]:
    out = []
    for (dim, cand, region), draws in sorted(posteriors.deltas.items()):
        margin = _margin_of(margins, dim)
        if draws is None:
            nan = float("nan")
            out.append(Comparison(dim, cand, baseline, region, nan, nan, nan, margin, nan, False))
            continue
        mean, lower, upper = credible_interval(draws, level, bounds=(-width, width))
        p = noninferiority_probability(draws, margin)
        sd = float(draws.std())
        out.append(Comparison(dim, cand, baseline, region, mean, lower, upper, margin, p, True, sd))
    return out


def _uncalibrated_warnings(
    estimates: Sequence[PassRateEstimate], shares: Mapping[tuple[str, str], Mapping[str, float]]
) -> list[str]:
    """Each uncalibrated region, and each pooled estimate that leaves some out."""
    out = [
        f"{e.stratum.model} has no human labels for {e.stratum.dimension} in "
        f"{e.stratum.region}: reported as uncalibrated (judge-only share {e.judge_mean:.3f})"
        for e in estimates
        if not e.calibrated and e.stratum.region != ALL_REGIONS
    ]
    missing: dict[tuple[str, str], list[str]] = {}
    for e in estimates:
        if not e.calibrated and e.stratum.region != ALL_REGIONS:
            missing.setdefault((e.stratum.dimension, e.stratum.model), []).append(e.stratum.region)
    for (dim, model), regions in sorted(missing.items()):
        share = sum(shares.get((dim, model), {}).get(r, 0.0) for r in regions)
        if share < 1.0 - 1e-9:
            out.append(
                f"{model} on {dim}, all regions: pooled over the labelled regions only "
                f"(left out: {', '.join(regions)}, {share:.1%} of traffic)"
            )
    return out


Margins = float | Mapping[str, float] | None


def _margin_of(margins: Margins, dimension: str) -> float:
    if margins is None:
        return 0.0
    if isinstance(margins, Mapping):
        return float(margins.get(dimension, 0.0))
    return float(margins)


def _check_arguments(
    prepared: Prepared, *, method: str, baseline: str | None, level: float
) -> None:
    if method not in METHODS:
        raise InputError(
            f"unknown method {method!r}; use one of {', '.join(METHODS)}",
            source="arguments",
            field="method",
        )
    if not 0 < level < 1:
        raise InputError(
            f"level must be between 0 and 1, got {level}", source="arguments", field="level"
        )
    models = sorted(prepared.frame["model"].unique())
    if baseline is not None and baseline not in models:
        raise InputError(
            f"baseline {baseline!r} is not a model in the table (models: {', '.join(models)})",
            source=prepared.source,
            field="model",
        )


def estimate_frame(
    frame: pd.DataFrame,
    signals: Sequence[str],
    *,
    source: str = "<DataFrame>",
    baseline: str | None = None,
    margin: Margins = None,
    level: float = 0.9,
    method: Method = "bayes",
    seed: int = 0,
    n_draws: int = DEFAULT_DRAWS,
    pool_deltas: bool = False,
) -> Estimates:
    """Calibrated pass rates per dimension × model × region (and ALL), and with a
    ``baseline`` each other model's difference from it with P(Δ > −margin).

    ``margin`` is one number, or one per dimension (a mapping); None means 0.
    ``pool_deltas``: each region's Δ partially pooled with the other regions' (a robust
    normal hierarchy; more power when regions agree, less protection for a region that
    alone is worse — see the decisions guide).
    """
    prepared = prepare_table(frame, list(signals), source=source)
    _check_arguments(prepared, method=method, baseline=baseline, level=level)
    posteriors = posterior_draws(
        prepared,
        method=method,
        baseline=baseline,
        seed=seed,
        n_draws=n_draws,
        pool_deltas=pool_deltas,
    )
    labels = prepared.frame["human"].dropna()
    low, high = (0.0, 1.0) if prepared.binary_human else (float(labels.min()), float(labels.max()))
    estimates = _summaries(posteriors, prepared, level=level, bounds=(low, high))
    comparisons = []
    if baseline is not None:
        comparisons = _comparison_summaries(
            posteriors, baseline=baseline, margins=margin, level=level, width=high - low
        )
    judges = judge_diagnostics(prepared.frame, prepared.signals, baseline)
    warnings = [
        *judge_warnings(judges, baseline),
        *_uncalibrated_warnings(estimates, posteriors.shares),
    ]
    diagnostics = Diagnostics(
        _SAMPLERS[method], n_draws, None, None, None, tuple(warnings), pool_deltas
    )
    return Estimates(
        method,
        level,
        baseline,
        dict(margin) if isinstance(margin, Mapping) else margin,
        tuple(estimates),
        tuple(comparisons),
        tuple(judges),
        diagnostics,
        posteriors,
    )
