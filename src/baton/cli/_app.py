"""The ``baton`` Typer application and its shared console."""

from __future__ import annotations

import typer
from rich.console import Console

__all__ = ["EXIT_CODES", "app", "console", "err_console"]

app = typer.Typer(
    name="baton",
    help=(
        "Replace the LLM behind your product and know the replacement is at least as good, "
        "region by region: replay production prompts, judge every answer automatically, "
        "calibrate the judges with a few hundred human labels, and decide go / no-go."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

EXIT_CODES = {"go": 0, "no_go": 1, "usage": 2, "inconclusive": 3, "runtime": 4}
"""Documented exit codes: 0 go, 1 no-go, 2 usage error, 3 inconclusive, 4 runtime error."""


@app.callback()
def _options(
    debug: bool = typer.Option(
        False,
        "--debug",
        help="On an unexpected error, print the full traceback (also BATON_DEBUG=1); it may "
        "go anywhere on the command line.",
    ),
) -> None:
    """Options of every command (``baton.cli.main`` reads ``--debug`` before parsing)."""
