"""``baton estimate``: calibrated pass rates from a table of judge scores and human labels."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from baton.calibration import Estimates, Method
from baton.cli._app import JSON_OPTION, app, console
from baton.cli._render import delta_pp, new_table, write_atomically
from baton.steps import estimate


def estimates_table(result: Estimates) -> Table:
    """Pass rates, and the comparisons with the baseline when there is one."""
    table = new_table(
        f"Pass rates ({result.method}, {result.level:.0%} intervals)",
        "dimension",
        "model",
        "region",
        "estimate",
        "interval",
        "labels",
        "judge",
        right=("labels",),
        wrap=("dimension", "model", "region"),
    )
    for e in result.estimates:
        s = e.stratum
        if e.calibrated:
            cells = (f"{e.mean:.3f}", f"[{e.lower:.3f}, {e.upper:.3f}]")
        else:
            cells = ("uncalibrated", "—")
        judge = "—" if math.isnan(e.judge_mean) else f"{e.judge_mean:.3f}"
        table.add_row(s.dimension, s.model, s.region, *cells, str(e.n_labelled), judge)
    return table


def comparisons_table(result: Estimates) -> Table:
    table = new_table(
        f"Candidate − {result.baseline}",
        "dimension",
        "candidate",
        "region",
        "Δ",
        "P(Δ > −margin)",
        wrap=("dimension", "candidate", "region"),
    )
    for c in result.comparisons:
        if c.calibrated:
            cells: tuple[str, ...] = (delta_pp(c.mean, c.lower, c.upper), f"{c.p_noninferior:.3f}")
        else:
            cells = ("uncalibrated", "—")
        table.add_row(c.dimension, c.candidate, c.region, *cells)
    return table


@app.command("estimate")
def estimate_command(
    table: Path = typer.Argument(
        ..., help="CSV, JSONL or Parquet: one row per item, model, dimension."
    ),
    signal: list[str] = typer.Option(..., "--signal", help="Automated signal column (repeatable)."),
    baseline: str | None = typer.Option(None, help="Model to compare the others with."),
    margin: float | None = typer.Option(None, help="Non-inferiority margin, e.g. 0.02."),
    level: float = typer.Option(0.9, help="Credible interval level."),
    method: Method = typer.Option("bayes", help="bayes, ppi, human or judge."),
    seed: int = typer.Option(0, help="Random seed of the posterior draws."),
    pool_regions: bool = typer.Option(
        False,
        "--pool-regions",
        help="Pool each region's difference with the other regions' (decision.pool_regions).",
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the JSON result here."),
    as_json: bool = JSON_OPTION,
) -> int:
    """Calibrate judge scores against the human labels: pass rates with credible intervals.

    Rows with the same item_id and different models are answers to the same prompt, which
    makes paired comparisons possible. Writes the versioned JSON with -o.
    """
    result = estimate(
        table,
        signal,
        baseline=baseline,
        margin=margin,
        level=level,
        method=method,
        seed=seed,
        pool_deltas=pool_regions,
    )
    if as_json:
        text = result.to_json()
        print(text, end="" if text.endswith("\n") else "\n")
        if output is not None:
            write_atomically(output, text)
        return 0
    console.print(estimates_table(result))
    if result.comparisons:
        console.print(comparisons_table(result))
    for warning in result.diagnostics.warnings:
        console.print(f"[yellow]warning:[/] {warning}", markup=True, highlight=False)
    if output is not None:
        write_atomically(output, result.to_json())
        console.print(f"wrote {output}")
    return 0
