"""Opening stores: URLs, the default location, lazy psycopg, errors that name the store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import baton.storage
from baton.domain import Item
from baton.errors import StorageError
from baton.storage import Store, default_store_url, open_store
from baton.storage._sql import SqlStore


def test_public_api() -> None:
    assert sorted(baton.storage.__all__) == [
        "BatchRecord",
        "BatchState",
        "CacheEntry",
        "Claim",
        "RUN_LEASE_S",
        "Rater",
        "RaterRole",
        "ReviewStore",
        "RunRecord",
        "RunStatus",
        "SheetUnit",
        "Skip",
        "Slot",
        "SlotCounts",
        "SlotRequest",
        "Store",
        "StudyVersion",
        "default_store_url",
        "open_store",
        "parse_store_url",
    ]


def test_sql_store_satisfies_the_protocol(tmp_path: Path) -> None:
    store: Store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    assert isinstance(store, SqlStore)
    checked: Store = store  # mypy checks SqlStore against the protocol here
    checked.close()


def test_default_store_is_next_to_the_study(tmp_path: Path) -> None:
    study = tmp_path / "studies" / "study.yaml"
    url = default_store_url(study)
    assert url == f"sqlite:///{tmp_path / 'studies' / 'baton.db'}"
    store = open_store(url)
    store.close()
    assert (tmp_path / "studies" / "baton.db").is_file()


def test_default_store_url_is_absolute(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_store_url(Path("study.yaml")) == f"sqlite:///{tmp_path / 'baton.db'}"


def test_missing_folders_are_created(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'a' / 'b' / 'baton.db'}")
    assert store.url == f"sqlite:///{tmp_path / 'a' / 'b' / 'baton.db'}"
    store.close()
    assert (tmp_path / "a" / "b" / "baton.db").is_file()


def test_an_in_memory_store_keeps_its_data_while_open() -> None:
    store = open_store("sqlite://")
    try:
        store.add_items([Item("a", "eu", "p")])
        assert store.items() == [Item("a", "eu", "p")]
    finally:
        store.close()


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://user@host/db", "postgresql+asyncpg://u@h/db", "sqlite+x:///a"]
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(StorageError, match=r"sqlite:///|postgresql"):
        open_store(url)


def test_an_unopenable_sqlite_file_names_the_store(tmp_path: Path) -> None:
    (tmp_path / "baton.db").mkdir()
    with pytest.raises(StorageError, match=f"store sqlite:///{tmp_path}/baton.db: .* failed"):
        open_store(f"sqlite:///{tmp_path / 'baton.db'}")


def test_a_schema_is_for_postgres_only(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="PostgreSQL only"):
        open_store(f"sqlite:///{tmp_path / 'baton.db'}", schema="study")


def test_a_schema_must_be_an_identifier() -> None:
    with pytest.raises(StorageError, match="not a plain identifier"):
        open_store("postgresql://u@127.0.0.1:1/db", schema="x; DROP TABLE items")


def test_a_failed_connection_never_shows_the_password() -> None:
    with pytest.raises(StorageError) as caught:
        open_store("postgresql://baton:s3cret-pw@127.0.0.1:1/nowhere")
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "postgresql+psycopg://baton:***@127.0.0.1:1/nowhere" in message


def test_postgres_without_psycopg_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail
    with pytest.raises(StorageError, match=r"pip install 'baton-migrate\[postgres\]'"):
        open_store("postgresql://u@127.0.0.1:1/db")


def test_sqlite_stores_do_not_import_psycopg(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    script = (
        "import sys\n"
        "from baton.storage import open_store\n"
        f"open_store({url!r}).close()\n"
        "assert 'psycopg' not in sys.modules, 'psycopg was imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
