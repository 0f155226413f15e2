"""Decisions benchmark (issue 4): labels to a correct decision, false acceptance, power, plan.

Run: ``make bench-decisions`` (or ``python -m benchmarks.decisions --reps 300``).
On studies shaped like the demo's (six regions of uneven traffic, three dimensions, an
incumbent and two candidates; ``africa`` is below the traffic threshold and never blocks),
three arms run the sequential rule of ``baton.decision.run_sequential`` — label a batch of the
same size, refit, freeze decided cells, stop a stratum once all its cells are decided:

- (a) ``human``: human-only estimates, random labels spread evenly over undecided strata;
- (b) ``random``: Baton's calibration (``bayes``), the same random labels;
- (c) ``allocated``: Baton's calibration and its allocation (``allocate_units``);
- diagnostic, only with ``--arms weights-only``: (c) with uniform draws within strata, to
  separate the allocation's stratum weights from its within-stratum draw.

It prints, with the replications actually run next to every figure: the labels each arm
spent until every blocking cell was decided and how often its calls were right; the ratios
(a)/(c) and (b)/(c); P(a candidate's overall go) with every cell at Δ = −margin (false
acceptance of the whole rule) and at Δ = 0 (power); and ``plan_labels``' predicted label
count (80% quantile) against the one the allocation arm then needed.

Replications run on ``--workers`` processes, replication by replication, until ``--reps``
or ``--minutes`` runs out (the tasks in flight then finish); ``--records`` keeps every
task's record (JSON lines) and ``--summarise`` prints the tables from such a file again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import pandas as pd

from ._decisions_bounds import allocation_bounds
from ._decisions_runs import ARMS, DESIGNS, DIAGNOSTIC_ARMS, Kind, Task, run_task
from ._decisions_scenarios import CHECKS, DECISION_SCENARIOS, SCENARIOS
from ._decisions_summary import arm_table, check_table, markdown, plan_table, ratio_table
from ._joint_variants import VARIANTS, use


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=300, help="replications per scenario")
    parser.add_argument("--first-rep", type=int, default=0, help="first replication (new seeds)")
    parser.add_argument("--minutes", type=float, default=None, help="stop starting tasks after")
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument(
        "--arms", nargs="+", default=list(ARMS), choices=list(ARMS + DIAGNOSTIC_ARMS)
    )
    parser.add_argument("--check-arms", nargs="+", default=["allocated"], choices=list(ARMS))
    parser.add_argument("--items", type=int, default=1500, help="judged items per region")
    parser.add_argument("--batch", type=int, default=60, help="units (item × dimension) a batch")
    parser.add_argument("--draws", type=int, default=500, help="posterior draws per fit")
    parser.add_argument("--budget", type=int, default=12_000, help="labels, decision scenarios")
    parser.add_argument("--check-budget", type=int, default=8_100, help="labels, at-margin/zero")
    parser.add_argument("--plan-every", type=int, default=2, help="a plan every N replications")
    parser.add_argument("--plan-reps", type=int, default=4, help="replications inside a plan")
    parser.add_argument("--plan-scenarios", nargs="+", default=["good"])
    parser.add_argument("--bound-reps", type=int, default=5, help="studies for the bounds")
    parser.add_argument(
        "--design", default="pocock", choices=list(DESIGNS), help="the loop's looks and spending"
    )
    parser.add_argument(
        "--pool", action="store_true", help="pool each region's Δ with the others' (opt-in)"
    )
    parser.add_argument(
        "--joint",
        default="chain",
        choices=list(VARIANTS),
        help="the joint model of Δ (benchmarks._joint_variants; chain: Baton's)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--records", type=Path, default=None, help="append records (JSONL)")
    parser.add_argument("--summarise", type=Path, default=None, help="only print from records")
    return parser


def _tasks_of_rep(args: argparse.Namespace, rep: int) -> Iterator[Task]:
    for scenario in args.scenarios:
        check = scenario in CHECKS
        budget = args.check_budget if check else args.budget
        kinds: list[Kind] = list(args.check_arms if check else args.arms)
        if scenario in args.plan_scenarios and rep % args.plan_every == 0:
            kinds.append("plan")
        for kind in kinds:
            yield Task(
                scenario,
                rep,
                kind,
                args.items,
                args.batch,
                budget,
                args.plan_reps,
                args.draws,
                args.design,
                args.pool,
            )


def _tasks(args: argparse.Namespace) -> Iterator[Task]:
    for rep in range(args.first_rep, args.first_rep + args.reps):
        yield from _tasks_of_rep(args, rep)


def _progress(done: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    print(f"  {done} tasks, {elapsed / 60:.1f} min", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the tasks, keeping ``workers`` in flight until the reps or the minutes run out."""
    started, records = time.perf_counter(), []
    deadline = None if args.minutes is None else started + 60 * args.minutes
    tasks = _tasks(args)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        running: set[Future[dict[str, Any]]] = set()
        while True:
            while len(running) < args.workers and (
                deadline is None or time.perf_counter() < deadline
            ):
                task = next(tasks, None)
                if task is None:
                    break
                running.add(pool.submit(run_task, task))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                records.append(future.result())
                _append(args.records, records[-1])
            if len(records) % 10 == 0:
                _progress(len(records), started)
    return records


def _append(path: Path | None, record: dict[str, Any]) -> None:
    if path is not None:
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


_POOLED = {True: ", Δ pooled across regions", False: ""}


def _report(records: pd.DataFrame, args: argparse.Namespace) -> str:
    decisions = [s for s in args.scenarios if s in DECISION_SCENARIOS]
    checks = [s for s in args.scenarios if s in CHECKS]
    minutes = records["seconds"].sum() / 60
    bounds = [row for s in decisions for row in allocation_bounds(s, args.items, args.bound_reps)]
    return "\n\n".join(
        [
            f"# Decisions benchmark (design {args.design}{_POOLED[args.pool]}): "
            f"{args.items} judged items per region, batches of "
            f"{args.batch} units (× 3 models' labels), {args.draws} draws per fit, "
            f"{minutes:.0f} task-minutes",
            "## Labels until every blocking cell is decided\n\n"
            + markdown(arm_table(records, decisions)),
            "## Labels relative to (c)\n\n" + markdown(ratio_table(records, decisions)),
            f"## The whole rule at Δ = −margin and Δ = 0 (budget {args.check_budget:,} "
            "labels)\n\n" + markdown(check_table(records, checks)),
            "## plan_labels against the simulation (allocation arm)\n\n"
            + markdown(plan_table(records, args.plan_scenarios)),
            f"## What an allocation can gain at most ({args.bound_reps} simulated studies)\n\n"
            + markdown(bounds),
        ]
    )


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")  # one BLAS thread per worker process
    use(args.joint)  # in this process; forked workers inherit it
    records = _load(args.summarise) if args.summarise else _run(args)
    if not records:
        raise SystemExit("no task finished")
    print(_report(pd.DataFrame(records), args), flush=True)


if __name__ == "__main__":
    main()
