"""The ``baton`` console script: every error becomes one line and an exit code, here.

A Baton error (bad input, a study file at fault, a store that cannot be opened) is its own
message; a usage error (a missing argument, an unknown option) is Typer's message with the
command it belongs to; anything else is a bug, told in one line that names the command,
the files it was given and the exception's type, never its message (which may quote the
data being read). Each exits with its documented code, never 1 (no-go) or 3
(inconclusive): 2 for usage errors and invalid input, 4 for everything else. ``--debug``
(anywhere on the command line) or ``BATON_DEBUG=1`` prints the full traceback as well.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

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
    status,
)
from baton.cli._app import EXIT_CODES, app, err_console
from baton.errors import BatonError, InputError, StepInterruptedError, StoreUrlError, StudyError
from baton.providers import key_redactor

__all__ = ["DEBUG_FLAG", "DEBUG_VARIABLE", "main", "run"]

DEBUG_FLAG = "--debug"
DEBUG_VARIABLE = "BATON_DEBUG"
_USAGE_ERRORS = (StudyError, InputError, StoreUrlError)
_MAX_INPUTS_SHOWN = 3
_HELP_INSTEAD = "NoArgsIsHelpError"
"""Typer's usage error for a command called bare: it has printed the command's help."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit code (documented in the README)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in _options_of(args) or os.environ.get(DEBUG_VARIABLE, "") == "1"
    if DEBUG_FLAG in _options_of(args):
        args.remove(DEBUG_FLAG)
    try:
        code = app(args=args, prog_name="baton", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except Exception as exc:  # the last guard: whatever it was, one line and an exit code
        return _failed(exc, args, debug=debug)
    return code if isinstance(code, int) else 0


def _failed(exc: Exception, args: list[str], *, debug: bool) -> int:
    """Say what went wrong in one line (after the traceback, with ``debug``); the code."""
    if isinstance(exc, typer.Abort):
        _say("aborted")
        return 130
    if isinstance(exc, typer.TyperException):
        _usage_error(exc)
        return EXIT_CODES["usage"]
    if isinstance(exc, StepInterruptedError):  # Ctrl-C in a step: how far, how to resume
        err_console.print(f"[yellow]interrupted:[/] {escape(_one_line(str(exc)))}")
        return 130
    if debug:
        traceback.print_exception(exc)
    if isinstance(exc, (BatonError, OSError)):
        _say(str(exc) or type(exc).__name__)
        return EXIT_CODES["usage" if isinstance(exc, _USAGE_ERRORS) else "runtime"]
    _say(_unexpected(args, exc, debug=debug))
    return EXIT_CODES["runtime"]


def run() -> None:
    """Entry point of the console script."""
    sys.exit(main())


def _options_of(args: list[str]) -> list[str]:
    """The arguments before ``--`` (after it, ``--debug`` would be a file's name)."""
    return args[: args.index("--")] if "--" in args else args


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _say(line: str) -> None:
    """One line on stderr, with the providers' default API keys redacted (a model's own key
    variable is redacted where its calls are made)."""
    message = key_redactor()(_one_line(line))
    err_console.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)


def _usage_error(exc: typer.TyperException) -> None:
    """Typer's message in one line, with the command it belongs to. A group or command
    called without the arguments it needs shows its help instead (Typer prints it)."""
    if type(exc).__name__ == _HELP_INSTEAD:
        return
    ctx = getattr(exc, "ctx", None)
    message = exc.format_message()
    if ctx is None:
        _say(message)
        return
    _say(f"{ctx.command_path}: {message} (see {ctx.command_path} --help)")


def _unexpected(args: list[str], exc: Exception, *, debug: bool) -> str:
    """The command, the files it was given and the exception's type; not its message."""
    words = [a for a in _options_of(args) if not a.startswith("-")]
    command = " ".join(["baton", *words[: 2 if words[:1] == ["review"] else 1]])
    files = [a for a in words[1:] if _is_file(a)]
    on = f" on {', '.join(files[:_MAX_INPUTS_SHOWN])}" if files else ""
    if len(files) > _MAX_INPUTS_SHOWN:
        on += f" and {len(files) - _MAX_INPUTS_SHOWN} more"
    hint = f"; run again with {DEBUG_FLAG} (or {DEBUG_VARIABLE}=1) for the traceback"
    hint = "" if debug else hint
    return f"{command} failed{on}: unexpected {type(exc).__name__} (a bug in Baton){hint}"


def _is_file(arg: str) -> bool:
    try:
        return Path(arg).is_file()
    except (OSError, ValueError):
        return False
