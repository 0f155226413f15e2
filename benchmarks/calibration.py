"""Calibration benchmark (issue 3): coverage, width, efficiency and false acceptance.

Run: ``make bench-calibration`` (or ``python -m benchmarks.calibration --reps 500``).
Simulates the scenario families (``baton.simulate.calibration_family``)
at n = 20, 50, 150 human labels per stratum and ~2,000 judged, runs every method of
``baton.estimate`` on each replication, and prints per family, n and method:

- θ cov / width / bias: coverage of the 90% intervals of each labelled stratum's human pass
  rate, their mean width and the mean error of the point estimate;
- width/bound, ESS/bound: width relative to the interval at the effective sample
  size bound n / (1 − η² N / (n + N)) (η² from the scenario's truth), and the implied share
  of that effective sample size, (bound / width)²;
- Δ cov / width / bias: the same for candidate − incumbent, over comparisons with labels;
- NI@−m: how often P(Δ > −margin) ≥ 0.95 is declared when the truth is Δ = −margin exactly
  (a false acceptance), over all such comparisons, labelled or not;
- uncal: the share of strata without labels reported as uncalibrated (should be 1).

Then the same on real data (NQ-301, when the folder ``BATON_DATA_DIR`` names holds it), the
speed benchmark, and a verdict on each target of issue 3. Replications run on ``--workers``
processes; ``--speed-only`` runs the speed benchmark alone (wall and CPU seconds).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

import pandas as pd

from baton.simulate import CALIBRATION_FAMILIES

from ._calibration_real import (
    HEADLINE,
    INCUMBENT,
    JUDGES,
    RealTask,
    default_path,
    headline_records,
    run_real_task,
)
from ._calibration_records import Record, condensed, summarise, to_markdown
from ._calibration_sim import METHODS, Task, run_task
from ._calibration_speed import SpeedResult, run_speed
from ._calibration_verdicts import verdicts

T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=30, help="replications per cell")
    parser.add_argument(
        "--first-rep",
        type=int,
        default=0,
        help="first replication (its seed follows from its index: past an earlier run's "
        "--reps gives fresh tables)",
    )
    parser.add_argument("--real-reps", type=int, default=15, help="NQ-301 subsamples per cell")
    parser.add_argument("--ns", type=int, nargs="+", default=[20, 50, 150])
    parser.add_argument("--families", nargs="+", default=list(CALIBRATION_FAMILIES))
    parser.add_argument("--items", type=int, default=2000, help="judged responses per stratum")
    parser.add_argument(
        "--items-3x6", type=int, default=None, help="judged per stratum in 3x6 (default --items)"
    )
    parser.add_argument("--draws", type=int, default=4000, help="posterior draws per fit")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--real-data", type=Path, default=default_path())
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="only the speed benchmark (e.g. on an idle machine)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    parser.add_argument(
        "--records",
        type=Path,
        default=None,
        help="also write the simulated families' intervals here (CSV, one row per interval)",
    )
    return parser


def _run(
    function: Callable[[T], list[Record]], tasks: Sequence[T], workers: int, what: str
) -> list[Record]:
    started, records, step = time.perf_counter(), [], max(len(tasks) // 10, 1)
    results: Iterable[list[Record]]
    if workers <= 1:
        results = map(function, tasks)
        return _collect(results, len(tasks), step, started, what)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(function, tasks, chunksize=2)
        records = _collect(results, len(tasks), step, started, what)
    return records


def _collect(
    results: Iterable[list[Record]], total: int, step: int, started: float, what: str
) -> list[Record]:
    records: list[Record] = []
    for done, batch in enumerate(results, start=1):
        records += batch
        if done % step == 0 or done == total:
            elapsed = time.perf_counter() - started
            print(f"  {what}: {done}/{total} tasks, {elapsed:.0f} s", file=sys.stderr, flush=True)
    return records


def _sim_tasks(args: argparse.Namespace) -> list[Task]:
    def items(family: str) -> int:
        return int(args.items_3x6 or args.items) if family == "3x6" else int(args.items)

    return [
        Task(family, n, rep, items(family), args.draws)
        for rep in range(args.first_rep, args.first_rep + args.reps)
        for family in args.families
        for n in args.ns
    ]


def _real_tasks(args: argparse.Namespace) -> list[RealTask]:
    reps = args.real_reps
    return [
        RealTask(str(args.real_data), judge, n, rep, args.draws)
        for rep in range(reps)
        for judge in JUDGES
        for n in args.ns
    ]


def _speed_text(speed: SpeedResult) -> str:
    return "\n".join(
        [
            f"speed: estimate(method='bayes') on {speed.rows:,} rows "
            "(3 dimensions × 6 regions × 5 models, 2,000 judged and 40 labelled per stratum)",
            f"  warm (median of 3, after one call): {speed.warm_s:.2f} s "
            f"(CPU {speed.warm_cpu_s:.2f} s)",
            f"  cold, fresh python: import + read CSV + estimate: {speed.cold_python_s:.2f} s "
            f"(CPU {speed.cold_python_cpu_s:.2f} s)",
            f"  cold, `baton estimate table.csv ... -o result.json`: {speed.cold_cli_s:.2f} s "
            f"(CPU {speed.cold_cli_cpu_s:.2f} s)",
            f"  (`import baton` alone: {speed.import_s:.2f} s; load average "
            f"{' '.join(f'{x:.1f}' for x in speed.load)} on {os.cpu_count()} cores)",
        ]
    )


def _from(first_rep: int) -> str:
    return f" (from replication {first_rep})" if first_rep else ""


def _simulated_section(args: argparse.Namespace, seconds: float, table: pd.DataFrame) -> str:
    items = f"{args.items} judged per stratum"
    if args.items_3x6 and args.items_3x6 != args.items:
        items += f" ({args.items_3x6} in 3x6)"
    head = (
        f"## Simulated families: {args.reps} replications per cell{_from(args.first_rep)}, "
        f"{items}, "
        f"{args.draws} draws per fit, {seconds:.0f} s on {args.workers} workers"
    )
    short = to_markdown(condensed(table))
    return f"{head}\n\nIn short:\n\n{short}\n\nIn full:\n\n{to_markdown(table)}"


def _real_section(records: list[Record], reps: int, seconds: float) -> str:
    methods = [m for m in METHODS if m != "bayes-thr"]
    every = summarise(records, methods).drop(columns=["NI@−m", "uncal"])
    pair = summarise(headline_records(records), methods).drop(columns=["NI@−m", "uncal"])
    return (
        f"## NQ-301 real data: {reps} subsamples per cell, {seconds:.0f} s\n\n"
        f"All 12 models (θ) and the 11 comparisons with {INCUMBENT} (Δ):\n\n"
        f"{to_markdown(every, first='judge')}\n\n"
        f"{INCUMBENT} and {HEADLINE} only (θ), and their comparison (Δ):\n\n"
        f"{to_markdown(pair, first='judge')}"
    )


def _speed() -> SpeedResult:
    with tempfile.TemporaryDirectory() as work:
        return run_speed(Path(work))


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.speed_only:
        alone = _speed()
        print("\n".join([_speed_text(alone), "", *verdicts(None, None, alone)]), flush=True)
        return
    sections: list[str] = []
    started = time.perf_counter()
    sim_records = _run(run_task, _sim_tasks(args), args.workers, "simulated")
    if args.records is not None:
        pd.DataFrame([asdict(r) for r in sim_records]).to_csv(args.records, index=False)
    simulated = summarise(sim_records, METHODS)
    sections.append(_simulated_section(args, time.perf_counter() - started, simulated))
    print(sections[-1], flush=True)
    real: pd.DataFrame | None = None
    if not args.skip_real and args.real_data.exists():
        started = time.perf_counter()
        real_records = _run(run_real_task, _real_tasks(args), args.workers, "real data")
        seconds = time.perf_counter() - started
        sections.append(_real_section(real_records, args.real_reps, seconds))
        real = summarise(real_records, [m for m in METHODS if m != "bayes-thr"])
        print("\n" + sections[-1], flush=True)
    elif not args.skip_real:
        sections.append(f"(no real data at {args.real_data}: skipped)")
    speed: SpeedResult | None = None
    if not args.skip_speed:
        speed = _speed()
        sections.append(_speed_text(speed))
        print("\n" + sections[-1], flush=True)
    sections.append("## Targets of issue 3\n\n" + "\n".join(verdicts(simulated, real, speed)))
    print("\n" + sections[-1], flush=True)
    if args.out is not None:
        args.out.write_text("\n\n".join(sections) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
