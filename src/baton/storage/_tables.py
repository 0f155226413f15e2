"""The current schema of a store, as SQLAlchemy Core tables (one definition, both backends).

This is what the code reads and writes. ``_migrations`` brings a store to this shape; a test
checks that a freshly migrated store matches these tables column by column.

Key columns compare byte-wise on both backends (``COLLATE "C"`` on PostgreSQL, SQLite's
default ``BINARY``), so ``ORDER BY`` a key gives the same order everywhere: code-point order,
the order of Python's ``sorted``. Timestamps are stored in UTC and read back timezone-aware.
JSON (an item's context, a run's summary) is stored as text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

__all__ = [
    "KEY",
    "UtcDateTime",
    "items",
    "labels",
    "metadata",
    "responses",
    "runs",
    "schema_migrations",
    "verdicts",
]

KEY = String().with_variant(String(collation="C"), "postgresql")
"""The type of key columns: text compared byte-wise, so both backends sort alike."""


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC (SQLite keeps no zone: UTC is implied)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a stored datetime must be timezone-aware, got {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", KEY, primary_key=True),
    Column("applied_at", UtcDateTime(), nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("item_id", KEY, primary_key=True),
    Column("region", String, nullable=False, index=True),
    Column("prompt", Text, nullable=False),
    Column("context", Text, nullable=False),
    Column("segment", String, nullable=True),
    Column("reference", Text, nullable=True),
    Column("expected_behaviour", String, nullable=True),
    Column("weight", Float, nullable=False),
)

responses = Table(
    "responses",
    metadata,
    Column("item_id", KEY, primary_key=True),
    Column("model", KEY, primary_key=True, index=True),
    Column("text", Text, nullable=True),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("latency_s", Float, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("error", Text, nullable=True),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("item_id", KEY, primary_key=True),
    Column("model", KEY, primary_key=True),
    Column("dimension", KEY, primary_key=True, index=True),
    Column("judge", KEY, primary_key=True),
    Column("judge_version", String, nullable=False),
    Column("category", Integer, nullable=True),
    Column("rationale", Text, nullable=False),
    Column("abstention", Text, nullable=True),
)

labels = Table(
    "labels",
    metadata,
    Column("item_id", KEY, primary_key=True),
    Column("model", KEY, primary_key=True),
    Column("dimension", KEY, primary_key=True, index=True),
    Column("rater", KEY, primary_key=True),
    Column("value", Integer, nullable=False),
    Column("inclusion_prob", Float, nullable=False),
    Column("note", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("step", String, nullable=False),
    Column("fingerprint", String, nullable=False),
    Column("status", String, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("summary", Text, nullable=False),
    sqlite_autoincrement=True,
)
