"""``SqlStore``: the ``Store`` protocol over one SQLAlchemy engine, SQLite or PostgreSQL.

The same statements serve both backends; only the ``INSERT ... ON CONFLICT DO NOTHING``
construct comes from the engine's dialect. Every ``add_*`` is one transaction, however many
chunks of ``CHUNK_SIZE`` rows it is sent in: all of a batch is stored or none of it. Reads
return the domain dataclasses ordered by key.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    Table,
    delete,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from baton.domain import (
    ExpectedBehaviour,
    Item,
    Label,
    Look,
    LookCall,
    Message,
    Response,
    Role,
    Verdict,
)
from baton.errors import StorageError
from baton.storage import _tables as t
from baton.storage._base import (
    BatchRecord,
    BatchState,
    CacheEntry,
    RunRecord,
    RunStatus,
    SheetUnit,
    StudyVersion,
)
from baton.storage._batch_rows import batch_record, batch_row, batch_stamps
from baton.storage._engine import WRITE, describe, storage_error
from baton.storage._migrations import migrate
from baton.storage._review import SqlReviewStore
from baton.storage._runs import claim_run, run_record

__all__ = ["CHUNK_SIZE", "SqlStore"]

CHUNK_SIZE = 500
"""Rows per INSERT statement; a batch of any size is still one transaction."""

Rows = list[dict[str, Any]]


class SqlStore:
    """A study's store in a SQL database. Opening it brings its schema up to date."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.url = describe(engine.url)
        try:
            with self._transaction("migrating the schema", write=True) as connection:
                migrate(connection)
        except BaseException:
            engine.dispose()
            raise
        self._review = SqlReviewStore(engine)

    @property
    def review(self) -> SqlReviewStore:
        """The review app's raters and label slots."""
        return self._review

    @property
    def engine(self) -> Engine:
        """The engine the store runs on (for tests and maintenance)."""
        return self._engine

    def add_items(self, items: Sequence[Item]) -> int:
        return self._add("adding items", t.items, [_item_row(item) for item in items])

    def items(self, *, region: str | None = None) -> list[Item]:
        query = select(t.items).order_by(t.items.c.item_id)
        if region is not None:
            query = query.where(t.items.c.region == region)
        return [_item(row) for row in self._read("reading items", query)]

    def add_responses(
        self, responses: Sequence[Response], *, cache: Sequence[CacheEntry] = ()
    ) -> int:
        rows = _latest_responses(responses)
        if not rows and not cache:
            return 0
        written = 0
        with self._transaction("adding responses", write=True) as connection:
            for chunk in _chunks(rows):
                _delete_replaced_responses(connection, chunk)
                written += _insert_new(connection, t.responses, chunk)
            for chunk in _chunks(_cache_rows(cache)):
                _insert_new(connection, t.replay_cache, chunk)
        return written

    def responses(self, *, model: str | None = None) -> list[Response]:
        query = select(t.responses).order_by(*t.responses.primary_key.columns)
        if model is not None:
            query = query.where(t.responses.c.model == model)
        return [Response(**row._mapping) for row in self._read("reading responses", query)]

    def answered(self, model: str) -> set[str]:
        query = select(t.responses.c.item_id).where(
            t.responses.c.model == model, t.responses.c.error.is_(None)
        )
        return {row.item_id for row in self._read("reading responses", query)}

    def failed(self, model: str) -> set[str]:
        query = select(t.responses.c.item_id).where(
            t.responses.c.model == model, t.responses.c.error.is_not(None)
        )
        return {row.item_id for row in self._read("reading responses", query)}

    def response_keys(self, model: str) -> dict[str, str | None]:
        r = t.responses
        query = select(r.c.item_id, r.c.request_key).where(r.c.model == model, r.c.error.is_(None))
        return {row.item_id: row.request_key for row in self._read("reading responses", query)}

    def cached(self, keys: Collection[str]) -> dict[str, CacheEntry]:
        found: dict[str, CacheEntry] = {}
        unique = list(dict.fromkeys(keys))
        columns = [getattr(t.replay_cache.c, f.name) for f in fields(CacheEntry)]
        with self._transaction("reading the replay cache", write=False) as connection:
            for start in range(0, len(unique), CHUNK_SIZE):
                query = select(*columns).where(
                    t.replay_cache.c.key.in_(unique[start : start + CHUNK_SIZE])
                )
                for row in connection.execute(query):
                    found[row[0]] = CacheEntry(*row)
        return found

    def add_verdicts(self, verdicts: Sequence[Verdict], *, cache: Sequence[CacheEntry] = ()) -> int:
        rows = [asdict(verdict) for verdict in verdicts]
        if not rows and not cache:
            return 0
        written = 0
        with self._transaction("adding verdicts", write=True) as connection:
            for chunk in _chunks(rows):
                _delete_superseded_verdicts(connection, chunk)
                written += _insert_new(connection, t.verdicts, chunk)
            for chunk in _chunks(_cache_rows(cache)):
                _insert_new(connection, t.replay_cache, chunk)
        return written

    def verdicts(self, *, dimension: str | None = None) -> list[Verdict]:
        query = select(t.verdicts).order_by(*t.verdicts.primary_key.columns)
        if dimension is not None:
            query = query.where(t.verdicts.c.dimension == dimension)
        return [Verdict(**row._mapping) for row in self._read("reading verdicts", query)]

    def add_labels(self, labels: Sequence[Label]) -> int:
        return self._add("adding labels", t.labels, [asdict(label) for label in labels])

    def labels(self, *, dimension: str | None = None) -> list[Label]:
        query = select(t.labels).order_by(*t.labels.primary_key.columns)
        if dimension is not None:
            query = query.where(t.labels.c.dimension == dimension)
        return [Label(**row._mapping) for row in self._read("reading labels", query)]

    def add_sheet_units(self, units: Sequence[SheetUnit]) -> int:
        now = datetime.now(UTC)
        rows = [
            {**asdict(u), "models": json.dumps(list(u.models)), "issued_at": now} for u in units
        ]
        return self._add("recording a labelling sheet", t.label_sheet_units, rows)

    def sheet_units(self, units: Collection[str]) -> dict[str, SheetUnit]:
        found: dict[str, SheetUnit] = {}
        unique = list(dict.fromkeys(units))
        table = t.label_sheet_units
        with self._transaction("reading labelling sheets", write=False) as connection:
            for start in range(0, len(unique), CHUNK_SIZE):
                query = select(table).where(table.c.unit.in_(unique[start : start + CHUNK_SIZE]))
                for row in connection.execute(query):
                    found[row.unit] = SheetUnit(
                        row.unit,
                        row.item_id,
                        row.dimension,
                        row.region,
                        row.inclusion_prob,
                        tuple(json.loads(row.models)),
                    )
        return found

    def add_look(self, looks: Sequence[Look], calls: Sequence[LookCall]) -> None:
        now = datetime.now(UTC)
        look_rows = [{**asdict(look), "looked_at": now} for look in looks]
        call_rows = [{**asdict(call), "called_at": now} for call in calls]
        with self._transaction("recording a look", write=True) as connection:
            for table, rows in ((t.decision_looks, look_rows), (t.decision_calls, call_rows)):
                for chunk in _chunks(rows):
                    _insert_new(connection, table, chunk)

    def looks(self) -> list[Look]:
        query = select(t.decision_looks).order_by(*t.decision_looks.primary_key.columns)
        return [
            Look(r.dimension, r.region, r.information, r.time)
            for r in self._read("reading looks", query)
        ]

    def look_calls(self) -> list[LookCall]:
        query = select(t.decision_calls).order_by(*t.decision_calls.primary_key.columns)
        return [
            LookCall(
                r.candidate,
                r.dimension,
                r.region,
                r.outcome,
                r.p_noninferior,
                r.threshold,
                r.information,
            )
            for r in self._read("reading calls", query)
        ]

    def start_run(self, step: str, fingerprint: str, *, exclusive: bool = False) -> int:
        with self._transaction("starting a run", write=True) as connection:
            return claim_run(connection, step, fingerprint, exclusive=exclusive)

    def heartbeat(self, run_id: int) -> None:
        if isinstance(self._engine.pool, StaticPool):
            return  # an in-memory store: no other process sees it, and its one connection
            # must not be shared with a thread of its own
        statement = (
            update(t.runs)
            .where(t.runs.c.run_id == run_id, t.runs.c.status == "running")
            .values(heartbeat_at=datetime.now(UTC))
        )
        with self._transaction("recording a heartbeat", write=True) as connection:
            connection.execute(statement)

    def finish_run(self, run_id: int, status: RunStatus, summary: dict[str, Any]) -> None:
        """Record how run ``run_id`` ended; ``summary`` must be JSON-serialisable."""
        if status in {"running", "interrupted"}:
            raise ValueError(f"a run finishes with status 'done' or 'failed', not {status!r}")
        statement = (
            update(t.runs)
            .where(t.runs.c.run_id == run_id)
            .values(
                status=status,
                finished_at=datetime.now(UTC),
                summary=json.dumps(summary, ensure_ascii=False, default=_json_scalar),
            )
        )
        with self._transaction("finishing a run", write=True) as connection:
            if connection.execute(statement).rowcount != 1:
                raise StorageError(f"store {self.url}: there is no run {run_id} to finish")

    def runs(self) -> list[RunRecord]:
        query = select(t.runs).order_by(t.runs.c.run_id)
        now = datetime.now(UTC)
        return [run_record(row, now=now) for row in self._read("reading runs", query)]

    def secret(self, name: str) -> bytes:
        query = select(t.store_secrets.c.value).where(t.store_secrets.c.name == name)
        with self._transaction("reading a secret", write=True) as connection:
            fresh = {"name": name, "value": secrets.token_hex(32), "created_at": datetime.now(UTC)}
            _insert_new(connection, t.store_secrets, [fresh])
            return bytes.fromhex(connection.execute(query).scalar_one())

    def add_study_version(self, digest: str, fingerprint: str, study: dict[str, Any]) -> bool:
        v = t.study_versions
        now = datetime.now(UTC)
        row = {
            "digest": digest,
            "fingerprint": fingerprint,
            "study": json.dumps(study, ensure_ascii=False, sort_keys=True),
            "first_seen": now,
            "last_seen": now,
        }
        with self._transaction("recording the study version", write=True) as connection:
            if _insert_new(connection, v, [row]):
                return True
            connection.execute(update(v).where(v.c.digest == digest).values(last_seen=now))
        return False

    def study_versions(self) -> list[StudyVersion]:
        v = t.study_versions
        query = select(v).order_by(v.c.last_seen, v.c.first_seen, v.c.digest)
        return [
            StudyVersion(
                row.digest, row.fingerprint, json.loads(row.study), row.first_seen, row.last_seen
            )
            for row in self._read("reading study versions", query)
        ]

    def add_ingested(
        self,
        items: Sequence[Item],
        responses: Sequence[Response],
        *,
        fingerprint: str,
        summary: dict[str, Any],
    ) -> tuple[int, int]:
        json.dumps(summary, default=_json_scalar)  # not serialisable: fail before writing
        item_rows = [_item_row(item) for item in items]
        response_rows = _latest_responses(responses)
        written_items = written_responses = 0
        with self._transaction("adding an ingest", write=True) as connection:
            for chunk in _chunks(item_rows):
                written_items += _insert_new(connection, t.items, chunk)
            for chunk in _chunks(response_rows):
                _delete_replaced_responses(connection, chunk)
                written_responses += _insert_new(connection, t.responses, chunk)
            now = datetime.now(UTC)
            recorded = {
                **summary,
                "items_written": written_items,
                "responses_written": written_responses,
            }
            connection.execute(
                insert(t.runs).values(
                    step="ingest",
                    fingerprint=fingerprint,
                    status="done",
                    started_at=now,
                    finished_at=now,
                    summary=json.dumps(recorded, ensure_ascii=False, default=_json_scalar),
                )
            )
        return written_items, written_responses

    def add_batch(self, batch: BatchRecord) -> None:
        self._add("recording a provider batch", t.provider_batches, [batch_row(batch)])

    def update_batch(
        self,
        batch_key: str,
        *,
        state: BatchState,
        external_id: str | None = None,
        error: str | None = None,
    ) -> None:
        table = t.provider_batches
        values: dict[str, Any] = {"state": state, **batch_stamps(state)}
        if external_id is not None:
            values["external_id"] = external_id
        if error is not None:
            values["error"] = error
        with self._transaction("updating a provider batch", write=True) as connection:
            connection.execute(update(table).where(table.c.batch_key == batch_key).values(**values))

    def batches(self, step: str, *, open_only: bool = False) -> list[BatchRecord]:
        table = t.provider_batches
        query = select(table).where(table.c.step == step)
        if open_only:
            query = query.where(table.c.state.in_(("intent", "submitted")))
        query = query.order_by(table.c.created_at, table.c.batch_key)
        return [batch_record(row) for row in self._read("reading provider batches", query)]

    def close(self) -> None:
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self.url!r})"

    @contextmanager
    def _transaction(self, action: str, *, write: bool) -> Iterator[Connection]:
        """One transaction; SQLAlchemy errors become a ``StorageError`` naming the store."""
        try:
            with self._engine.connect() as connection:
                if write:
                    connection.execution_options(**{WRITE: True})
                with connection.begin():
                    yield connection
        except SQLAlchemyError as error:
            raise storage_error(self._engine.url, action, error) from error

    def _add(self, action: str, table: Table, rows: Rows) -> int:
        if not rows:
            return 0
        written = 0
        with self._transaction(action, write=True) as connection:
            for chunk in _chunks(rows):
                written += _insert_new(connection, table, chunk)
        return written

    def _read(self, action: str, query: Select[Any]) -> list[Row[Any]]:
        with self._transaction(action, write=False) as connection:
            return list(connection.execute(query))


