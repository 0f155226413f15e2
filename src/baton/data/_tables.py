"""Estimation tables from files: CSV, JSON Lines or Parquet, one row per (item, model,
dimension), as ``baton estimate`` reads them. JSON Lines are checked line by line first,
as logs are (UTF-8, one object a line, no key twice, no line over 16 MiB); an error names
the file (and the line where it can), never the data."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pandas as pd

from baton.data._logfiles import check_jsonl
from baton.errors import InputError

__all__ = ["read_table"]

_MAX_MESSAGE = 200


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, JSONL (or JSON lines) or Parquet table; errors name the file."""
    source = str(path)
    suffixes = "".join(Path(path).suffixes[-2:]).lower()
    try:
        if suffixes.endswith((".csv", ".csv.gz")):
            return pd.read_csv(path, dtype={"item_id": str}, keep_default_na=True)
        if suffixes.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".json")):
            check_jsonl(Path(path))
            return pd.read_json(path, lines=True, dtype={"item_id": str})
        if suffixes.endswith(".parquet"):
            import duckdb  # noqa: PLC0415  (the Parquet reader; imported only when used)

            try:
                frame: pd.DataFrame = duckdb.read_parquet(source).df()
                return frame
            except duckdb.Error as exc:
                raise InputError(
                    f"cannot read the Parquet table: {_first_line(exc)}", source=source
                ) from None
    except (OSError, ValueError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read the table: {_reason(exc)}", source=source) from None
    raise InputError("unknown table format: use .csv, .jsonl or .parquet", source=source)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return "the gzip data is corrupt or cut short"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    """The first line of the message, cut short: a reader's message may quote the data."""
    lines = str(exc).strip().splitlines()
    return lines[0][:_MAX_MESSAGE] if lines else type(exc).__name__
