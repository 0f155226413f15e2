"""Δ with 2–5 labels per model in a region (issue 16): coverage and width of the regional
90% Δ intervals, run against whichever Baton is on the path.

Run: ``python -m benchmarks.calibration_few_labels --reps 300``; to compare with the
moment-matched Δ before the joint model, run it again with the source tree of commit
d700598 first on the path (``git worktree add /tmp/old d700598``;
``PYTHONPATH=/tmp/old/src:. python -m benchmarks.calibration_few_labels ...``).

Each replication: three regions, 300 prompts each answered by an incumbent and a
candidate (difficulty shared through a logistic model, so the two answers are
correlated); each model's rate in each region drawn from the scenario's range; a judge of
sensitivity 0.95 and specificity 0.6 for both; the same n prompts per region labelled for
both models. ``method="bayes"``, 2,000 draws. ``--both-orders`` (a diagnostic, this tree
only) draws half of each region's Δ from the joint model with the incumbent first in the
chain rule and half with the candidate first (negated): the two orders' priors imply
different priors for Δ. The coverage's MC s.e. is taken over
replications (the three regions of one replication are not independent). ``all-pass``:
the replications where every label in the table is a pass.
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
SCENARIOS = {"0.97–0.995": (0.97, 0.995), "0.6–0.9": (0.6, 0.9)}
JUDGE = (0.95, 0.6)


def _table(
    rng: np.random.Generator, n: int, low: float, high: float, *, items: int = 300
) -> tuple[pd.DataFrame, dict[tuple[str, str], float]]:
    parts, truth = [], {}
    for region in REGIONS:
        difficulty = rng.normal(0.0, 1.5, items)
        labelled = np.zeros(items, dtype=bool)
        labelled[rng.choice(items, n, replace=False)] = True
        ids = np.char.add(f"{region}-", np.arange(items).astype(str))
        for model in ("inc", "cand"):
            theta = float(rng.uniform(low, high))
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


def _both_orders() -> None:
    """Patch the engine so that Δ mixes the two orders of the chain rule, half each."""
    engine: Any = importlib.import_module("baton.calibration._engine")
    cells_of, draws_of = engine.paired_cells, engine.joint_delta_draws

    def cells(rows_a: pd.DataFrame, rows_b: pd.DataFrame, regions: tuple[str, ...]) -> Any:
        return cells_of(rows_a, rows_b, regions), cells_of(rows_b, rows_a, regions)

    def draws(pair: Any, *, pool: bool, rng: np.random.Generator, n_draws: int) -> Any:
        half = n_draws // 2
        one = draws_of(pair[0], pool=pool, rng=rng, n_draws=n_draws - half)
        other = draws_of(pair[1], pool=pool, rng=rng, n_draws=half)
        return {
            r: None if one[r] is None or other[r] is None else np.concatenate([one[r], -other[r]])
            for r in one
        }

    engine.paired_cells, engine.joint_delta_draws = cells, draws


def run_block(scenario: str, n: int, reps: int) -> list[dict[str, object]]:
    low, high = SCENARIOS[scenario]
    rows: list[dict[str, object]] = []
    for rep in range(reps):
        rng = np.random.default_rng([1605, n, rep, list(SCENARIOS).index(scenario)])
        frame, truth = _table(rng, n, low, high)
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
                    "width": c.upper - c.lower,
                    "error": c.mean - t,
                    "all_pass": all_pass,
                }
            )
    return rows


def summarise(rows: pd.DataFrame) -> str:
    lines = [
        "| rates | n | Δ cov | MC s.e. | mean width | median width | bias | all-pass reps "
        "| all-pass cov | all-pass width |",
        "|---|---|---|---|---|---|---|---|---|---|",
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
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--ns", type=int, nargs="+", default=[2, 3, 5])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--both-orders", action="store_true", help="diagnostic, see above")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows (CSV)")
    args = parser.parse_args(argv)
    if args.both_orders:
        _both_orders()
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