def _chunks(rows: Rows) -> Iterator[Rows]:
    for start in range(0, len(rows), CHUNK_SIZE):
        yield rows[start : start + CHUNK_SIZE]


def _delete_superseded_verdicts(connection: Connection, rows: Rows) -> None:
    """Delete the stored verdicts that ``rows`` supersede: same key, and another judge
    version, an abstention (judged again), or other answers judged (both ``case_key`` set).

    Looks the rows up by item id first (the key's index), as responses are."""
    v = t.verdicts
    new = {(r["item_id"], r["model"], r["dimension"], r["judge"]): r for r in rows}
    found = connection.execute(
        select(
            v.c.item_id, v.c.model, v.c.dimension, v.c.judge,
            v.c.judge_version, v.c.abstention, v.c.case_key,
        ).where(v.c.item_id.in_({key[0] for key in new}))
    )  # fmt: skip
    superseded = []
    for item_id, model, dimension, judge, version, abstention, case_key in found:
        key = (item_id, model, dimension, judge)
        row = new.get(key)
        if row is None:
            continue
        other_case = case_key is not None and row.get("case_key") not in (None, case_key)
        if version != row["judge_version"] or abstention is not None or other_case:
            superseded.append(key)
    if superseded:
        columns = tuple_(v.c.item_id, v.c.model, v.c.dimension, v.c.judge)
        connection.execute(delete(v).where(columns.in_(superseded)))


