"""What one replication yields (an interval per stratum and comparison) and the summaries.

Shared by the simulated families and the real-data run of ``benchmarks.calibration``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from baton.calibration import Estimates

__all__ = [
    "COLUMNS",
    "Record",
    "bound_width",
    "comparison_records",
    "condensed",
    "estimate_records",
    "summarise",
    "to_markdown",
    "with_central_intervals",
]

Z90 = 1.6448536269514722
NONINFERIOR = 0.95  # P(Δ > −margin) needed to declare non-inferiority
Kind = Literal["theta", "delta"]


@dataclass(frozen=True)
class Record:
    """One interval from one replication, with the truth it should cover.

    ``source``: the scenario family (or, on real data, the judge); ``labelled``: the
    stratum (both strata, for a comparison) has human labels; ``bound``: the width of a
    90% interval at the effective-sample-size bound (NaN for comparisons);
    ``at_margin``: a comparison whose true Δ is −margin.
    """

    source: str
    n: int
    method: str
    kind: Kind
    key: str
    labelled: bool
    calibrated: bool
    mean: float
    lower: float
    upper: float
    truth: float
    bound: float = float("nan")
    at_margin: bool = False
    p_noninferior: float = float("nan")


def bound_width(theta: float, eta_squared: float, n: int, unlabelled: int) -> float:
    """90% interval width at n_eff = n / (1 − η² N / (n + N))."""
    if n <= 0:
        return float("nan")
    n_eff = n / (1.0 - eta_squared * unlabelled / (n + unlabelled))
    return 2.0 * Z90 * float(np.sqrt(theta * (1.0 - theta) / n_eff))


def estimate_records(
    result: Estimates,
    *,
    label: tuple[str, int, str],
    truth: Callable[[str, str, str], float],
    bound: Callable[[str, str, str, int, int], float],
) -> list[Record]:
    """One record per regional stratum (not ``ALL``); ``label`` = (source, n, method)."""
    out = []
    for e in result.estimates:
        s = e.stratum
        if s.region == "ALL":
            continue
        unlabelled = e.n_items - e.n_labelled
        out.append(
            Record(
                *label,
                kind="theta",
                key=f"{s.dimension}/{s.model}/{s.region}",
                labelled=e.n_labelled > 0,
                calibrated=e.calibrated,
                mean=e.mean,
                lower=e.lower,
                upper=e.upper,
                truth=truth(s.dimension, s.model, s.region),
                bound=bound(s.dimension, s.model, s.region, e.n_labelled, unlabelled),
            )
        )
    return out


def comparison_records(
    result: Estimates,
    *,
    label: tuple[str, int, str],
    truth: Callable[[str, str, str], float],
    margins: Callable[[str], float],
) -> list[Record]:
    """One record per regional comparison; P(Δ > −margin) with the dimension's margin."""
    labelled = {
        (e.stratum.dimension, e.stratum.model, e.stratum.region)
        for e in result.estimates
        if e.n_labelled > 0
    }
    out = []
    for c in result.comparisons:
        if c.region == "ALL":
            continue
        margin = margins(c.dimension)
        draws = result.posteriors.deltas.get((c.dimension, c.candidate, c.region))
        p = float(np.mean(draws > -margin)) if draws is not None else float("nan")
        true_delta = truth(c.dimension, c.candidate, c.region)
        out.append(
            Record(
                *label,
                kind="delta",
                key=f"{c.dimension}/{c.candidate}/{c.region}",
                labelled={(c.dimension, c.candidate, c.region), (c.dimension, c.baseline, c.region)}
                <= labelled,
                calibrated=c.calibrated,
                mean=c.mean,
                lower=c.lower,
                upper=c.upper,
                truth=true_delta,
                at_margin=abs(true_delta + margin) < 1e-9,
                p_noninferior=p,
            )
        )
    return out


def _central(draws: np.ndarray | None, level: float) -> tuple[float, float]:
    if draws is None:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return float(low), float(high)


def with_central_intervals(result: Estimates) -> Estimates:
    """The same fit with plain central intervals from its draws (a diagnostic: the engine
    may report a one-sided interval reaching 0 or 1 instead)."""
    estimates = []
    for e in result.estimates:
        low, high = _central(result.posteriors.strata.get(e.stratum), result.level)
        estimates.append(replace(e, lower=low, upper=high))
    comparisons = []
    for c in result.comparisons:
        draws = result.posteriors.deltas.get((c.dimension, c.candidate, c.region))
        low, high = _central(draws, result.level)
        comparisons.append(replace(c, lower=low, upper=high))
    return replace(result, estimates=tuple(estimates), comparisons=tuple(comparisons))


