"""Summaries of the decisions benchmark's records, as Markdown tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._decisions_runs import ARMS, DIAGNOSTIC_ARMS
from ._decisions_scenarios import ODD_REGION

__all__ = ["arm_table", "check_table", "markdown", "plan_table", "ratio_table"]

ARM_NAMES = {
    "human": "(a) human-only, random",
    "random": "(b) bayes, random",
    "allocated": "(c) bayes, allocation",
    "weights-only": "(c−) bayes, allocation's stratum weights, uniform within",
}


def markdown(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table (pipes) from a list of rows with the same keys."""
    if not rows:
        return "(no records)"
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[c]) for c in header) + " |" for row in rows]
    return "\n".join(lines)


def _pct(x: float) -> str:
    return "–" if np.isnan(x) else f"{100 * x:.1f}%"


def _all_right(frame: pd.DataFrame) -> pd.Series:
    return (frame["end"] == "decided") & (frame["wrong"] == 0)


def _mean_text(values: pd.Series) -> str:
    return f"{values.mean():,.0f} (n={len(values)})" if len(values) else "–"


def _arm_row(scenario: str, arm: str, rows: pd.DataFrame) -> dict[str, Any]:
    labels = rows["labels"].to_numpy(float)
    se = labels.std(ddof=1) / np.sqrt(labels.size) if labels.size > 1 else float("nan")
    return {
        "scenario": scenario,
        "arm": ARM_NAMES[arm],
        "reps": len(rows),
        "labels mean ± se": f"{labels.mean():,.0f} ± {se:,.0f}",
        "median": f"{np.median(labels):,.0f}",
        "p80": f"{np.quantile(labels, 0.8):,.0f}",
        "mean, runs all decided and right": _mean_text(rows.loc[_all_right(rows), "labels"]),
        "all calls right": _pct(float(_all_right(rows).mean())),
        "wrong cells": _pct(float(rows["wrong"].sum() / rows["cells"].sum())),
        "undecided: pool ran out": _pct(float((rows["end"] == "pool").mean())),
        "undecided: budget": _pct(float((rows["end"] == "budget").mean())),
    }


def arm_table(records: pd.DataFrame, scenarios: Sequence[str]) -> list[dict[str, Any]]:
    """Labels each arm spent until every blocking cell was decided, and how right it was."""
    out = []
    for scenario in scenarios:
        for arm in ARMS + DIAGNOSTIC_ARMS:
            rows = records[(records["scenario"] == scenario) & (records["kind"] == arm)]
            if not rows.empty:
                out.append(_arm_row(scenario, arm, rows))
    return out


