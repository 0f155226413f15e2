"""The ``baton`` console script: every error becomes one line and an exit code, here."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from baton.cli import (  # noqa: F401  (registers the commands)
    check,
    decide,
    demo,
    estimate,
    ingest,
    init,
    judge,
    next_batch,
    plan,
    replay,
    report,
    review,
    schema,
    status,
)
from baton.cli._app import EXIT_CODES, app, err_console
from baton.errors import BatonError, InputError, StepInterruptedError, StudyError

__all__ = ["main", "run"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit code (documented in the README)."""
    try:
        code = app(args=argv, prog_name="baton", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_CODES["usage"]
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except (BatonError, OSError) as exc:
        label = (
            "[yellow]interrupted:[/]" if isinstance(exc, StepInterruptedError) else "[red]error:[/]"
        )
        err_console.print(f"{label} {escape(str(exc))}", soft_wrap=True)
        return _exit_code(exc)
    return code if isinstance(code, int) else 0


def _exit_code(error: BaseException) -> int:
    if isinstance(error, StepInterruptedError):
        return 130
    if isinstance(error, StudyError | InputError):
        return EXIT_CODES["usage"]
    return EXIT_CODES["runtime"]


def run() -> None:
    """Entry point of the console script."""
    sys.exit(main())
