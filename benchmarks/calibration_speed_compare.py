"""Warm speed of ``estimate(method="bayes")`` at issue 16's size, for two source trees in
the same run (the machine is shared and loaded: only figures taken side by side compare).

Run: ``python -m benchmarks.calibration_speed_compare --trees OTHER_CHECKOUT/src src``.

The table: 3 dimensions × 6 regions × 3 models × 5,000 judged items (270,000 rows), 30
labelled items per (dimension, model, region), paired. Each tree is timed in a fresh
Python process with ``PYTHONPATH`` set to it: one call to warm up, then the median of
``--repeats`` calls (wall and CPU seconds). The trees are timed in turn, twice over.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from baton.simulate import JudgeQuality, LabelDesign, Scenario, simulate_table

from ._calibration_speed import _REGIONS

_TIMER = """
import json, statistics, sys, time
import pandas as pd
from baton import estimate
table = pd.read_pickle(sys.argv[1])
call = lambda: estimate(table, ["judge"], baseline="incumbent", margin=0.05, method="bayes")
call()
wall, cpu = [], []
for _ in range(int(sys.argv[2])):
    c, w = time.process_time(), time.perf_counter()
    call()
    wall.append(time.perf_counter() - w)
    cpu.append(time.process_time() - c)
print(json.dumps([statistics.median(wall), statistics.median(cpu)]))
"""


def scenario() -> Scenario:
    models = ("incumbent", "cand-1", "cand-2")
    dimensions = {"correctness": "binary", "refusal": "binary", "style": "likert5"}
    return Scenario(
        regions=_REGIONS,
        incumbent=models[0],
        candidates=models[1:],
        dimensions=dimensions,  # type: ignore[arg-type]
        margins=dict.fromkeys(dimensions, 0.05),
        pass_rates={
            (d, m, r): 0.8 + 0.03 * i
            for d in dimensions
            for i, m in enumerate(models)
            for r in _REGIONS
        },
        items_per_region=5000,
        default_judge=JudgeQuality(0.9, 0.85),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", nargs="+", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    table = simulate_table(scenario(), LabelDesign(30), seed=0)
    print(f"{len(table):,} rows; load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "table.pkl"
        table.to_pickle(path)
        for turn in (1, 2):
            for tree in args.trees:
                env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
                done = subprocess.run(
                    [sys.executable, "-c", _TIMER, str(path), str(args.repeats)],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                wall, cpu = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"turn {turn}: {tree}: warm {wall:.2f} s wall, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
