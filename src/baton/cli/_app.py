"""The ``baton`` Typer application, its shared console and the conventions every command
follows: the study an optional argument defaulting to ``study.yaml``, ``--store`` for
another store, ``-o/--output`` a file, ``--json`` for the result as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from baton._version import __version__

__all__ = [
    "COMMAND_ORDER",
    "EXIT_CODES",
    "JSON_OPTION",
    "STORE_OPTION",
    "STUDY_ARGUMENT",
    "app",
    "console",
    "err_console",
]

COMMAND_ORDER = (
    "init",
    "check",
    "ingest",
    "replay",
    "judge",
    "judges",
    "status",
    "next",
    "labels",
    "review",
    "decide",
    "plan",
    "report",
    "estimate",
    "demo",
    "schema",
)
"""The commands in the order of the work, as ``baton --help`` lists them."""


class _WorkflowOrder(TyperGroup):
    """Lists the commands in workflow order, not alphabetically."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: index for index, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"baton {__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    name="baton",
    cls=_WorkflowOrder,
    help=(
        "Replace the LLM behind your product and know the replacement is at least as good, "
        "region by region: replay production prompts, judge every answer automatically, "
        "calibrate the judges with as few human labels as the evidence allows, and decide "
        "go / no-go."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print Baton's version."
    ),
    debug: bool = typer.Option(
        False,
        "--debug",
        help="On an unexpected error, print the full traceback (also BATON_DEBUG=1); it may "
        "go anywhere on the command line (baton.cli.main reads it before parsing).",
    ),
) -> None:
    """Replace the LLM behind your product and know the replacement is at least as good,
    region by region: replay production prompts, judge every answer automatically,
    calibrate the judges with as few human labels as the evidence allows, and decide go /
    no-go."""


console = Console()
err_console = Console(stderr=True)

EXIT_CODES = {"go": 0, "no_go": 1, "usage": 2, "inconclusive": 3, "runtime": 4}
"""Documented exit codes: 0 go, 1 no-go, 2 usage error, 3 inconclusive, 4 runtime error."""

STUDY_ARGUMENT = typer.Argument(
    Path("study.yaml"), metavar="STUDY", help="The study file (default: study.yaml)."
)
STORE_OPTION = typer.Option(
    None, "--store", help="Store URL (default: the study's, else baton.db beside it)."
)
JSON_OPTION = typer.Option(False, "--json", help="Print the result as JSON on stdout.")
