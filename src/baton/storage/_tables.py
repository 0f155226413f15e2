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
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

__all__ = [
    "KEY",
    "UtcDateTime",
    "items",
    "label_sheet_units",
    "labels",
    "metadata",
    "provider_batches",
    "replay_cache",
    "responses",
    "review_raters",
    "review_skips",
    "review_slots",
    "runs",
    "schema_migrations",
    "store_secrets",
    "study_versions",
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
    Column("inclusion_prob", Float, nullable=False, server_default=text("1.0")),
    Column("frequency", Integer, nullable=False, server_default=text("1")),
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
    Column("finish_reason", String, nullable=True),
    Column("source", String, nullable=False, server_default=text("'replayed'")),
    Column("request_key", String, nullable=True),
)

replay_cache = Table(
    "replay_cache",
    metadata,
    Column("key", KEY, primary_key=True),
    Column("provider", String, nullable=False),
    Column("model", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("latency_s", Float, nullable=False),
    Column("finish_reason", String, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
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
    Column("outcome", String, nullable=True),
    Column("input_tokens", Integer, nullable=False, server_default=text("0")),
    Column("output_tokens", Integer, nullable=False, server_default=text("0")),
    Column("cost_usd", Float, nullable=False, server_default=text("0")),
    Column("case_key", String, nullable=True),
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
    Column("owner_host", String, nullable=True),
    Column("owner_pid", Integer, nullable=True),
    Column("heartbeat_at", UtcDateTime(), nullable=True),
    sqlite_autoincrement=True,
)

store_secrets = Table(
    "store_secrets",
    metadata,
    Column("name", KEY, primary_key=True),
    Column("value", String, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

review_raters = Table(
    "review_raters",
    metadata,
    Column("name", KEY, primary_key=True),
    Column("role", String, nullable=False),
    Column("token_hash", String, nullable=False),
    Column("quota", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_review_raters_token_hash", "token_hash", unique=True),
)

review_slots = Table(
    "review_slots",
    metadata,
    Column("slot_id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", KEY, nullable=False),
    Column("dimension", KEY, nullable=False),
    Column("copy_no", Integer, nullable=False),
    Column("region", String, nullable=False),
    Column("inclusion_prob", Float, nullable=False),
    Column("order_seed", Integer, nullable=False),
    Column("rater", KEY, nullable=True),
    Column("claimed_at", UtcDateTime(), nullable=True),
    Column("done_at", UtcDateTime(), nullable=True),
    Index("ix_review_slots_unit_copy", "item_id", "dimension", "copy_no", unique=True),
    Index("ix_review_slots_unit_rater", "item_id", "dimension", "rater", unique=True),
    Index("ix_review_slots_open", "done_at", "slot_id"),
    Index("ix_review_slots_rater", "rater", "done_at"),
    sqlite_autoincrement=True,
)

review_skips = Table(
    "review_skips",
    metadata,
    Column("item_id", KEY, primary_key=True),
    Column("dimension", KEY, primary_key=True),
    Column("rater", KEY, primary_key=True),
    Column("reason", String, nullable=False),
    Column("note", Text, nullable=False),
    Column("skipped_at", UtcDateTime(), nullable=False),
)

decision_looks = Table(
    "decision_looks",
    metadata,
    Column("dimension", KEY, primary_key=True),
    Column("region", KEY, primary_key=True),
    Column("information", Float, primary_key=True),
    Column("time", Float, nullable=False),
    Column("looked_at", UtcDateTime(), nullable=False),
)

decision_calls = Table(
    "decision_calls",
    metadata,
    Column("candidate", KEY, primary_key=True),
    Column("dimension", KEY, primary_key=True),
    Column("region", KEY, primary_key=True),
    Column("outcome", String, nullable=False),
    Column("p_noninferior", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("information", Float, nullable=False),
    Column("called_at", UtcDateTime(), nullable=False),
)

study_versions = Table(
    "study_versions",
    metadata,
    Column("digest", KEY, primary_key=True),
    Column("fingerprint", String, nullable=False),
    Column("study", Text, nullable=False),
    Column("first_seen", UtcDateTime(), nullable=False),
    Column("last_seen", UtcDateTime(), nullable=False),
)


label_sheet_units = Table(
    "label_sheet_units",
    metadata,
    Column("unit", KEY, primary_key=True),
    Column("item_id", KEY, nullable=False),
    Column("dimension", KEY, nullable=False),
    Column("region", String, nullable=False),
    Column("inclusion_prob", Float, nullable=False),
    Column("models", Text, nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
)


provider_batches = Table(
    "provider_batches",
    metadata,
    Column("batch_key", KEY, primary_key=True),
    Column("step", String, nullable=False, index=True),
    Column("provider", String, nullable=False),
    Column("model", String, nullable=False),
    Column("external_id", String, nullable=True),
    Column("state", String, nullable=False),
    Column("custom_ids", Text, nullable=False),
    Column("requests", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("stored_at", UtcDateTime(), nullable=True),
    Column("error", Text, nullable=True),
)
