"""``baton plan``: how many human labels the study will need, before any is collected."""

from __future__ import annotations

from pathlib import Path

import typer

from baton.cli._app import JSON_OPTION, STORE_OPTION, STUDY_ARGUMENT, app, console
from baton.cli._render import count_bar, new_table, print_json
from baton.decision import JudgePrior
from baton.steps import plan as plan_step


def _labels(value: int | None) -> str:
    return "not reached" if value is None else str(value)


@app.command()
def plan(
    study: Path = STUDY_ARGUMENT,
    judge_se: float = typer.Option(0.9, help="Prior sensitivity of the judges."),
    judge_sp: float = typer.Option(0.9, help="Prior specificity of the judges."),
    replications: int = typer.Option(20, min=2, help="Simulated studies."),
    batch: int = typer.Option(20, min=1, help="Items per labelling batch."),
    store: str | None = STORE_OPTION,
    seed: int = typer.Option(0, help="Seed of the simulation."),
    as_json: bool = JSON_OPTION,
) -> int:
    """Labels needed to decide, before any label: per region and dimension, and the cost.

    Simulates the labelling loop on the judged responses under a prior on judge quality:
    the labels each region and dimension needs to be decided with 80% and 95% probability.
    """
    with count_bar() as bar:
        task = bar.add_task("simulating studies", total=replications)
        result = plan_step(
            study,
            JudgePrior(judge_se, judge_sp),
            store=store,
            replications=replications,
            batch_units=batch,
            seed=seed,
            on_replication=lambda done: bar.update(task, completed=done),
        )
    if as_json:
        print_json(
            {
                "strata": [
                    {
                        "dimension": s.dimension,
                        "region": s.region,
                        "labels_80": s.labels_80,
                        "labels_95": s.labels_95,
                        "decided_share": s.decided_share,
                    }
                    for s in result.strata
                ],
                "total_80": result.total_80,
                "total_95": result.total_95,
                "hours_80": result.hours(result.total_80),
                "hours_95": result.hours(result.total_95),
            }
        )
        return 0
    table = new_table(
        "Labels to decide",
        "dimension",
        "region",
        "80%",
        "95%",
        "decided in",
        wrap=("dimension", "region"),
    )
    for s in result.strata:
        table.add_row(
            s.dimension,
            s.region,
            _labels(s.labels_80),
            _labels(s.labels_95),
            f"{s.decided_share:.0%} of runs",
        )
    console.print(table)
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
