"""Ordered, named schema migrations, in the shape of simonw/llm's ``migrations.py``.

``MIGRATIONS`` lists ``(name, function)`` pairs in the order they apply; each function takes
a ``Connection`` already inside a transaction. ``migrate`` applies, in that one transaction,
every migration whose name is not yet in ``schema_migrations`` and records it there, so a
store is migrated completely or not at all, and re-opening a store applies nothing twice. A
store naming a migration this code does not know was written by a newer Baton: refused.

To change the schema, change ``_tables`` and append one function::

    @_migration
    def m002_response_finish_reason(connection: Connection) -> None:
        connection.execute(text("ALTER TABLE responses ADD COLUMN finish_reason TEXT"))

Never edit a released migration. ``m001_initial`` creates the tables as first released from
its own snapshot below, not from ``_tables``, so it keeps doing exactly that after
``_tables`` moves on (a test checks that all migrations together give ``_tables``' shape).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)

from baton.errors import StorageError
from baton.storage._tables import KEY, UtcDateTime, schema_migrations

__all__ = ["MIGRATIONS", "Migration", "migrate"]

Migration = Callable[[Connection], None]

MIGRATIONS: list[tuple[str, Migration]] = []
"""Every migration, in the order it applies. Append only."""

_PG_LOCK_KEY = 0x6261746F6E  # "baton": serialises concurrent migrations on one database


def _migration(function: Migration) -> Migration:
    """Register ``function`` as the next migration, under its own name."""
    MIGRATIONS.append((function.__name__, function))
    return function


def migrate(connection: Connection) -> list[str]:
    """Bring the store on ``connection`` up to date; return the names of what was applied.

    Runs inside the caller's transaction: if anything fails, nothing is applied.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    schema_migrations.create(connection, checkfirst=True)
    applied = set(connection.scalars(select(schema_migrations.c.name)))
    unknown = sorted(applied - {name for name, _ in MIGRATIONS})
    if unknown:
        where = connection.engine.url.render_as_string(hide_password=True)
        raise StorageError(
            f"store {where} was written by a newer Baton: it has migrations this version "
            f"does not know ({', '.join(unknown)}); upgrade Baton to open it"
        )
    done: list[str] = []
    for name, function in MIGRATIONS:
        if name in applied:
            continue
        function(connection)
        connection.execute(
            insert(schema_migrations).values(name=name, applied_at=datetime.now(UTC))
        )
        done.append(name)
    return done


