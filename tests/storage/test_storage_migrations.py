"""Schema migrations, on every backend: applied once, in order, all or nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Connection, Engine, inspect, select, text

from baton.errors import StorageError
from baton.storage import Store, _migrations, _tables
from baton.storage._migrations import MIGRATIONS, Migration, migrate
from baton.storage._sql import SqlStore


def engine_of(store: Store) -> Engine:
    assert isinstance(store, SqlStore)
    return store.engine


def recorded(store: Store) -> dict[str, datetime]:
    table = _tables.schema_migrations
    with engine_of(store).connect() as connection:
        rows = connection.execute(select(table.c.name, table.c.applied_at))
        return {row.name: row.applied_at for row in rows}


def with_migration(monkeypatch: pytest.MonkeyPatch, name: str, function: Migration) -> None:
    monkeypatch.setattr(_migrations, "MIGRATIONS", [*MIGRATIONS, (name, function)])


def test_names_are_unique_and_ordered() -> None:
    names = [name for name, _ in MIGRATIONS]
    assert names[0] == "m001_initial"
    assert len(set(names)) == len(names)
    assert names == sorted(names)


def test_a_new_store_records_every_migration(store: Store) -> None:
    assert sorted(recorded(store)) == [name for name, _ in MIGRATIONS]


def test_reopening_applies_nothing_twice(opener: Callable[[], Store]) -> None:
    first = opener()
    before = recorded(first)
    first.close()
    again = opener()
    try:
        assert recorded(again) == before
        with engine_of(again).begin() as connection:
            assert migrate(connection) == []
    finally:
        again.close()


def test_the_migrated_schema_is_the_declared_one(store: Store) -> None:
    inspector = inspect(engine_of(store))
    assert set(inspector.get_table_names()) == set(_tables.metadata.tables)
    for name, table in _tables.metadata.tables.items():
        columns = {c["name"]: c["nullable"] for c in inspector.get_columns(name)}
        assert columns == {c.name: c.nullable for c in table.columns}, name
        key = inspector.get_pk_constraint(name)["constrained_columns"]
        assert key == [c.name for c in table.primary_key.columns], name
        indexed = {tuple(i["column_names"]) for i in inspector.get_indexes(name)}
        assert indexed >= {tuple(c.name for c in i.columns) for i in table.indexes}, name


def test_a_store_from_a_newer_baton_is_refused(opener: Callable[[], Store]) -> None:
    store = opener()
    with engine_of(store).begin() as connection:
        connection.execute(
            _tables.schema_migrations.insert().values(
                name="m999_from_the_future", applied_at=datetime.now().astimezone()
            )
        )
    store.close()
    with pytest.raises(StorageError, match=r"newer Baton.*m999_from_the_future"):
        opener()


def test_an_appended_migration_is_applied_once(
    opener: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    opener().close()
    calls: list[str] = []

    def m002_notes(connection: Connection) -> None:
        calls.append("m002")
        connection.execute(text("CREATE TABLE notes (body TEXT)"))

    with_migration(monkeypatch, "m002_notes", m002_notes)
    for _ in range(2):
        store = opener()
        assert "m002_notes" in recorded(store)
        assert "notes" in inspect(engine_of(store)).get_table_names()
        store.close()
    assert calls == ["m002"]


def test_a_failing_migration_applies_nothing(
    opener: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    def m002_broken(connection: Connection) -> None:
        connection.execute(text("CREATE TABLE half_done (body TEXT)"))
        connection.execute(text("SELECT no_such_column FROM items"))

    with_migration(monkeypatch, "m002_broken", m002_broken)
    with pytest.raises(StorageError, match="migrating the schema failed"):
        opener()
    monkeypatch.undo()
    store = opener()  # the failed attempt left nothing behind, not even m001
    try:
        assert "half_done" not in inspect(engine_of(store)).get_table_names()
        assert sorted(recorded(store)) == [name for name, _ in MIGRATIONS]
    finally:
        store.close()


def test_concurrent_first_opens_migrate_once(opener: Callable[[], Store]) -> None:
    opened: list[Store] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(opener())
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert sorted(recorded(opened[0])) == [name for name, _ in MIGRATIONS]
    finally:
        for store in opened:
            store.close()


def test_a_store_from_before_study_versions_keeps_its_responses(
    opener: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [name for name, _ in MIGRATIONS]
    before = MIGRATIONS[: names.index("m008_study_versions")]
    monkeypatch.setattr(_migrations, "MIGRATIONS", before)
    old = opener()
    with engine_of(old).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO responses (item_id, model, text, input_tokens, output_tokens, "
                "latency_s, cost_usd) VALUES ('q1', 'new', 'an answer', 1, 2, 0.5, 0.0)"
            )
        )
    old.close()
    monkeypatch.setattr(_migrations, "MIGRATIONS", MIGRATIONS)
    store = opener()
    try:
        assert "m008_study_versions" in recorded(store)
        assert store.study_versions() == []
        [response] = store.responses()
        assert (response.text, response.request_key) == ("an answer", None)
        assert store.response_keys("new") == {"q1": None}
    finally:
        store.close()