def _insert_new(connection: Connection, table: Table, rows: Rows) -> int:
    """Insert the rows whose key is not stored yet; return how many were inserted."""
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
    return len(connection.execute(statement, rows).all())


def _latest_responses(responses: Sequence[Response]) -> Rows:
    """One response per key, as if added one by one: the first success, else the last error."""
    chosen: dict[tuple[str, str], Response] = {}
    for response in responses:
        key = (response.item_id, response.model)
        held = chosen.get(key)
        if held is None or held.error is not None:
            chosen[key] = response
    return [_flat_row(response) for response in chosen.values()]


def _flat_row(row: Response | CacheEntry) -> dict[str, Any]:
    """A flat dataclass's fields as a row: ``asdict`` without its deep copy (5x faster)."""
    return dict(vars(row))


def _cache_rows(entries: Sequence[CacheEntry]) -> Rows:
    """One row per key (the first entry wins), stamped with the time it was stored."""
    now = datetime.now(UTC)
    rows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        rows.setdefault(entry.key, {**_flat_row(entry), "created_at": now})
    return list(rows.values())


def _delete_replaced_responses(connection: Connection, rows: Rows) -> None:
    """Delete the stored responses that ``rows`` replace: failed ones, and those that
    answered another request than the new one (with their verdicts: they judged an answer
    no longer stored; the replay cache keeps it).

    Looks the rows up by item id first (the key's index), so the common case, none, costs
    one small query and no DELETE.
    """
    r = t.responses
    new = {(row["item_id"], row["model"]): row.get("request_key") for row in rows}
    found = connection.execute(
        select(r.c.item_id, r.c.model, r.c.error, r.c.request_key).where(
            r.c.item_id.in_({item_id for item_id, _ in new})
        )
    )
    failed, stale = [], []
    for item_id, model, error, stored_key in found:
        key = (item_id, model)
        if key not in new:
            continue
        if error is not None:
            failed.append(key)
        elif stored_key is not None and new[key] is not None and stored_key != new[key]:
            stale.append(key)
    if failed or stale:
        connection.execute(delete(r).where(tuple_(r.c.item_id, r.c.model).in_(failed + stale)))
    if stale:
        v = t.verdicts
        connection.execute(delete(v).where(tuple_(v.c.item_id, v.c.model).in_(stale)))


def _item_row(item: Item) -> dict[str, Any]:
    row = asdict(item)
    row["context"] = json.dumps(
        [{"role": message.role, "content": message.content} for message in item.context],
        ensure_ascii=False,
    )
    return row


def _item(row: Row[Any]) -> Item:
    fields = dict(row._mapping)
    context = tuple(
        Message(role=cast(Role, message["role"]), content=message["content"])
        for message in json.loads(fields.pop("context"))
    )
    behaviour = cast(ExpectedBehaviour | None, fields.pop("expected_behaviour"))
    return Item(**fields, context=context, expected_behaviour=behaviour)


def _json_scalar(value: Any) -> Any:
    """NumPy scalars (``np.int64(3)``) in a summary are stored as the numbers they are."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return item()
    raise TypeError(f"a run summary must be JSON-serialisable; got {type(value).__name__}")
