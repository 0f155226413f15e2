"""Engines for store URLs (SQLite files, PostgreSQL servers) and errors that name the store.

A store URL is never shown with its password: messages use ``describe``, which masks it.
psycopg is imported by SQLAlchemy only when a PostgreSQL URL is opened.

SQLite stores run in WAL mode with a busy timeout, so readers and a writer in other
processes wait for each other instead of failing, and with ``synchronous=NORMAL``, SQLite's
recommended setting for WAL: a commit does not wait for the disk (fsync happens at
checkpoints), so a committed transaction survives any crash of Baton itself, while a power
loss or an OS crash may undo the last few commits (never corrupting the file). On a
typical virtual disk that takes a commit from ~6 ms to ~0.2 ms, which the review app's
label submissions need (README, "Review app"). SQLAlchemy, not the ``sqlite3`` module,
issues ``BEGIN`` (the recipe of SQLAlchemy's SQLite documentation), which makes DDL
transactional, and a connection marked with the ``WRITE`` execution option begins with
``BEGIN IMMEDIATE``: it takes the write lock up front rather than failing to upgrade a read
lock halfway through a transaction.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, StatementError
from sqlalchemy.pool import StaticPool

from baton.errors import StorageError, StoreUrlError

__all__ = ["WRITE", "create_store_engine", "describe", "parse_store_url", "storage_error"]

WRITE = "baton_write"
"""Execution option marking a connection whose transaction will write."""

SQLITE_TIMEOUT_S = 30.0
POSTGRES_CONNECT_TIMEOUT_S = 10
POSTGRES_POOL_SIZE = 16
"""Connections a PostgreSQL engine keeps open. The review app serves each request on a
thread of its own, holding one connection at a time; with SQLAlchemy's default of 5, every
request beyond the fifth at once opened a connection (a new server process) and closed it
again. Connections are opened as needed, so a command that uses one holds one."""
_POSTGRES_DRIVERS = {"postgresql", "postgres", "postgresql+psycopg"}
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_USAGE = "use sqlite:///path/to/baton.db or postgresql://user@host/database"


def describe(url: URL) -> str:
    """The URL as it may be shown: with any password masked."""
    return url.render_as_string(hide_password=True)


def storage_error(url: URL, action: str, error: BaseException) -> StorageError:
    """A ``StorageError`` naming the store and what failed, without the SQL or a password."""
    reason = error.orig if isinstance(error, StatementError) and error.orig else error
    detail = " ".join(str(reason).split())
    message = f"store {describe(url)}: {action} failed: {detail or type(reason).__name__}"
    if url.password:
        message = message.replace(str(url.password), "***")
    return StorageError(message)


def parse_store_url(url: str) -> URL:
    """Parse a store URL; ``postgresql://`` (and ``postgres://``) mean psycopg 3."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreUrlError(f"not a store URL; {_USAGE}") from None
    backend = parsed.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        if parsed.drivername not in _POSTGRES_DRIVERS:
            raise StoreUrlError(
                f"store {describe(parsed)}: Baton talks to PostgreSQL through psycopg 3; "
                "use a postgresql:// or postgresql+psycopg:// URL"
            )
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in {"sqlite", "sqlite+pysqlite"}:
        raise StoreUrlError(f"store {describe(parsed)}: unsupported database; {_USAGE}")
    return parsed


def create_store_engine(url: URL, *, schema: str | None = None) -> Engine:
    """An engine for a parsed store URL; ``schema`` is the PostgreSQL schema to work in."""
    if url.get_backend_name() == "sqlite":
        if schema is not None:
            raise StorageError(f"store {describe(url)}: a schema applies to PostgreSQL only")
        return _sqlite_engine(url)
    return _postgres_engine(url, schema)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    options: dict[str, Any] = {}
    if database in {"", ":memory:"}:
        options["poolclass"] = StaticPool  # one connection, or each would see an empty store
    else:
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise storage_error(url, "creating the store's folder", error) from error
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_TIMEOUT_S, "check_same_thread": False}, **options
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN (see _sqlite_on_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=OFF")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    writes = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _postgres_engine(url: URL, schema: str | None) -> Engine:
    connect_args: dict[str, Any] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    if schema is not None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise StorageError(
                f"store {describe(url)}: schema {schema!r} is not a plain identifier "
                "(letters, digits and underscores, not starting with a digit)"
            )
        connect_args["options"] = f"-csearch_path={schema}"
    try:
        return create_engine(
            url, connect_args=connect_args, pool_pre_ping=True, pool_size=POSTGRES_POOL_SIZE
        )
    except ImportError as error:
        raise StorageError(
            f"store {describe(url)} is a PostgreSQL database, which needs psycopg: "
            "pip install 'baton-migrate[postgres]'"
        ) from error
