"""The ``baton`` Typer application, its shared console and the conventions every command
follows: the study an optional argument defaulting to ``study.yaml``, ``--store`` for
another store, ``-o/--output`` a file, ``--json`` for the result as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import typer
from rich.console import Console
from typer.core import TyperGroup

from baton._version import __version__
from baton.replay import BatchMode, BatchRetry
from baton.steps import BatchSettings

__all__ = [
    "BATCH_OPTION",
    "BATCH_RETRY_OPTION",
    "BATCH_SIZE_OPTION",
    "COMMAND_ORDER",
    "EXIT_CODES",
    "JSON_OPTION",
    "POLL_INTERVAL_OPTION",
    "STORE_OPTION",
    "STUDY_ARGUMENT",
    "app",
    "batch_settings",
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

BATCH_OPTION = typer.Option(
    False,
    "--batch",
    help="Go through the providers' batch APIs (OpenAI Batch, Anthropic Message Batches): "
    "about half the price, answered within 24 h; a re-run resumes the open batches.",
)
POLL_INTERVAL_OPTION = typer.Option(
    30.0, "--poll-interval", min=0.0, help="With --batch: seconds between looks at the batches."
)
BATCH_SIZE_OPTION = typer.Option(
    None,
    "--batch-size",
    min=1,
    help="With --batch: requests per batch at most (default: each API's own limit).",
)
BATCH_RETRY_OPTION = typer.Option(
    "batch",
    "--batch-retry",
    help="With --batch: what a batch could not answer is asked in one follow-up batch "
    "('batch'), interactively ('interactive') or left failed for the next run ('none').",
)


def batch_settings(
    enabled: bool, *, poll_interval_s: float, max_requests: int | None, retry: str
) -> BatchSettings | None:
    """The step's batch settings (None without ``--batch``); a bad ``--batch-retry`` is a
    usage error."""
    if retry not in get_args(BatchRetry):
        raise typer.BadParameter(f"--batch-retry takes {', '.join(get_args(BatchRetry))}")
    if not enabled:
        return None
    mode = BatchMode(poll_interval_s=poll_interval_s, max_requests=max_requests, retry=retry)  # type: ignore[arg-type]  # checked above
    return BatchSettings(mode, on_event=lambda line: err_console.print(line, markup=False))
