"""``baton plan``: how many human labels the study will need, before any is collected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from baton.cli._app import JSON_OPTION, STORE_OPTION, STUDY_ARGUMENT, app, console
from baton.cli._render import count_bar, new_table, print_json
from baton.decision import JudgePrior, LabelPlan
from baton.steps import plan as plan_step


def _labels(value: int | None) -> str:
    return "not reached" if value is None else str(value)


def _json(result: LabelPlan) -> dict[str, Any]:
    return {
        "method": result.method,
        "cells": [
            {
                "dimension": c.dimension,
                "candidate": c.candidate,
                "region": c.region,
                "delta_assumed": c.delta,
                "margin": c.margin,
                "items_judged": c.pool,
                "labels_80": c.labels_80,
                "labels_95": c.labels_95,
                "p_go": c.p_go,
                "p_decided": c.p_decided,
                "reason": c.reason or None,
            }
            for c in result.cells
        ],
        "strata": [
            {
                "dimension": s.dimension,
                "region": s.region,
                "labels_80": s.labels_80,
                "labels_95": s.labels_95,
                "decided_share": s.decided_share,
                "reason": s.reason or None,
            }
            for s in result.strata
        ],
        "total_80": result.total_80,
        "total_95": result.total_95,
        "hours_80": result.hours(result.total_80),
        "hours_95": result.hours(result.total_95),
    }


def _print_cells(result: LabelPlan) -> None:
    table = new_table(
        "Labels per model to decide each cell",
        "dimension",
        "region",
        "candidate",
        "Δ",
        "80%",
        "95%",
        "P(go)",
        wrap=("dimension", "region", "candidate"),
    )
    for c in result.cells:
        table.add_row(
            c.dimension,
            c.region,
            c.candidate,
            f"{c.delta:+.3f}",
            _labels(c.labels_80),
            _labels(c.labels_95),
            f"{c.p_go:.0%}",
        )
    console.print(table)
    reasons = [c for c in result.cells if c.reason]
    if reasons:
        console.print("Not reached:")
        for c in reasons:
            console.print(f"- {c.dimension} / {c.region} / {c.candidate}: {c.reason}")


def _print_strata(result: LabelPlan) -> None:
    table = new_table(
        "Labels per model to decide each stratum",
        "dimension",
        "region",
        "80%",
        "95%",
        "decided in",
        wrap=("dimension", "region"),
    )
    runs = "of paths" if result.method == "analytic" else "of runs"
    for s in result.strata:
        table.add_row(
            s.dimension,
            s.region,
            _labels(s.labels_80),
            _labels(s.labels_95),
            f"{s.decided_share:.0%} {runs}",
        )
    console.print(table)


@app.command()
def plan(
    study: Path = STUDY_ARGUMENT,
    judge_se: float = typer.Option(0.9, help="Prior sensitivity of the judges."),
    judge_sp: float = typer.Option(0.9, help="Prior specificity of the judges."),
    delta: float | None = typer.Option(
        None, help="Assume this Δ in every cell (e.g. 0) rather than the judge's estimate."
    ),
    simulate: bool = typer.Option(
        False, help="Run the label loop itself on simulated studies (minutes) as a check."
    ),
    replications: int = typer.Option(20, min=2, help="With --simulate: simulated studies."),
    batch: int = typer.Option(20, min=1, help="Items per labelling batch."),
    store: str | None = STORE_OPTION,
    seed: int = typer.Option(0, help="Seed of the simulation."),
    as_json: bool = JSON_OPTION,
) -> int:
    """Labels needed to decide, before any label: per cell, region and dimension, and the
    cost.

    From the judged responses and a prior on judge quality, the label loop's rule applied
    to a normal approximation of the calibrated estimate gives the labels each cell needs
    to be decided with 80% and 95% probability, and says why a cell is not reached (the
    margin at this judge quality, the pool of items, the budget). --simulate runs the loop
    itself instead (slower).
    """
    with count_bar() as bar:
        task = bar.add_task("simulating studies" if simulate else "planning strata", total=None)
        result = plan_step(
            study,
            JudgePrior(judge_se, judge_sp),
            store=store,
            simulate=simulate,
            delta=delta,
            replications=replications,
            batch_units=batch,
            seed=seed,
            on_progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        print_json(_json(result))
        return 0
    if result.cells:
        _print_cells(result)
    _print_strata(result)
    for level, total in (("80%", result.total_80), ("95%", result.total_95)):
        hours = result.hours(total)
        if total is None or hours is None:
            console.print(
                f"whole study decided with {level} probability: not within the "
                "budget and the judged responses"
            )
        else:
            console.print(
                f"whole study decided with {level} probability: {total} labels "
                f"≈ {hours:.1f} reviewer hours"
            )
    return 0
