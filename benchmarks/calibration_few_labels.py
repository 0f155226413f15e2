"""Δ with 2–5 labels per model in a region (issue 16): coverage and width of the regional
90% Δ intervals, run against whichever Baton is on the path.

Run: ``python -m benchmarks.calibration_few_labels --reps 300``; to compare with the
moment-matched Δ before the joint model, run it again with the source tree of commit
d700598 first on the path (``git worktree add /tmp/old d700598``;
``PYTHONPATH=/tmp/old/src:. python -m benchmarks.calibration_few_labels ...``).

Each replication: three regions, 300 prompts each answered by an incumbent and a
candidate (difficulty shared through a logistic model, so the two answers are
correlated); each model's rate in each region drawn from the scenario's range (in the
``candidate −margin`` scenario the candidate's is the incumbent's minus the margin, 0.05,
so that every interval whose lower end is above −margin would be a false go); a judge of
sensitivity 0.95 and specificity 0.6 for both; the same n prompts per region labelled for
both models. ``method="bayes"``, 2,000 draws. ``--joint NAME`` (this tree only) fits Δ
with one of the alternatives of ``benchmarks._joint_variants`` instead of the shipped
model. The coverage's MC s.e. is taken over replications (the three regions of one
replication are not independent). ``all-pass``: the replications where every label in the
table is a pass; ``lower > −margin``: the share of intervals whose lower end is above
−0.05 (a false go where the truth is −margin).
"""

from __future__ import annotations

import argparse
import importlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from baton.simulate._truth import logit_offset

REGIONS = ("eu", "us", "apac")
MARGIN = 0.05
# rates drawn from (low, high) for each model, or, with an offset, the candidate's rate is
# the incumbent's plus the offset (new scenarios go last: the index seeds each one)
SCENARIOS: dict[str, tuple[float, float, float | None]] = {
    "0.97–0.995": (0.97, 0.995, None),
    "0.6–0.9": (0.6, 0.9, None),
    "0.97–0.995, candidate −margin": (0.97, 0.995, -MARGIN),
}
JUDGE = (0.95, 0.6)


def _table(
    rng: np.random.Generator, n: int, spec: tuple[float, float, float | None], *, items: int = 300
) -> tuple[pd.DataFrame, dict[tuple[str, str], float]]:
    low, high, offset = spec
    parts: list[pd.DataFrame] = []
    truth: dict[tuple[str, str], float] = {}
    for region in REGIONS:
        difficulty = rng.normal(0.0, 1.5, items)
        labelled = np.zeros(items, dtype=bool)
        labelled[rng.choice(items, n, replace=False)] = True
        ids = np.char.add(f"{region}-", np.arange(items).astype(str))
        for model in ("inc", "cand"):
            theta = float(rng.uniform(low, high))
            if model == "cand" and offset is not None:
                theta = truth[("inc", region)] + offset
            truth[(model, region)] = theta
            y = rng.random(items) < expit(logit_offset(theta, 1.5) + difficulty)
            says = np.where(y, rng.random(items) < JUDGE[0], rng.random(items) >= JUDGE[1])
            parts.append(
                pd.DataFrame(
                    {
                        "item_id": ids,
                        "model": model,
                        "region": region,
                        "judge": says.astype(int),
                        "human": np.where(labelled, y.astype(float), np.nan),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True), truth


def _estimate() -> Callable[..., Any]:
    """``baton.estimate`` (in the older tree, ``estimate`` of the module ``baton.estimate``)."""
    try:
        entry: Callable[..., Any] = importlib.import_module("baton.estimate").estimate
    except ModuleNotFoundError:
        entry = importlib.import_module("baton").estimate
    return entry


def run_block(scenario: str, n: int, reps: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for rep in range(reps):
        rng = np.random.default_rng([1605, n, rep, list(SCENARIOS).index(scenario)])
        frame, truth = _table(rng, n, SCENARIOS[scenario])
        all_pass = bool((frame["human"].dropna() == 1).all())
        fit = _estimate()(frame, ["judge"], baseline="inc", seed=rep, n_draws=2000)
        for c in fit.comparisons:
            if c.region == "ALL":
                continue
            t = truth[("cand", c.region)] - truth[("inc", c.region)]
            rows.append(
                {
                    "scenario": scenario,
                    "n": n,
                    "rep": rep,
                    "covered": c.lower <= t <= c.upper,
                    "go": c.lower > -MARGIN,
                    "width": c.upper - c.lower,
                    "error": c.mean - t,
                    "all_pass": all_pass,
                }
            )
    return rows


def _has_offset(scenario: str) -> bool:
    return SCENARIOS[scenario][2] is not None


def summarise(rows: pd.DataFrame) -> str:
    lines = [
        "| rates | n | Δ cov | MC s.e. | mean width | median width | bias | all-pass reps "
        "| all-pass cov | all-pass width | lower > −margin |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (scenario, n), block in rows.groupby(["scenario", "n"], sort=False):
        per_rep = block.groupby("rep")["covered"].mean()
        se = per_rep.std(ddof=1) / np.sqrt(len(per_rep))
        agree = block[block["all_pass"]]
        lines.append(
            f"| {scenario} | {n} | {block['covered'].mean():.3f} | {se:.3f} | "
            f"{block['width'].mean():.4f} | {block['width'].median():.4f} | "
            f"{block['error'].mean():+.4f} | {agree['rep'].nunique()} | "
            + (
                f"{agree['covered'].mean():.3f} | {agree['width'].mean():.4f} |"
                if len(agree)
                else "– | – |"
            )
            + (
                f" {block['go'].mean():.3f} |"
                if SCENARIOS[str(scenario)][2] is not None
                else " – |"
            )
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--ns", type=int, nargs="+", default=[2, 3, 5])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument(
        "--joint",
        choices=("chain", "chain, t per region", "chain, t unpooled", "symmetric"),
        default="chain",
        help="Δ's model, see above",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the rows (CSV)")
    args = parser.parse_args(argv)
    if args.joint != "chain":  # the older tree has no joint model: import only when asked
        importlib.import_module("benchmarks._joint_variants").use(args.joint)
    started = time.perf_counter()
    rows = [
        row
        for scenario in args.scenarios
        for n in args.ns
        for row in run_block(scenario, n, args.reps)
    ]
    frame = pd.DataFrame(rows)
    if args.out is not None:
        frame.to_csv(args.out, index=False)
    print(summarise(frame))
    print(f"\n{args.reps} replications per row, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
