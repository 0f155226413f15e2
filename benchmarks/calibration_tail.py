"""Why a family's false acceptance at Δ = −margin exceeds 5% (issue 16): per replication.

Run: ``python -m benchmarks.calibration_tail --family lenient --n 20 --first-rep 1500
--reps 1200``.

Refits the calibration benchmark's tables (the same seeds as ``benchmarks.calibration``:
replication ``rep`` of a family and n is the same table, and the ``bayes`` and ``human``
fits are the same draws) with three fits each — ``bayes``, ``bayes`` with the judge
replaced by a constant (one judge cell: the judge's part taken out) and ``human`` — and
keeps, per replication, each fit's P(Δ > −margin), posterior mean and sd of Δ, and the
labelled pairs' outcomes (incumbent pass / candidate fail, and the reverse). It prints the
false acceptance of each fit with its MC s.e., the tables where two fits disagree (a
paired comparison on the same tables), and the posterior sd and acceptance by the number
of labelled pairs where the incumbent passes and the candidate fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from baton import estimate

from ._calibration_records import NONINFERIOR
from ._calibration_sim import Task, _family, _table
from ._rates import hit_rate

FITS = ("bayes", "bayes, one judge cell", "human")


@dataclass(frozen=True)
class Pairs:
    """Outcomes of the labelled pairs: ``a_only`` incumbent passes and candidate fails,
    ``b_only`` the reverse."""

    a_only: int
    b_only: int


def labelled_pairs(table: pd.DataFrame, incumbent: str, candidate: str) -> Pairs:
    """Count the discordant labelled pairs of one region's table."""
    wide = table.dropna(subset=["human"]).pivot_table(
        index="item_id", columns="model", values="human"
    )
    both = wide.dropna()
    y_a, y_b = both[incumbent] == 1, both[candidate] == 1
    return Pairs(int((y_a & ~y_b).sum()), int((~y_a & y_b).sum()))


def replication(family: str, n: int, rep: int, items: int, draws: int) -> list[dict[str, object]]:
    """The three fits of one replication, one row each."""
    fam = _family(family, items)
    scenario = fam.scenario
    (candidate,) = scenario.candidates
    (dimension,) = scenario.margins
    margin = scenario.margins[dimension]
    table = _table(fam, Task(family, n, rep, items, draws)).assign(constant=1)
    pairs = labelled_pairs(table, scenario.incumbent, candidate)
    (region,) = scenario.regions
    rows: list[dict[str, object]] = []
    for fit, method, signal in zip(
        FITS, ("bayes", "bayes", "human"), ("judge", "constant", "judge"), strict=True
    ):
        result = estimate(
            table,
            [signal],
            baseline=scenario.incumbent,
            margin=margin,
            method=method,  # type: ignore[arg-type]
            seed=rep,
            n_draws=draws,
        )
        delta = result.posteriors.deltas[(dimension, candidate, region)]
        assert delta is not None
        rows.append(
            {
                "rep": rep,
                "fit": fit,
                "p_noninferior": float(np.mean(delta > -margin)),
                "error": float(delta.mean() + margin),
                "sd": float(delta.std()),
                "a_only": pairs.a_only,
                "b_only": pairs.b_only,
            }
        )
    return rows


def summarise(frame: pd.DataFrame) -> str:
    """Acceptance per fit, paired disagreements, and sd and acceptance by ``a_only``."""
    frame = frame.assign(accepted=frame["p_noninferior"] >= NONINFERIOR)
    lines = [
        "| fit | tables | false acceptance | MC s.e. | mean error | posterior sd |",
        "|---|---|---|---|---|---|",
    ]
    for fit in FITS:
        rows = frame[frame["fit"] == fit]
        p, se = hit_rate(rows["accepted"].tolist())
        lines.append(
            f"| {fit} | {len(rows)} | {p:.4f} ({int(rows['accepted'].sum())}) | {se:.4f} "
            f"| {rows['error'].mean():+.4f} | {rows['sd'].mean():.4f} |"
        )
    wide = frame.pivot(index="rep", columns="fit", values="accepted")
    lines += ["", "| accepted by | and not by | tables |", "|---|---|---|"]
    for other in FITS[1:]:
        lines.append(f"| bayes | {other} | {int((wide['bayes'] & ~wide[other]).sum())} |")
        lines.append(f"| {other} | bayes | {int((wide[other] & ~wide['bayes']).sum())} |")
    by = frame.groupby(["a_only", "fit"]).agg(
        tables=("accepted", "size"), accepted=("accepted", "mean"), sd=("sd", "mean")
    )
    lines += [
        "",
        "| incumbent-pass/candidate-fail pairs | fit | tables | accepted | posterior sd |",
        "|---|---|---|---|---|",
    ]
    for row in by.reset_index().to_dict("records"):
        lines.append(
            f"| {row['a_only']} | {row['fit']} | {int(row['tables'])} | {row['accepted']:.3f} "
            f"| {row['sd']:.4f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="lenient", help="a one-region, two-model family")
    parser.add_argument("--n", type=int, default=20, help="labels per stratum")
    parser.add_argument("--first-rep", type=int, default=1500)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--out", default=None, help="also write the per-fit rows here (CSV)")
    args = parser.parse_args(argv)
    started, rows = time.perf_counter(), []
    for k, rep in enumerate(range(args.first_rep, args.first_rep + args.reps), start=1):
        rows += replication(args.family, args.n, rep, args.items, args.draws)
        if k % 100 == 0:
            print(f"{k} of {args.reps} replications", file=sys.stderr, flush=True)
    frame = pd.DataFrame(rows)
    if args.out:
        frame.to_csv(args.out, index=False)
    print(
        f"{args.family}, n = {args.n}, replications {args.first_rep}–"
        f"{args.first_rep + args.reps - 1}\n"
    )
    print(summarise(frame))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