def _paired(records: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Labels per replication (rows) and arm (columns), replications where all arms ran."""
    rows = records[(records["scenario"] == scenario) & records["kind"].isin(ARMS)]
    return rows.pivot_table(index="rep", columns="kind", values="labels").dropna()


def _ratio_text(table: pd.DataFrame, top: str, rng: np.random.Generator) -> str:
    """Ratio of mean labels top / allocated, with a 90% bootstrap interval over reps."""
    a, c = table[top].to_numpy(float), table["allocated"].to_numpy(float)
    point = a.mean() / c.mean()
    picks = rng.integers(0, a.size, size=(2000, a.size))
    boot = a[picks].mean(axis=1) / c[picks].mean(axis=1)
    low, high = np.quantile(boot, [0.05, 0.95])
    return f"{point:.2f}× ({low:.2f}–{high:.2f})"


def ratio_table(records: pd.DataFrame, scenarios: Sequence[str]) -> list[dict[str, Any]]:
    """(a)/(c) and (b)/(c): how many times more labels than the allocation arm."""
    rng = np.random.default_rng(0)
    out = []
    for scenario in scenarios:
        table = _paired(records, scenario)
        if len(table) < 2 or not set(ARMS) <= set(table.columns):
            continue
        out.append(
            {
                "scenario": scenario,
                "paired reps": len(table),
                "(a)/(c) [90% bootstrap]": _ratio_text(table, "human", rng),
                "(b)/(c) [90% bootstrap]": _ratio_text(table, "random", rng),
            }
        )
    return out


def _go_share(rows: pd.DataFrame) -> tuple[float, int]:
    calls = [o for outcomes in rows["outcomes"] for o in outcomes.values()]
    return float(np.mean([c == "go" for c in calls])) if calls else float("nan"), len(calls)


def _cell_rate(k: int, n: int) -> str:
    """k of n cells as a rate ± its binomial standard error, with its 90% Wilson interval
    (cells of one run are not independent, so read both as a lower bound on the
    uncertainty)."""
    if n == 0:
        return "–"
    z, p = 1.645, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    se = np.sqrt(p * (1 - p) / n)
    return f"{_pct(p)} ± {_pct(se)} ({k} of {n}) [{_pct(centre - half)}–{_pct(centre + half)}]"


def _no_go_labels(rows: pd.DataFrame) -> str:
    values = [v for record in rows["no_go_labels"] for v in record]
    return f"{np.median(values):.0f}, {max(values):.0f}" if values else "–"


def check_table(records: pd.DataFrame, checks: Sequence[str]) -> list[dict[str, Any]]:
    """P(a candidate's overall go), the per-cell go and no-go rates and the labels a no-go
    took, at Δ = −margin, −3 margins and 0."""
    out = []
    for scenario in checks:
        for arm in ARMS:
            rows = records[(records["scenario"] == scenario) & (records["kind"] == arm)]
            if rows.empty:
                continue
            share, n = _go_share(rows)
            out.append(
                {
                    "scenario": scenario,
                    "arm": ARM_NAMES[arm],
                    "reps": len(rows),
                    "P(candidate go) ± SE": f"{_pct(share)} ± "
                    f"{_pct(float(np.sqrt(share * (1 - share) / max(n, 1))))} of {n}",
                    "cells called go [90% Wilson]": _cell_rate(
                        int(rows["cell_go"].sum()), int(rows["cells"].sum())
                    ),
                    "cells called no-go [90% Wilson]": _cell_rate(
                        int(rows["cell_no_go"].sum()), int(rows["cells"].sum())
                    ),
                    "labels per model at no-go (median, max)": _no_go_labels(rows),
                    "cells undecided": _pct(float(rows["undecided"].sum() / rows["cells"].sum())),
                    "labels mean": f"{rows['labels'].mean():,.0f}",
                    **_odd_cells(scenario, rows),
                }
            )
    return out


def _odd_cells(scenario: str, rows: pd.DataFrame) -> dict[str, str]:
    """In the odd-region scenario: the odd region's cells called go (all false) apart."""
    if scenario != "odd-region" or "region_go" not in rows:
        return {}
    odd = int(sum(g.get(ODD_REGION, 0) for g in rows["region_go"]))
    per_region = int(rows["cells"].sum()) // max(len(rows["region_go"].iloc[0]), 1)
    return {f"{ODD_REGION} cells called go (false)": _cell_rate(odd, per_region)}


def _sim_strata(rows: pd.DataFrame) -> dict[str, float]:
    """80th percentile of labels per (dimension, region) over replications (never = inf)."""
    keys = sorted({k for needs in rows["stratum_labels"] for k in needs})
    return {
        k: float(
            np.quantile(
                [np.inf if n.get(k) is None else n[k] for n in rows["stratum_labels"]],
                0.8,
                method="inverted_cdf",
            )
        )
        for k in keys
    }


def _plan_strata_error(plans: pd.DataFrame, simulated: dict[str, float]) -> str:
    errors = []
    for key, sim in simulated.items():
        predicted = [p.get(key) for p in plans["plan_strata"]]
        if np.isfinite(sim) and sim > 0 and all(p is not None for p in predicted):
            errors.append(
                abs(float(np.mean([float(p) for p in predicted if p is not None])) / sim - 1)
            )
    return f"{100 * float(np.median(errors)):.0f}%" if errors else "–"


def plan_table(records: pd.DataFrame, scenarios: Sequence[str]) -> list[dict[str, Any]]:
    """``plan_labels``' predicted labels (80% quantile) against the allocation arm's."""
    out = []
    for scenario in scenarios:
        plans = records[(records["scenario"] == scenario) & (records["kind"] == "plan")]
        sims = records[(records["scenario"] == scenario) & (records["kind"] == "allocated")]
        if plans.empty or sims.empty:
            continue
        totals = sims["labels"].where(sims["end"] == "decided", np.inf).to_numpy(float)
        sim80 = float(np.quantile(totals, 0.8, method="inverted_cdf"))
        predicted = plans["plan_80"].astype(float).fillna(np.inf).to_numpy(float)
        middle = float(np.median(predicted))
        out.append(
            {
                "scenario": scenario,
                "plans (× replications)": f"{len(plans)} (× {int(plans['plan_reps'].iloc[0])})",
                "predicted, 80%: median [range]": f"{middle:,.0f} [{predicted.min():,.0f}–"
                f"{predicted.max():,.0f}]",
                "simulated reps": len(sims),
                "simulated, 80%": f"{sim80:,.0f}",
                "predicted / simulated": f"{middle / sim80:.2f}",
                "per stratum, median |error|": _plan_strata_error(plans, _sim_strata(sims)),
            }
        )
    return out
