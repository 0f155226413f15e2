"""Estimation tables from files: CSV, JSON Lines or Parquet, one row per (item, model,
dimension), as ``baton estimate`` reads them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from baton.errors import InputError

__all__ = ["read_table"]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, JSONL (or JSON lines) or Parquet table; errors name the file."""
    source = str(path)
    suffixes = "".join(Path(path).suffixes[-2:]).lower()
    try:
        if suffixes.endswith((".csv", ".csv.gz")):
            return pd.read_csv(path, dtype={"item_id": str}, keep_default_na=True)
        if suffixes.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".json")):
            return pd.read_json(path, lines=True, dtype={"item_id": str})
        if suffixes.endswith(".parquet"):
            import duckdb  # noqa: PLC0415  (the Parquet reader; imported only when used)

            try:
                frame: pd.DataFrame = duckdb.read_parquet(source).df()
                return frame
            except duckdb.Error as exc:
                raise InputError(f"cannot read the Parquet table: {exc}", source=source) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the table: {exc}", source=source) from None
    raise InputError("unknown table format: use .csv, .jsonl or .parquet", source=source)
