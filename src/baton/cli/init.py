"""``baton init``: write a commented example study.yaml."""

from __future__ import annotations

from pathlib import Path

import typer

from baton.cli._app import app, console
from baton.steps import init as init_step


@app.command()
def init(
    path: Path = typer.Argument(Path("study.yaml"), help="Where to write the example study."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> int:
    """Write a commented example study.yaml to start from."""
    if path.exists() and not force:
        raise typer.BadParameter(f"{path} exists; pass --force to overwrite it", param_hint="PATH")
    written = init_step(path, force=force)
    console.print(f"Wrote {written}. Edit it, then check it with any baton command.")
    return 0
