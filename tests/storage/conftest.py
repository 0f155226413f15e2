"""Backends for the storage tests: SQLite in a temporary folder and, when
``BATON_TEST_POSTGRES_URL`` names a server, PostgreSQL in a fresh schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from baton.storage import Store, open_store
from baton.storage._engine import parse_store_url

POSTGRES_URL_VARIABLE = "BATON_TEST_POSTGRES_URL"
POSTGRES_SKIP_REASON = f"set {POSTGRES_URL_VARIABLE} to run the PostgreSQL contract tests"


Opener = Callable[[], Store]
"""Opens (again) the test's store: a fresh connection pool on the same database each call."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store' / 'baton.db'}"
        yield lambda: open_store(url)
        return
    yield from _postgres_opener()


@pytest.fixture
def postgres_store() -> Iterator[Store]:
    """The store on PostgreSQL alone, for behaviour only PostgreSQL has."""
    for open_again in _postgres_opener():
        opened = open_again()
        yield opened
        opened.close()


def _postgres_opener() -> Iterator[Opener]:
    """An opener on a fresh schema of the test server, dropped afterwards."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        pytest.skip(POSTGRES_SKIP_REASON)
    schema = f"baton_test_{uuid.uuid4().hex}"
    admin = create_engine(parse_store_url(url))
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield lambda: open_store(url, schema=schema)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def store(opener: Opener) -> Iterator[Store]:
    opened = opener()
    yield opened
    opened.close()
