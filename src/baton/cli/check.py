"""``baton check``: validate a study.yaml and summarise it."""

from __future__ import annotations

from pathlib import Path

import typer

from baton.cli._app import app, console
from baton.steps import check as check_step


@app.command()
def check(
    path: Path = typer.Argument(Path("study.yaml"), help="The study file to validate."),
) -> int:
    """Validate a study file; an error names the file and the field at fault."""
    checked = check_step(path)
    study = checked.study
    console.print(
        f"{path}: study [bold]{study.name}[/] is valid (fingerprint {checked.fingerprint})"
    )
    console.print(
        f"  incumbent  {study.incumbent.name} ({study.incumbent.provider}:{study.incumbent.model})"
    )
    for cand in study.candidates:
        console.print(f"  candidate  {cand.name} ({cand.provider}:{cand.model})")
    regions = ", ".join(f"{r.name} {r.traffic_share:.0%}" for r in study.regions)
    console.print(f"  regions    {regions}")
    dims = ", ".join(f"{d.name} (margin {d.margin:g})" for d in study.dimensions)
    console.print(f"  dimensions {dims}")
    console.print(f"  labels     budget {study.labels.budget}")
    for warning in checked.warnings:
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    return 0
