"""``baton demo``: the whole job on an embedded simulated study, offline."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from baton.analysis import StudyResult, overall_outcome
from baton.calibration import ALL_REGIONS
from baton.cli._app import EXIT_CODES, app, console
from baton.workflow import DemoOptions, run_demo

_STYLE = {"go": "green", "no_go": "red", "inconclusive": "yellow"}


def verdict_table(result: StudyResult) -> Table:
    """One row per candidate: the call, and the pooled Δ per dimension."""
    dimensions = sorted({c.dimension for c in result.comparisons})
    table = Table(title="Migration verdict", title_justify="left")
    table.add_column("candidate")
    table.add_column("verdict")
    for dimension in dimensions:
        table.add_column(f"Δ {dimension} (all regions)", justify="right")
    table.add_column("why")
    for verdict in result.verdicts:
        cells = []
        for dimension in dimensions:
            comp = next(
                c
                for c in result.comparisons
                if c.candidate == verdict.candidate
                and c.dimension == dimension
                and c.region == ALL_REGIONS
            )
            cells.append(
                "n/a"
                if math.isnan(comp.mean)
                else f"{comp.mean:+.1%} [{comp.lower:+.1%}, {comp.upper:+.1%}]"
            )
        style = _STYLE[verdict.outcome]
        outcome = f"[{style}]{verdict.outcome.upper().replace('_', '-')}[/]"
        table.add_row(verdict.candidate, outcome, *cells, "; ".join(verdict.reasons[:3]))
    return table


@app.command()
def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", "-o", help="Folder for the reports."),
    seed: int = typer.Option(7, help="Seed of the simulated study."),
    store: str | None = typer.Option(
        None, help="Store URL (default: a SQLite file in the output folder)."
    ),
) -> int:
    """Run Baton end to end on a simulated study: no network, no API key.

    Six regions, an incumbent and two candidates, three dimensions. Writes report.html,
    report.md and result.json to the output folder and exits 0 when a candidate is a go,
    1 when every candidate is a no-go, 3 when undecided.
    """
    options = DemoOptions(seed=seed, store_url=store)
    with console.status("running the demo") as status:
        run = run_demo(out, options=options, progress=status.update)
    console.print(verdict_table(run.result))
    for path in (run.paths.html, run.paths.markdown, run.paths.json):
        console.print(f"wrote {path}")
    return EXIT_CODES[overall_outcome(run.result.verdicts)]
