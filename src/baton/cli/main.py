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
    labels,
    next_batch,
    plan,
    replay,
    report,
    review,
    schema,
)
from baton.cli._app import EXIT_CODES, app, err_console
from baton.errors import BatonError, InputError, StudyError

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
    except (StudyError, InputError) as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_CODES["usage"]
    except (BatonError, OSError) as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return EXIT_CODES["runtime"]
    return code if isinstance(code, int) else 0


def run() -> None:
    """Entry point of the console script."""
    sys.exit(main())
