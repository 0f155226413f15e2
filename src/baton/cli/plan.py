"""``baton plan``: how many human labels the study will need, before any is collected."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from baton.cli._app import app, console
from baton.decision import JudgePrior
from baton.steps import plan as plan_step


def _labels(value: int | None) -> str:
    return "not reached" if value is None else str(value)


@app.command()
def plan(
    study: Path = typer.Argument(Path("study.yaml"), help="The study file."),
    judge_se: float = typer.Option(0.9, help="Prior sensitivity of the judges."),
    judge_sp: float = typer.Option(0.9, help="Prior specificity of the judges."),
    replications: int = typer.Option(20, min=2, help="Simulated studies."),
    batch: int = typer.Option(20, min=1, help="Items per labelling batch."),
    store: str | None = typer.Option(None, help="Store URL (default: the study's)."),
    seed: int = typer.Option(0, help="Seed of the simulation."),
) -> int:
    """Simulate the labelling loop on the judged responses under a prior on judge quality:
    labels per region and dimension to decide with 80% and 95% probability, and the cost."""
    result = plan_step(
        study,
        JudgePrior(judge_se, judge_sp),
        store=store,
        replications=replications,
        batch_units=batch,
        seed=seed,
    )
    table = Table(title="Labels to decide", title_justify="left")
    for column in ("dimension", "region", "80%", "95%", "decided in"):
        table.add_column(column)
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
