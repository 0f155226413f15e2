"""Speed of ``estimate(method="bayes")`` at the size issue 3 names.

3 dimensions × 6 regions × 5 models, 2,000 judged and 40 labelled responses per stratum
(180,000 rows): warm (in this process, after one call) and cold (a fresh Python process,
start-up and import included, reading the table from CSV; and the ``baton estimate`` CLI).
Wall time is the target; CPU time (user + system, the process's threads or the child's) is
reported beside it, since on a loaded shared machine wall time also counts waiting for a core.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from baton import estimate
from baton.simulate import JudgeQuality, LabelDesign, Scenario, StratumKey, simulate_table

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
    warm_cpu_s: float = float("nan")  # CPU seconds (user + system) of the warm call
    cold_python_cpu_s: float = float("nan")
    cold_cli_cpu_s: float = float("nan")


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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` in a fresh process."""
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def _median_timed(command: list[str], cwd: Path, repeats: int) -> tuple[float, float]:
    runs = [_timed(command, cwd) for _ in range(repeats)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def _warm(table: pd.DataFrame, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``estimate`` in this process, after one call."""
    estimate(table, ["judge"], baseline="incumbent", margin=0.05, method="bayes")
    wall, cpu = [], []
    for _ in range(repeats):
        cpu_started, started = time.process_time(), time.perf_counter()
        estimate(table, ["judge"], baseline="incumbent", margin=0.05, method="bayes")
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return statistics.median(wall), statistics.median(cpu)


def run_speed(workdir: Path, *, repeats: int = 3) -> SpeedResult:
    table = simulate_table(speed_scenario(), LabelDesign(40), seed=0)
    csv = workdir / "speed.csv"
    table.to_csv(csv, index=False)
    warm_s, warm_cpu_s = _warm(table, repeats)
    script = (
        "from baton import estimate; "
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
    cold_python = _median_timed(python, workdir, repeats)
    cold_cli = _median_timed(cli, workdir, repeats)
    imported = _median_timed([sys.executable, "-c", "import baton"], workdir, repeats)
    return SpeedResult(
        rows=len(table),
        warm_s=warm_s,
        cold_python_s=cold_python[0],
        cold_cli_s=cold_cli[0],
        import_s=imported[0],
        load=os.getloadavg(),
        warm_cpu_s=warm_cpu_s,
        cold_python_cpu_s=cold_python[1],
        cold_cli_cpu_s=cold_cli[1],
    )
