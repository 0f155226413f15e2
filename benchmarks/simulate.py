"""Speed of ``simulate_table``: the synthetic tables the calibration benchmark fits, at the
size it uses (family 3x6, 2,000 judged responses per region, 50 labels per stratum).

Run: ``python -m benchmarks.simulate`` (``--tables 5 --items 2000``). Prints seconds per
table (wall and CPU) and the table's rows; the target is under 0.5 s a table, the figure
the test suite once asserted (a limit on wall time belongs here, where it is measured).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from baton.simulate import calibration_family, simulate_table

__all__ = ["TableSpeed", "main", "time_tables"]

TARGET_S = 0.5


@dataclass(frozen=True)
class TableSpeed:
    rows: int
    tables: int
    wall_s: float
    """Mean wall seconds per table (after one table to warm up)."""
    cpu_s: float
    """Mean CPU seconds (user + system of this process) per table."""


def time_tables(
    family: str = "3x6", *, items_per_region: int = 2000, labels: int = 50, tables: int = 5
) -> TableSpeed:
    """Simulate ``tables`` tables of ``family`` (seeds 0, 1, ...) after one to warm up."""
    chosen = calibration_family(family, items_per_region=items_per_region)
    plan = chosen.plan(labels)
    rows = len(simulate_table(chosen.scenario, plan, seed=0))
    wall, cpu = time.perf_counter(), time.process_time()
    for seed in range(tables):
        simulate_table(chosen.scenario, plan, seed=seed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return TableSpeed(rows, tables, wall / tables, cpu / tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="3x6")
    parser.add_argument("--items", type=int, default=2000, help="judged responses per region")
    parser.add_argument("--labels", type=int, default=50, help="labels per stratum")
    parser.add_argument("--tables", type=int, default=5)
    args = parser.parse_args()
    speed = time_tables(
        args.family, items_per_region=args.items, labels=args.labels, tables=args.tables
    )
    verdict = "within" if speed.wall_s < TARGET_S else "over"
    print(
        f"simulate_table({args.family}, {args.items:,} per region, {args.labels} labels): "
        f"{speed.rows:,} rows, {speed.wall_s:.3f} s a table (CPU {speed.cpu_s:.3f} s), "
        f"mean of {speed.tables}; {verdict} the {TARGET_S} s target"
    )


if __name__ == "__main__":
    main()
