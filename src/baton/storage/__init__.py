"""Baton storage stage: where a study's state lives between steps.

The items, the models' responses, the judges' verdicts, the human labels and a record of
every run of every step are kept in one store: a SQLite file next to ``study.yaml`` by
default (``default_store_url``), or a PostgreSQL database for a team. ``open_store`` opens
one by URL, creating it and bringing its schema up to date (``parse_store_url`` only
checks a URL: a ``StoreUrlError`` for one Baton cannot use); both backends are served by
the same code (``SqlStore``) behind the ``Store`` protocol. Every ``add_*`` is one transaction
and idempotent, so an interrupted step can simply be run again.
"""

from __future__ import annotations

from pathlib import Path

from baton.storage._base import (
    BatchRecord,
    BatchState,
    CacheEntry,
    RunRecord,
    RunStatus,
    SheetUnit,
    Store,
    StudyVersion,
)
from baton.storage._engine import create_store_engine, parse_store_url
from baton.storage._review_base import (
    Claim,
    Rater,
    RaterRole,
    ReviewStore,
    Skip,
    Slot,
    SlotCounts,
    SlotRequest,
)
from baton.storage._runs import RUN_LEASE_S
from baton.storage._sql import SqlStore

__all__ = [
    "RUN_LEASE_S",
    "BatchRecord",
    "BatchState",
    "CacheEntry",
    "Claim",
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

DEFAULT_STORE_NAME = "baton.db"


def open_store(url: str, *, schema: str | None = None) -> Store:
    """Open the store at ``url``, creating it and migrating its schema as needed.

    ``url`` is ``sqlite:///path/to/baton.db`` (the folder is created if missing) or
    ``postgresql://user:password@host/database`` (psycopg 3, installed by
    ``pip install 'baton-migrate[postgres]'``). ``schema`` names an existing PostgreSQL schema to
    keep the tables in instead of the default search path. Raises ``StorageError`` if the
    store cannot be opened, or was written by a newer Baton.
    """
    engine = create_store_engine(parse_store_url(url), schema=schema)
    return SqlStore(engine)


def default_store_url(study_path: Path) -> str:
    """The URL of the default store: a SQLite file ``baton.db`` next to ``study_path``."""
    return f"sqlite:///{(study_path.parent / DEFAULT_STORE_NAME).absolute().as_posix()}"