# The schema as first released (Baton 0.1). A snapshot: never change it.
_v1 = MetaData()
Table(
    "items",
    _v1,
    Column("item_id", KEY, primary_key=True),
    Column("region", String, nullable=False, index=True),
    Column("prompt", Text, nullable=False),
    Column("context", Text, nullable=False),
    Column("segment", String, nullable=True),
    Column("reference", Text, nullable=True),
    Column("expected_behaviour", String, nullable=True),
    Column("weight", Float, nullable=False),
)
Table(
    "responses",
    _v1,
    Column("item_id", KEY, primary_key=True),
    Column("model", KEY, primary_key=True, index=True),
    Column("text", Text, nullable=True),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("latency_s", Float, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("error", Text, nullable=True),
)
Table(
    "verdicts",
    _v1,
    Column("item_id", KEY, primary_key=True),
    Column("model", KEY, primary_key=True),
    Column("dimension", KEY, primary_key=True, index=True),
    Column("judge", KEY, primary_key=True),
    Column("judge_version", String, nullable=False),
    Column("category", Integer, nullable=True),
    Column("rationale", Text, nullable=False),
    Column("abstention", Text, nullable=True),
)
Table(
    "labels",
    _v1,
    Column("item_id", KEY, primary_key=True),
    Column("model", KEY, primary_key=True),
    Column("dimension", KEY, primary_key=True, index=True),
    Column("rater", KEY, primary_key=True),
    Column("value", Integer, nullable=False),
    Column("inclusion_prob", Float, nullable=False),
    Column("note", Text, nullable=False),
)
Table(
    "runs",
    _v1,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("step", String, nullable=False),
    Column("fingerprint", String, nullable=False),
    Column("status", String, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("summary", Text, nullable=False),
    sqlite_autoincrement=True,
)


@_migration
def m001_initial(connection: Connection) -> None:
    """Create the items, responses, verdicts, labels and runs tables."""
    _v1.create_all(connection, checkfirst=False)


# The replay cache as first released (Baton 0.2). A snapshot: never change it.
_v2 = MetaData()
Table(
    "replay_cache",
    _v2,
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


@_migration
def m002_replay_cache(connection: Connection) -> None:
    """Create the replay cache; record why each response stopped (``finish_reason``)."""
    _v2.create_all(connection, checkfirst=False)
    connection.execute(text("ALTER TABLE responses ADD COLUMN finish_reason VARCHAR"))


@_migration
def m003_ingest(connection: Connection) -> None:
    """Items keep their inclusion probability and deduplicated frequency; a response says
    whether it was replayed or taken from the production logs (``source``)."""
    for statement in (
        "ALTER TABLE items ADD COLUMN inclusion_prob FLOAT NOT NULL DEFAULT 1.0",
        "ALTER TABLE items ADD COLUMN frequency INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE responses ADD COLUMN source VARCHAR NOT NULL DEFAULT 'replayed'",
    ):
        connection.execute(text(statement))


# The review app's tables as first released (Baton 0.4). A snapshot: never change it.
_v4 = MetaData()
Table(
    "review_raters",
    _v4,
    Column("name", KEY, primary_key=True),
    Column("role", String, nullable=False),
    Column("token_hash", String, nullable=False),
    Column("quota", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_review_raters_token_hash", "token_hash", unique=True),
)
Table(
    "review_slots",
    _v4,
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
Table(
    "review_skips",
    _v4,
    Column("item_id", KEY, primary_key=True),
    Column("dimension", KEY, primary_key=True),
    Column("rater", KEY, primary_key=True),
    Column("reason", String, nullable=False),
    Column("note", Text, nullable=False),
    Column("skipped_at", UtcDateTime(), nullable=False),
)


@_migration
def m004_review(connection: Connection) -> None:
    """The review app: raters (tokens stored hashed), label slots with their claims (one
    rater per slot; a rater never holds two copies of one unit), and skipped units."""
    _v4.create_all(connection, checkfirst=False)


@_migration
def m005_judge_costs(connection: Connection) -> None:
    """A verdict keeps the judge's finer outcome (e.g. over- or under-refusal) and what
    judging the response cost: tokens and USD."""
    for statement in (
        "ALTER TABLE verdicts ADD COLUMN outcome VARCHAR",
        "ALTER TABLE verdicts ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE verdicts ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE verdicts ADD COLUMN cost_usd FLOAT NOT NULL DEFAULT 0",
    ):
        connection.execute(text(statement))


# The label loop's looks and frozen calls as first released. A snapshot: never change it.
_v6 = MetaData()
Table(
    "decision_looks",
    _v6,
    Column("dimension", KEY, primary_key=True),
    Column("region", KEY, primary_key=True),
    Column("information", Float, primary_key=True),
    Column("time", Float, nullable=False),
    Column("looked_at", UtcDateTime(), nullable=False),
)
Table(
    "decision_calls",
    _v6,
    Column("candidate", KEY, primary_key=True),
    Column("dimension", KEY, primary_key=True),
    Column("region", KEY, primary_key=True),
    Column("outcome", String, nullable=False),
    Column("p_noninferior", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("information", Float, nullable=False),
    Column("called_at", UtcDateTime(), nullable=False),
)


@_migration
def m006_decision_looks(connection: Connection) -> None:
    """The label loop's looks at each region and dimension, and the calls made at them
    (frozen once made), so every decision is made at its look's interim threshold."""
    _v6.create_all(connection, checkfirst=False)


# The store's own secrets as first released. A snapshot: never change it.
_v7 = MetaData()
Table(
    "store_secrets",
    _v7,
    Column("name", KEY, primary_key=True),
    Column("value", String, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
# The study versions as first released. A snapshot: never change it.
_v8 = MetaData()
Table(
    "study_versions",
    _v8,
    Column("digest", KEY, primary_key=True),
    Column("fingerprint", String, nullable=False),
    Column("study", Text, nullable=False),
    Column("first_seen", UtcDateTime(), nullable=False),
    Column("last_seen", UtcDateTime(), nullable=False),
)
# The labelling sheets' units as first released. A snapshot: never change it.
_v9 = MetaData()
Table(
    "label_sheet_units",
    _v9,
    Column("unit", KEY, primary_key=True),
    Column("item_id", KEY, nullable=False),
    Column("dimension", KEY, nullable=False),
    Column("region", String, nullable=False),
    Column("inclusion_prob", Float, nullable=False),
    Column("models", Text, nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
)
# The provider batches as first released. A snapshot: never change it.
_v10 = MetaData()
Table(
    "provider_batches",
    _v10,
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


@_migration
def m007_run_owners(connection: Connection) -> None:
    """A run records the process running it (host and pid) and when it last said it was
    alive (``heartbeat_at``), so a run whose process died is told from one still running and
    a step is run by one process at a time; the store keeps secrets of its own (the review
    app's CSRF key), created once."""
    stamp = UtcDateTime().compile(dialect=connection.dialect)
    for statement in (
        "ALTER TABLE runs ADD COLUMN owner_host VARCHAR",
        "ALTER TABLE runs ADD COLUMN owner_pid INTEGER",
        f"ALTER TABLE runs ADD COLUMN heartbeat_at {stamp}",
    ):
        connection.execute(text(statement))
    _v7.create_all(connection, checkfirst=False)


@_migration
def m008_study_versions(connection: Connection) -> None:
    """Every version of the study the store has seen (its JSON, when first and last seen),
    the request each response answered (``request_key``) and the answers each verdict
    judged (``case_key``), so an edited study redoes only what it changed."""
    _v8.create_all(connection, checkfirst=False)
    connection.execute(text("ALTER TABLE responses ADD COLUMN request_key VARCHAR"))
    connection.execute(text("ALTER TABLE verdicts ADD COLUMN case_key VARCHAR"))


@_migration
def m009_label_sheets(connection: Connection) -> None:
    """The units handed out on labelling sheets (``baton next -o``, ``baton labels
    export``): each unit's item, dimension, inclusion probability and the models in the
    order their answers were shown (A, B, ...), so an import can unblind the labels."""
    _v9.create_all(connection, checkfirst=False)


@_migration
def m010_provider_batches(connection: Connection) -> None:
    """The batches handed to a provider's batch API (``baton replay --batch``, ``baton judge
    --batch``): recorded before submission (state ``intent``), then with the provider's id,
    the custom ids they carry, and when they were submitted, finished and stored, so a killed
    run polls the same batches again and never submits one twice."""
    _v10.create_all(connection, checkfirst=False)
