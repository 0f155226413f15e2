"""One task of the decisions benchmark: one scenario, one replication, one arm (or the plan).

Every arm of a replication sees the same simulated study and the same human labels (common
random numbers), so the arms' label counts differ only through their rule.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal
from unittest.mock import patch

import numpy as np
import pandas as pd

from baton.decision import (
    LOOK_DESIGNS,
    Arm,
    LabelUnit,
    LookDesign,
    SequentialOptions,
    SequentialResult,
    _sequential,
    allocate_units,
    plan_labels,
    run_sequential,
)
from baton.simulate import SimulatedStudy, evidence_with_truth, simulate_study

from ._decisions_scenarios import SCENARIOS, scenario_spec

__all__ = [
    "ARMS",
    "DESIGNS",
    "DIAGNOSTIC_ARMS",
    "Kind",
    "Record",
    "Task",
    "run_task",
    "world_table",
]

Kind = Literal["human", "random", "allocated", "weights-only", "plan"]
ARMS: tuple[Kind, ...] = ("human", "random", "allocated")
"""(a) human-only + random labels, (b) bayes + random labels, (c) bayes + allocation."""
DIAGNOSTIC_ARMS: tuple[Kind, ...] = ("weights-only",)
"""(c) with uniform draws within strata: what the allocation's stratum weights alone do."""
DESIGNS: dict[str, LookDesign] = {str(name): d for name, d in LOOK_DESIGNS.items()}
"""The loop's looks and spending, as a study names them (``decision.design``)."""

_ARM_OF: dict[Kind, Arm] = {
    "human": "human",
    "random": "random",
    "allocated": "allocated",
    "weights-only": "allocated",
}


@dataclass(frozen=True)
class Task:
    scenario: str
    rep: int
    kind: Kind
    items: int
    batch_units: int
    budget: int
    plan_reps: int = 4
    draws: int = 1000
    design: str = "pocock"
    pool: bool = False


@dataclass(frozen=True)
class Record:
    """What one task yields. ``end``: ``decided`` (every blocking cell decided), ``budget``
    or ``pool`` (some strata ran out of unlabelled items); ``outcomes``: the overall call
    per candidate; ``stratum_labels``: labels in each (dimension, region) when its last cell
    was decided (None when never). A plan task fills ``plan_80``/``plan_95`` and
    ``plan_strata`` instead."""

    scenario: str
    rep: int
    kind: str
    labels: int = 0
    rounds: int = 0
    end: str = ""
    cells: int = 0
    wrong: int = 0
    undecided: int = 0
    cell_go: int = 0
    cell_no_go: int = 0
    region_go: dict[str, int] = field(default_factory=dict)
    """Cells called go per region."""
    no_go_labels: list[float] = field(default_factory=list)
    """Labels per model in the cell's stratum when it was called no-go."""
    outcomes: dict[str, str] = field(default_factory=dict)
    stratum_labels: dict[str, float | None] = field(default_factory=dict)
    plan_80: float | None = None
    plan_95: float | None = None
    plan_strata: dict[str, float | None] = field(default_factory=dict)
    plan_reps: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=4)
def world_table(
    scenario: str, rep: int, items: int
) -> tuple[SimulatedStudy, pd.DataFrame, pd.Series]:
    """Replication ``rep`` of ``scenario``: the study, its evidence table, the true labels."""
    entropy = [list(SCENARIOS).index(scenario), rep, items]
    seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    world = simulate_study(scenario_spec(scenario).build(items), seed=seed)
    table, truth = evidence_with_truth(world, world.items, seed=seed)
    return world, table, truth


def _blocking(world: SimulatedStudy) -> dict[str, bool]:
    study = world.study
    return {r.name: r.traffic_share >= study.decision.min_traffic_share for r in study.regions}


def _margins(world: SimulatedStudy) -> dict[str, float]:
    return {d.name: d.margin for d in world.study.dimensions}


def _outcomes(calls: dict[tuple[str, str, str], str]) -> dict[str, str]:
    """The overall call per candidate from its blocking cells."""
    out: dict[str, str] = {}
    for candidate in sorted({c for _, c, _ in calls}):
        own = [o for (_, c, _), o in calls.items() if c == candidate]
        if "no_go" in own:
            out[candidate] = "no_go"
        elif "inconclusive" in own:
            out[candidate] = "inconclusive"
        else:
            out[candidate] = "go"
    return out


