"""``baton init``: write a commented example study.yaml."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from baton.cli._app import app, console


def example_study_text() -> str:
    """The commented example study shipped with Baton."""
    return resources.files("baton").joinpath("_example_study.yaml").read_text(encoding="utf-8")


@app.command()
def init(
    path: Path = typer.Argument(Path("study.yaml"), help="Where to write the example study."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> int:
    """Write a commented example study.yaml to start from."""
    if path.exists() and not force:
        raise typer.BadParameter(f"{path} exists; pass --force to overwrite it", param_hint="PATH")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(example_study_text(), encoding="utf-8")
    console.print(f"Wrote {path}. Edit it, then check it with any baton command.")
    return 0
