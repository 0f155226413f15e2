"""False go across several candidates (issue 16): the chance that *some* candidate is called
go when every candidate sits exactly at Δ = −margin, with and without the family-wise
control (``decision.multiple_candidates``), measured through the engine.

Run: ``python -m benchmarks.calibration_family --studies 240 --workers 1``.

Each study has one region (it blocks), one dimension, an incumbent at θ 0.85 and
``--candidates`` candidates at 0.85 − margin, all answering the same items (a shared item
difficulty), and a judge that errs 15–20% of the time. Labels arrive in ``--rounds``
batches of ``--batch`` items, every model labelled on each; after each batch Baton refits
(``estimate_frame``, method bayes) and each candidate's cell is decided by the product's
look rule (``sequential_decisions``, time = labels ÷ the budget, ``spending_time``) at the
confidence ``family_rule`` gives it: the study's confidence under ``per_candidate``,
1 − (1 − confidence) ÷ K under ``control``. Both rules see the same label streams and fits.
A candidate is go when its cell is called go (one blocking cell), and the study's outcome
is a false go when any candidate is.

It prints, per rule, the share of studies with a false go (family-wise) and the share of
candidates called go (per candidate), each with its Monte Carlo standard error.
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
from baton.decision import (
    MultipleCandidates,
    family_rule,
    sequential_decisions,
    spending_time,
)
from baton.domain import Look, LookCall

from ._rates import hit_rate

RULES: tuple[MultipleCandidates, ...] = ("per_candidate", "control")
REGION = "r0"


@dataclass(frozen=True)
class Settings:
    candidates: int
    items: int
    batch: int
    rounds: int
    margin: float
    confidence: float
    draws: int


@dataclass(frozen=True)
class StudyOutcome:
    """Per rule, the candidates called go in one study."""

    gone: dict[MultipleCandidates, tuple[bool, ...]]


def _study(rng: np.random.Generator, s: Settings) -> tuple[pd.DataFrame, pd.Series]:
    """The incumbent at θ 0.85 and every candidate at 0.85 − margin on the same items
    (through a shared difficulty); no labels yet."""
    difficulty = rng.normal(0.0, 1.0, s.items)
    difficulty -= difficulty.mean()
    ids = [f"{REGION}-{i}" for i in range(s.items)]
    models = [("inc", 0.85)] + [(f"cand{j}", 0.85 - s.margin) for j in range(s.candidates)]
    parts, truth = [], []
    for model, theta in models:
        y = rng.random(s.items) < expit(logit(theta) + difficulty)
        judge = np.where(y, rng.random(s.items) < 0.85, rng.random(s.items) < 0.2)
        parts.append(
            pd.DataFrame(
                {"item_id": ids, "model": model, "region": REGION, "judge": judge.astype(int)}
            )
        )
        truth.append(pd.Series(y.astype(float)))
    table = pd.concat(parts, ignore_index=True).assign(human=np.nan)
    return table, pd.concat(truth, ignore_index=True)


def run_study(seed: int, s: Settings) -> StudyOutcome:
    """One study: the same label stream and fits decided under each rule."""
    rng = np.random.default_rng(seed)
    table, truth = _study(rng, s)
    order = rng.permutation(s.items)
    planned = s.rounds * s.batch
    looks: dict[str, list[Look]] = {r: [] for r in RULES}
    calls: dict[str, list[LookCall]] = {r: [] for r in RULES}
    work = table.copy()
    for k in range(1, s.rounds + 1):
        chosen = work["item_id"].isin([f"{REGION}-{i}" for i in order[: k * s.batch]])
        work.loc[chosen, "human"] = truth[chosen]
        fit = estimate_frame(
            work, ["judge"], baseline="inc", margin=s.margin, seed=k, n_draws=s.draws
        )
        cells = [c for c in fit.comparisons if c.region != "ALL"]
        for rule in RULES:
            family = family_rule(s.confidence, s.candidates, rule)
            step = sequential_decisions(
                cells,
                fit.posteriors.deltas,
                fit.labelled(),
                confidence=family.candidate_confidence,
                blocking={REGION: True},
                time=spending_time(k * s.batch, planned),
                looks=looks[rule],
                calls=calls[rule],
                n_items=fit.judged(),
            )
            looks[rule] += step.looks
            calls[rule] += step.calls
    gone = {
        rule: tuple(
            any(c.candidate == f"cand{j}" and c.outcome == "go" for c in calls[rule])
            for j in range(s.candidates)
        )
        for rule in RULES
    }
    return StudyOutcome(gone)


def _job(args: tuple[int, Settings]) -> StudyOutcome:
    return run_study(*args)


def study_seeds(studies: int) -> list[int]:
    return [int(np.random.SeedSequence([1616, i]).generate_state(1)[0]) for i in range(studies)]


def run(studies: int, s: Settings, workers: int) -> list[StudyOutcome]:
    jobs = [(seed, s) for seed in study_seeds(studies)]
    out: list[StudyOutcome] = []
    with ProcessPoolExecutor(max_workers=max(workers, 1)) as pool:
        for outcome in pool.map(_job, jobs):
            out.append(outcome)
            if len(out) % 20 == 0:
                print(f"{len(out)} of {studies} studies", file=sys.stderr, flush=True)
    return out


def rates(
    outcomes: Sequence[StudyOutcome], rule: MultipleCandidates
) -> tuple[float, float, float, float]:
    """Family-wise false go (share of studies with any candidate go) and per-candidate false
    go (share of candidates go), each with its Monte Carlo standard error."""
    p, se_p = hit_rate([any(o.gone[rule]) for o in outcomes])
    q, se_q = hit_rate([g for o in outcomes for g in o.gone[rule]])
    return p, se_p, q, se_q


def to_markdown(outcomes: Sequence[StudyOutcome], s: Settings) -> str:
    lines = [
        f"{s.candidates} candidates, each at Δ = −margin ({s.margin}); confidence "
        f"{s.confidence}; {s.rounds} batches of {s.batch} items planned; "
        f"{len(outcomes)} studies",
        "",
        "| rule | per-candidate confidence | P(any candidate go) | MC s.e. | "
        "P(a candidate go) | MC s.e. | stated family-wise figure |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in RULES:
        family = family_rule(s.confidence, s.candidates, rule)
        p, se, q, se_q = rates(outcomes, rule)
        stated = (
            f"≤ {family.family_alpha:.3f} (controlled)"
            if rule == "control"
            else f"≤ {family.family_alpha:.3f} (bound K·α)"
        )
        lines.append(
            f"| {rule} | {family.candidate_confidence:.4f} | {p:.3f} | {se:.3f} | "
            f"{q:.3f} | {se_q:.3f} | {stated} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=240)
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    settings = Settings(
        args.candidates,
        args.items,
        args.batch,
        args.rounds,
        args.margin,
        args.confidence,
        args.draws,
    )
    started = time.perf_counter()
    outcomes = run(args.studies, settings, args.workers)
    print(to_markdown(outcomes, settings))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
