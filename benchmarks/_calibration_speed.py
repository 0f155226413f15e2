"""Speed of ``estimate(method="bayes")`` at the size issue 3 names.

3 dimensions × 6 regions × 5 models, 2,000 judged and 40 labelled responses per stratum
(180,000 rows): warm (in this process, after one call) and cold (a fresh Python process,
start-up and import included, reading the table from CSV; and the ``baton estimate`` CLI).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from baton.estimate import estimate
from baton.simulate import JudgeQuality, LabelPlan, Scenario, StratumKey, simulate_table

__all__ = ["SpeedResult", "run_speed", "speed_scenario"]

_REGIONS = {"na": 0.34, "eu": 0.26, "apac": 0.18, "latam": 0.12, "mena": 0.07, "africa": 0.03}


@dataclass(frozen=True)
class SpeedResult:
    rows: int
    warm_s: float
    cold_python_s: float
    cold_cli_s: float
    import_s: float
    load: tuple[float, float, float]  # the machine's load average when measured


def speed_scenario(items_per_region: int = 2000) -> Scenario:
    models = ("incumbent", "cand-1", "cand-2", "cand-3", "cand-4")
    dimensions: dict[str, Literal["binary", "likert5"]] = {
        "correctness": "binary",
        "refusal": "binary",
        "style": "likert5",
    }
    rates: dict[StratumKey, float] = {
        (d, m, r): 0.75 + 0.03 * i
        for d in dimensions
        for i, m in enumerate(models)
        for r in _REGIONS
    }
    return Scenario(
        regions=_REGIONS,
        incumbent=models[0],
        candidates=models[1:],
        dimensions=dimensions,
        margins=dict.fromkeys(dimensions, 0.05),
        pass_rates=rates,
        items_per_region=items_per_region,
        default_judge=JudgeQuality(0.9, 0.85),
    )


def _wall(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def run_speed(workdir: Path, *, repeats: int = 3) -> SpeedResult:
    table = simulate_table(speed_scenario(), LabelPlan(40), seed=0)
    csv = workdir / "speed.csv"
    table.to_csv(csv, index=False)
    estimate(table, ["judge"], baseline="incumbent", margin=0.05, method="bayes")
    warm = []
    for _ in range(repeats):
        started = time.perf_counter()
        estimate(table, ["judge"], baseline="incumbent", margin=0.05, method="bayes")
        warm.append(time.perf_counter() - started)
    script = (
        "from baton.estimate import estimate; "
        f"estimate({str(csv)!r}, ['judge'], baseline='incumbent', margin=0.05)"
    )
    python = [sys.executable, "-c", script]
    cli = [
        str(Path(sys.executable).parent / "baton"),
        "estimate",
        str(csv),
        "--signal",
        "judge",
        "--baseline",
        "incumbent",
        "--margin",
        "0.05",
        "-o",
        str(workdir / "result.json"),
    ]
    return SpeedResult(
        rows=len(table),
        warm_s=statistics.median(warm),
        cold_python_s=statistics.median(_wall(python, workdir) for _ in range(repeats)),
        cold_cli_s=statistics.median(_wall(cli, workdir) for _ in range(repeats)),
        import_s=statistics.median(
            _wall([sys.executable, "-c", "import baton.estimate"], workdir) for _ in range(repeats)
        ),
        load=os.getloadavg(),
    )
