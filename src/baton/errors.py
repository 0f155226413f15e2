"""The one exception tree of Baton.

Every error Baton raises on purpose is a ``BatonError``; the CLI turns each into one line
and an exit code (see ``baton.cli.main``)::

    BatonError
    ├── StudyError                 study.yaml is invalid: names the file and the field
    ├── InputError                 a data file is invalid: names the file, row and field
    ├── ProviderError              a model provider failed
    │   ├── ProviderRetryableError     worth retrying (rate limit, timeout, 5xx)
    │   └── ProviderFatalError         not worth retrying (auth, bad request)
    ├── JudgeOutputError           a judge's output could not be parsed into a verdict
    ├── StorageError               the store cannot be read or written
    │   ├── StoreUrlError              the store URL is malformed or names another database
    │   ├── StudyMismatchError         (no longer raised: a store keeps every study version)
    │   └── StepBusyError              another process is running this step on the store
    ├── InsufficientLabelsError    too few human labels for the requested estimate
    ├── NotReadyError              an earlier step has not run yet (nothing to replay, judge)
    └── StepInterruptedError       a step was interrupted (Ctrl-C): how far it got, how to resume
"""

from __future__ import annotations

__all__ = [
    "BatonError",
    "InputError",
    "InsufficientLabelsError",
    "JudgeOutputError",
    "NotReadyError",
    "ProviderError",
    "ProviderFatalError",
    "ProviderRetryableError",
    "StepBusyError",
    "StepInterruptedError",
    "StorageError",
    "StoreUrlError",
    "StudyError",
    "StudyMismatchError",
]


class BatonError(Exception):
    """Root of every error Baton raises on purpose."""


class StudyError(BatonError):
    """The study specification is invalid."""

    def __init__(self, path: str, problems: list[tuple[str, str]]) -> None:
        self.path = path
        self.problems = problems
        detail = "; ".join(f"{field}: {message}" for field, message in problems)
        super().__init__(f"{path}: {detail}")


class InputError(BatonError):
    """A data file or table is invalid; names the file, the row and the field at fault."""

    def __init__(
        self, message: str, *, source: str, row: int | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.row = row
        self.field = field
        where = source
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class ProviderError(BatonError):
    """A model provider failed to answer.

    ``cause`` names the kind of failure in one word (``rate_limited``, ``timeout``,
    ``server_error``, ``connection``, ``malformed``, ``rejected``, ...): replay records it
    with each failed response and counts failures by it.
    """

    def __init__(self, message: str, *, cause: str = "provider_error") -> None:
        self.cause = cause
        super().__init__(message)


class ProviderRetryableError(ProviderError):
    """A provider failure that is worth retrying (rate limit, timeout, server error).

    ``retry_after_s`` is how long the provider asked to wait before the next request.
    """

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, cause: str = "unavailable"
    ) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message, cause=cause)


class ProviderFatalError(ProviderError):
    """A provider failure that retrying will not fix (authentication, bad request)."""

    def __init__(self, message: str, *, cause: str = "rejected") -> None:
        super().__init__(message, cause=cause)


class JudgeOutputError(BatonError):
    """A judge produced output that cannot be parsed into a verdict."""


class StorageError(BatonError):
    """The store cannot be opened, migrated, read or written."""


class StoreUrlError(StorageError):
    """The store URL is malformed or names a database Baton does not use (a usage error:
    the CLI exits 2)."""


class StudyMismatchError(StorageError):
    """Kept for code that catches it; no longer raised: a store keeps every version of its
    study, and an edit redoes only what it invalidated."""


class StepBusyError(StorageError):
    """Another live process is running the same step (replay, judge) on this store."""


class InsufficientLabelsError(BatonError):
    """Too few human labels to compute what was asked."""


class NotReadyError(BatonError):
    """A step found nothing to work on: the step before it has not run yet."""


class StepInterruptedError(BatonError):
    """A step was interrupted (Ctrl-C) after storing ``done`` of ``pending``; ``resume`` is
    the command that goes on from there."""

    def __init__(self, step: str, *, done: int, pending: int, resume: str) -> None:
        self.step = step
        self.done = done
        self.pending = pending
        self.resume = resume
        super().__init__(
            f"{step} interrupted: {done:,} of {pending:,} stored, {pending - done:,} left; "
            f"run {resume} to resume"
        )
