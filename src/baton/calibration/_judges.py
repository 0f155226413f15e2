"""How well each judge agrees with the humans, per model (and region) — and whether it
treats models differently, which is what makes uncalibrated judges pass worse models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from baton.calibration._prepare import stratum_rows
from baton.calibration._types import ALL_REGIONS

__all__ = ["JudgeDiagnostic", "judge_diagnostics", "judge_warnings"]

J_GAP_WARNING = 0.1
"""A gap in Youden's J this large, and beyond two standard errors, is reported."""


@dataclass(frozen=True)
class JudgeDiagnostic:
    """Agreement of one judge (a signal binarised at its midpoint) with human labels."""

    judge: str
    dimension: str
    model: str
    region: str
    n_labelled: int
    n_human_pass: int
    n_human_fail: int
    agreement: float
    sensitivity: float
    specificity: float
    youden_j: float
    j_gap: float  # J of this model minus J of the baseline (NaN without one)


def _rates(says: np.ndarray, human: np.ndarray) -> tuple[float, float, float]:
    if human.size == 0:
        return float("nan"), float("nan"), float("nan")
    pos, neg = human == 1, human == 0
    se = float(says[pos].mean()) if pos.any() else float("nan")
    sp = float(1 - says[neg].mean()) if neg.any() else float("nan")
    return float((says == human).mean()), se, sp


def _binarised(frame: pd.DataFrame, signal: str) -> pd.Series:
    column = frame[signal]
    if pd.api.types.is_bool_dtype(column.dtype) or not pd.api.types.is_numeric_dtype(column.dtype):
        column = column.map(lambda v: float(v) if isinstance(v, bool) else v)
    values = pd.to_numeric(column, errors="coerce")
    low = values.groupby(frame["dimension"]).transform("min")
    high = values.groupby(frame["dimension"]).transform("max")
    return (values > (low + high) / 2).astype(float).where(values.notna())


def judge_diagnostics(
    frame: pd.DataFrame, signals: Sequence[str], baseline: str | None
) -> list[JudgeDiagnostic]:
    """Per judge × dimension × model × region (and ALL): agreement, Se, Sp, J, J gap."""
    out: list[JudgeDiagnostic] = []
    labelled = frame[frame["human"].isin([0.0, 1.0])]
    groups = stratum_rows(labelled)
    humans = labelled["human"].to_numpy()
    for signal in signals:
        says_all = _binarised(frame, signal).loc[labelled.index].to_numpy()
        for (dim, model, region), rows in groups.items():
            said = rows[~np.isnan(says_all[rows])]
            says, human = says_all[said], humans[said]
            agreement, se, sp = _rates(says, human)
            out.append(
                JudgeDiagnostic(
                    signal,
                    dim,
                    model,
                    region,
                    int(human.size),
                    int((human == 1).sum()),
                    int((human == 0).sum()),
                    agreement,
                    se,
                    sp,
                    se + sp - 1,
                    float("nan"),
                )
            )
    return _with_gaps(out, baseline)


def _with_gaps(rows: list[JudgeDiagnostic], baseline: str | None) -> list[JudgeDiagnostic]:
    if baseline is None:
        return rows
    base = {(r.judge, r.dimension, r.region): r.youden_j for r in rows if r.model == baseline}
    return [
        JudgeDiagnostic(
            **{
                **r.__dict__,
                "j_gap": r.youden_j - base.get((r.judge, r.dimension, r.region), float("nan")),
            }
        )
        for r in rows
    ]


def _j_se(row: JudgeDiagnostic) -> float:
    """Standard error of J from Se and Sp, each with Agresti–Coull's +1/+2 so that a
    class with one or two labels is uncertain rather than exact."""
    se = (row.sensitivity * row.n_human_pass + 1) / (row.n_human_pass + 2)
    sp = (row.specificity * row.n_human_fail + 1) / (row.n_human_fail + 2)
    return float(
        np.sqrt(se * (1 - se) / (row.n_human_pass + 2) + sp * (1 - sp) / (row.n_human_fail + 2))
    )


def judge_warnings(rows: Sequence[JudgeDiagnostic], baseline: str | None) -> list[str]:
    """Words for judges that treat a model differently from the baseline (pooled regions)."""
    if baseline is None:
        return []
    base = {
        (r.judge, r.dimension): r for r in rows if r.model == baseline and r.region == ALL_REGIONS
    }
    warnings = []
    for r in rows:
        ref = base.get((r.judge, r.dimension))
        if r.region != ALL_REGIONS or r.model == baseline or ref is None or np.isnan(r.j_gap):
            continue
        se = float(np.hypot(_j_se(r), _j_se(ref)))
        if abs(r.j_gap) >= J_GAP_WARNING and abs(r.j_gap) > 2 * se and not np.isnan(se):
            warnings.append(
                f"judge {r.judge!r} treats {r.model} differently from {baseline} on "
                f"{r.dimension}: J {r.youden_j:.2f} vs {ref.youden_j:.2f} (Se {r.sensitivity:.2f}"
                f" vs {ref.sensitivity:.2f}, Sp {r.specificity:.2f} vs {ref.specificity:.2f}); "
                "only a per-model calibration can be trusted here"
            )
    return warnings
