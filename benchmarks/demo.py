"""Speed of the end-to-end demo and of the analysis, and how often the demo calls it right.

Run: ``make bench-demo`` (or ``python -m benchmarks.demo --seeds 20``). Prints a table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from baton.steps import DemoOptions, DemoRun, run_demo


def wrong_cells(run: DemoRun) -> int:
    """Decided cells that block a go and contradict the simulated truth."""
    truth, study = run.simulated.truth, run.simulated.study
    wrong = 0
    for d in run.result.decisions:
        if d.blocking and d.outcome != "inconclusive":
            margin = study.dimension(d.dimension).margin
            wrong += truth.noninferior(d.dimension, d.candidate, d.region, margin) != (
                d.outcome == "go"
            )
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10, help="demo runs, one seed each")
    args = parser.parse_args()
    calls: Counter[str] = Counter()
    seconds, wrong, cells = [], 0, 0
    for seed in range(args.seeds):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            run = run_demo(Path(out), options=DemoOptions(seed=seed))
            seconds.append(time.perf_counter() - started)
        calls[" / ".join(f"{v.candidate} {v.outcome}" for v in run.result.verdicts)] += 1
        wrong += wrong_cells(run)
        cells += sum(d.blocking and d.outcome != "inconclusive" for d in run.result.decisions)
    print(f"demo runs: {args.seeds} seeds")
    print(
        f"wall time per run: median {sorted(seconds)[len(seconds) // 2]:.2f} s, "
        f"max {max(seconds):.2f} s"
    )
    print(f"decided blocking cells: {cells}, contradicting the truth: {wrong}")
    print("overall calls:")
    for call, count in calls.most_common():
        print(f"  {count:4d}  {call}")


if __name__ == "__main__":
    main()