def _interval_summary(rows: pd.DataFrame) -> dict[str, float]:
    if rows.empty:
        return {"cov": np.nan, "width": np.nan, "bias": np.nan, "count": 0}
    covered = (rows["lower"] <= rows["truth"]) & (rows["truth"] <= rows["upper"])
    return {
        "cov": float(covered.mean()),
        "width": float((rows["upper"] - rows["lower"]).mean()),
        "bias": float((rows["mean"] - rows["truth"]).mean()),
        "count": len(rows),
    }


def _cell_summary(rows: pd.DataFrame) -> dict[str, float]:
    theta = rows[(rows["kind"] == "theta") & rows["labelled"]]
    delta = rows[(rows["kind"] == "delta") & rows["labelled"]]
    unlabelled = rows[(rows["kind"] == "theta") & ~rows["labelled"]]
    at_margin = rows[(rows["kind"] == "delta") & rows["at_margin"]]
    t, d = _interval_summary(theta), _interval_summary(delta)
    ratio = float(((theta["upper"] - theta["lower"]) / theta["bound"]).mean())
    return {
        "θ cov": t["cov"],
        "θ width": t["width"],
        "width/bound": ratio,
        "ESS/bound": 1.0 / ratio**2 if ratio > 0 else np.nan,
        "θ bias": t["bias"],
        "Δ cov": d["cov"],
        "Δ width": d["width"],
        "Δ bias": d["bias"],
        "NI@−m": float((at_margin["p_noninferior"] >= NONINFERIOR).mean())
        if len(at_margin)
        else np.nan,
        "uncal": float((~unlabelled["calibrated"]).mean()) if len(unlabelled) else np.nan,
        "θ ints": t["count"],
        "Δ ints": d["count"],
    }


COLUMNS = (
    "θ cov",
    "θ width",
    "width/bound",
    "ESS/bound",
    "θ bias",
    "Δ cov",
    "Δ width",
    "Δ bias",
    "NI@−m",
    "uncal",
    "θ ints",
    "Δ ints",
)


def summarise(records: Sequence[Record], methods: Sequence[str]) -> pd.DataFrame:
    """One row per (source, n, method), in the order sources and ``methods`` first appear."""
    frame = pd.DataFrame([asdict(r) for r in records])
    rows = []
    for (source, n, method), cell in frame.groupby(["source", "n", "method"], sort=False):
        rows.append({"source": source, "n": n, "method": method, **_cell_summary(cell)})
    out = pd.DataFrame(rows)
    order = {m: i for i, m in enumerate(methods)}
    sources = {s: i for i, s in enumerate(dict.fromkeys(frame["source"]))}
    out["_s"] = out["source"].map(sources)
    out["_m"] = out["method"].map(order)
    return out.sort_values(["_s", "n", "_m"]).drop(columns=["_s", "_m"]).reset_index(drop=True)


_CONDENSED = (
    ("bayes", "θ cov"),
    ("bayes", "Δ cov"),
    ("ppi", "θ cov"),
    ("ppi", "Δ cov"),
    ("bayes", "θ width"),
    ("ppi", "θ width"),
    ("human", "θ width"),
    ("bayes", "ESS/bound"),
    ("bayes", "NI@−m"),
    ("judge", "NI@−m"),
)


def condensed(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (source, n): the figures the targets are about, method by method."""
    rows = []
    for (source, n), cell in table.groupby(["source", "n"], sort=False):
        by_method = cell.set_index("method")
        row: dict[str, object] = {"source": source, "n": n}
        for method, column in _CONDENSED:
            value = by_method[column].get(method, np.nan)
            row[f"{method} {column}"] = value
        rows.append(row)
    return pd.DataFrame(rows)


def _cell_text(value: object, column: str) -> str:
    if isinstance(value, float) and np.isnan(value):
        return "–"
    if column.endswith("ints") or column == "n":  # counts
        return str(int(value))  # type: ignore[call-overload]
    if isinstance(value, float):
        return f"{value:+.3f}" if "bias" in column else f"{value:.3f}"
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def to_markdown(table: pd.DataFrame, first: str = "family") -> str:
    """A Markdown table (pipes), readable in a terminal too."""
    header = [first if c == "source" else c for c in table.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(_cell_text(row[c], c) for c in table.columns) + " |")
    return "\n".join(lines)
