"""Sequential robustness (issue 16): per-cell false go at Δ = −margin when the user cuts the
label budget as soon as things look good, measured through the engine.

Run: ``python -m benchmarks.calibration_sequential --studies 100``.

Each study has ``--regions`` regions and two models whose true Δ is −margin in every region
(so every go is a false go). Labels arrive in batches of ``--batch`` items per region,
both models labelled; after each batch Baton refits (``estimate_frame``, method bayes) and
each region's cell is decided by the product's look rule (``sequential_decisions``: alpha
spending of Pocock type over the budget, minimum labels before a look). Three users:

- ``plan``: looks after every batch, time = labels spent ÷ the budget set at the start;
- ``cut, previous rule``: the same, but at a batch where the cell looks good (P(Δ > −margin)
  ≥ the confidence), has the minimum labels for a look and is not yet called, the user cuts
  the budget to the labels spent; under the rule Baton had before (time = labels ÷ the
  budget now) that look is made at time 1 and spends all the error left, and no more labels
  come;
- ``cut, product's rule``: the same user under the product's rule
  (``baton.decision.spending_time``: time = labels ÷ the largest budget the study has had,
  here the one set at the start), so cutting the budget moves no error forward; the cell is
  decided at the cut with what its labels have earned.

It prints the per-cell false-go rate of each, with its Monte Carlo standard error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from baton.calibration import estimate_frame
from baton.decision import MIN_LOOK_LABELS, sequential_decisions, spending_time
from baton.domain import Look, LookCall

from ._rates import hit_rate

USERS = ("plan", "cut, previous rule", "cut, product's rule")


@dataclass(frozen=True)
class Settings:
    regions: int
    items: int
    batch: int
    rounds: int
    margin: float
    confidence: float
    draws: int


def _study(rng: np.random.Generator, s: Settings) -> tuple[pd.DataFrame, pd.Series]:
    """Two models on the same items, incumbent θ 0.85 and candidate 0.85 − margin (through
    a shared difficulty), a judge that errs 15–20% of the time; no labels yet."""
    parts, truth = [], []
    for r in range(s.regions):
        difficulty = rng.normal(0.0, 1.0, s.items)
        ids = [f"r{r}-{i}" for i in range(s.items)]
        for model, theta in (("inc", 0.85), ("cand", 0.85 - s.margin)):
            y = rng.random(s.items) < expit(logit(theta) + difficulty - difficulty.mean())
            judge = np.where(y, rng.random(s.items) < 0.85, rng.random(s.items) < 0.2)
            parts.append(
                pd.DataFrame(
                    {"item_id": ids, "model": model, "region": f"r{r}", "judge": judge.astype(int)}
                )
            )
            truth.append(pd.Series(y.astype(float)))
    table = pd.concat(parts, ignore_index=True).assign(human=np.nan)
    return table, pd.concat(truth, ignore_index=True)


def _run_study(seed: int, s: Settings) -> dict[str, list[bool]]:
    """Per user, one entry per region: whether its cell was called go. The users see the
    same label stream and the same fits (a cut region's cell is decided at the cut and
    never looked at again, so labels it gets later change nothing)."""
    rng = np.random.default_rng(seed)
    table, truth = _study(rng, s)
    order = {f"r{r}": rng.permutation(s.items) for r in range(s.regions)}
    planned = s.rounds * s.batch
    looks: dict[str, list[Look]] = {u: [] for u in USERS}
    calls: dict[str, list[LookCall]] = {u: [] for u in USERS}
    stopped: dict[str, set[str]] = {u: set() for u in USERS}
    work = table.copy()
    for k in range(1, s.rounds + 1):
        for region, items in order.items():
            chosen = work["item_id"].isin([f"{region}-{i}" for i in items[: k * s.batch]])
            work.loc[chosen, "human"] = truth[chosen]
        fit = estimate_frame(
            work, ["judge"], baseline="inc", margin=s.margin, seed=k, n_draws=s.draws
        )
        for user in USERS:
            called = {c.region for c in calls[user]}
            for c in fit.comparisons:
                if c.region == "ALL" or c.region in called or c.region in stopped[user]:
                    continue
                cut = (
                    user != "plan"
                    and c.p_noninferior >= s.confidence
                    and k * s.batch >= MIN_LOOK_LABELS
                )
                labels = k * s.batch
                budget = labels if cut else planned  # the cut: the budget is what is spent
                if user == "cut, previous rule":
                    t = labels / budget
                else:  # the product's rule: the budget set at the start is recorded
                    t = spending_time(labels, budget, [planned])
                step = sequential_decisions(
                    [c],
                    fit.posteriors.deltas,
                    fit.labelled(),
                    confidence=s.confidence,
                    blocking={c.region: True},
                    time=t,
                    looks=[look for look in looks[user] if look.region == c.region],
                    calls=[],
                    n_items=fit.judged(),
                )
                looks[user] += step.looks
                calls[user] += step.calls
                if cut:
                    stopped[user].add(c.region)
    out: dict[str, list[bool]] = {}
    for user in USERS:
        gone = {c.region for c in calls[user] if c.outcome == "go"}
        out[user] = [f"r{r}" in gone for r in range(s.regions)]
    return out


def _job(args: tuple[int, Settings]) -> dict[str, list[bool]]:
    return _run_study(*args)


def run(studies: int, s: Settings, workers: int, first: int = 0) -> dict[str, list[bool]]:
    """Studies ``first`` … ``first + studies − 1`` (each study's seed follows from its index,
    so runs over disjoint ranges can be pooled)."""
    indices = range(first, first + studies)
    jobs = [(int(np.random.SeedSequence([16, i]).generate_state(1)[0]), s) for i in indices]
    merged: dict[str, list[bool]] = {u: [] for u in USERS}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done, result in enumerate(pool.map(_job, jobs), start=1):
            for user, hits in result.items():
                merged[user] += hits
            so_far = ", ".join(f"{u}: {sum(merged[u])} of {len(merged[u])}" for u in USERS)
            print(f"{done} of {studies} studies; false go {so_far}", file=sys.stderr, flush=True)
    return merged


def to_markdown(merged: dict[str, list[bool]], s: Settings) -> str:
    lines = [
        f"Δ = −margin ({s.margin}) in every cell; confidence {s.confidence}; "
        f"{s.rounds} batches of {s.batch} items per region planned",
        "",
        "| user | cells | false gos | false go | MC s.e. |",
        "|---|---|---|---|---|",
    ]
    for user in USERS:
        p, se = hit_rate(merged[user])
        lines.append(f"| {user} | {len(merged[user])} | {sum(merged[user])} | {p:.3f} | {se:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=40)
    parser.add_argument("--first-study", type=int, default=0, help="first study (new seeds)")
    parser.add_argument("--regions", type=int, default=8)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    settings = Settings(
        args.regions, args.items, args.batch, args.rounds, args.margin, args.confidence, args.draws
    )
    started = time.perf_counter()
    merged = run(args.studies, settings, args.workers, args.first_study)
    print(to_markdown(merged, settings))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