def _stratum_labels(result: SequentialResult) -> dict[str, float | None]:
    """Labels each (dimension, region) had when its last candidate was decided."""
    needs: dict[str, float | None] = {}
    for (dim, cand, region), outcome in result.calls.items():
        key = f"{dim}/{region}"
        if outcome == "inconclusive" or needs.get(key, 0) is None:
            needs[key] = None
            continue
        current = needs.get(key) or 0.0
        needs[key] = max(current, float(result.stratum_labels_at[(dim, cand, region)]))
    return needs


def _end(result: SequentialResult, n_models: int, budget: int) -> str:
    if all(o != "inconclusive" for o in result.calls.values()):
        return "decided"
    return "budget" if result.labels_used + n_models > budget else "pool"


def _uniform_allocation(
    table: pd.DataFrame,
    open_calls: Mapping[tuple[str, str], float],
    n_units: int,
    *,
    signal: str,
    rng: np.random.Generator,
    uniform: bool = False,
) -> list[LabelUnit]:
    """The allocation forced uniform within strata (its stratum weights kept)."""
    return allocate_units(table, open_calls, n_units, signal=signal, rng=rng, uniform=True)


def _uniform_within_strata() -> AbstractContextManager[object]:
    """For the diagnostic arm: the sequential rule with ``_uniform_allocation``."""
    return patch.object(_sequential, "allocate_units", _uniform_allocation)


def _run_arm(task: Task) -> Record:
    world, table, truth = world_table(task.scenario, task.rep, task.items)
    options = SequentialOptions(
        arm=_ARM_OF[task.kind],
        batch_units=task.batch_units,
        max_labels=task.budget,
        confidence=world.study.decision.confidence,
        margins=_margins(world),
        blocking=_blocking(world),
        n_draws=task.draws,
        design=DESIGNS[task.design],
        pool_deltas=task.pool,
    )
    rng = np.random.default_rng([task.rep, list(_ARM_OF).index(task.kind)])
    diagnostic = task.kind == "weights-only"
    with _uniform_within_strata() if diagnostic else nullcontext():
        result = run_sequential(table, truth, baseline="incumbent", options=options, rng=rng)
    margins = _margins(world)
    decided = {k: o for k, o in result.calls.items() if o != "inconclusive"}
    wrong = sum(
        (o == "go") != world.truth.noninferior(d, c, r, margins[d])
        for (d, c, r), o in decided.items()
    )
    return Record(
        task.scenario,
        task.rep,
        task.kind,
        labels=result.labels_used,
        rounds=result.rounds,
        end=_end(result, len(world.study.models), task.budget),
        cells=len(result.calls),
        wrong=int(wrong),
        undecided=len(result.calls) - len(decided),
        cell_go=sum(o == "go" for o in decided.values()),
        cell_no_go=sum(o == "no_go" for o in decided.values()),
        region_go={
            region: sum(o == "go" and r == region for (_, _, r), o in decided.items())
            for region in sorted({r for _, _, r in result.calls})
        },
        no_go_labels=[
            result.stratum_labels_at[k] / len(world.study.models)
            for k, o in decided.items()
            if o == "no_go" and k in result.stratum_labels_at
        ],
        outcomes=_outcomes(dict(result.calls)),
        stratum_labels=_stratum_labels(result),
    )


def _run_plan(task: Task) -> Record:
    world, table, _ = world_table(task.scenario, task.rep, task.items)
    plan = plan_labels(
        table,
        baseline="incumbent",
        margins=_margins(world),
        blocking=_blocking(world),
        confidence=world.study.decision.confidence,
        prior=scenario_spec(task.scenario).prior,
        minutes_per_label=1.0,
        batch_units=task.batch_units,
        max_labels=task.budget,
        replications=task.plan_reps,
        seed=task.rep,
    )
    strata: dict[str, float | None] = {
        f"{s.dimension}/{s.region}": None if s.labels_80 is None else float(s.labels_80)
        for s in plan.strata
    }
    return Record(
        task.scenario,
        task.rep,
        "plan",
        plan_80=None if plan.total_80 is None else float(plan.total_80),
        plan_95=None if plan.total_95 is None else float(plan.total_95),
        plan_strata=strata,
        plan_reps=task.plan_reps,
    )


def run_task(task: Task) -> dict[str, Any]:
    """Run one task and return its record as a dict (picklable, JSON-ready)."""
    started = time.perf_counter()
    record = _run_plan(task) if task.kind == "plan" else _run_arm(task)
    out = record.to_dict()
    out["seconds"] = time.perf_counter() - started
    return out
