"""``SqlReviewStore``: the review app's raters and label slots over one SQLAlchemy engine.

Claiming is one write transaction on both backends. On SQLite it begins with ``BEGIN
IMMEDIATE`` (see ``_engine``), so claims are serialised. On PostgreSQL the candidate row is
read ``FOR UPDATE SKIP LOCKED`` (concurrent claimers pass over each other's rows) and the
``UPDATE`` checks again that the slot is still free; the unique index on (item, dimension,
rater) turns a rater's two simultaneous claims of one unit into an integrity error, after
which the claim is retried from the start.

The two calls the review app makes for every screen, claiming (with the unit's content) and
completing, are each **one statement** on PostgreSQL, run in autocommit mode: the statement
is its own transaction, so a call costs one round trip to the server (plus the pool's
liveness ping) where a claim and its page took up to ten and a completion four (``BEGIN``,
each query, ``COMMIT``); the server, not Python, links the steps with data-modifying
``WITH`` clauses. Adding slots refreshes the planner's statistics (``_ANALYZE_SLOTS``).

Durability on PostgreSQL: a completion commits with the server's ``synchronous_commit``
(``on`` unless its administrator chose otherwise), so it returns only once the labels are
on disk. A claim commits asynchronously (``set_config('synchronous_commit', 'off', true)``
in the statement, local to its own transaction): a claim lost in a crash of the database
server is merely free again, and the rater's answer to it is then refused as "not held"
rather than stored, so no acknowledged label is lost (any later durable commit flushes the
claim too). On SQLite, where a query is a function
call rather than a round trip, the same work runs as a few queries in one transaction.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    column,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.types import TypeEngine

from baton.domain import ExpectedBehaviour, Item, Label, Message, Response, Role
from baton.errors import StorageError
from baton.storage import _tables as t
from baton.storage._engine import WRITE, storage_error
from baton.storage._review_base import (
    Claim,
    Rater,
    RaterRole,
    Skip,
    Slot,
    SlotCounts,
    SlotRequest,
    UnitContent,
)

__all__ = ["CLAIM_ATTEMPTS", "SqlReviewStore"]

CLAIM_ATTEMPTS = 8
"""How often a claim that lost a race (PostgreSQL) is retried before giving up."""

_slots = t.review_slots


class SqlReviewStore:
    """The ``ReviewStore`` protocol over ``engine`` (already migrated by ``SqlStore``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # SQLite has one writer at a time, and a writer that finds the lock taken sleeps in
        # steps of up to 100 ms. Writers of this process queue here instead, and get the
        # lock the moment it is free (other processes still wait through the busy timeout).
        self._writer = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()

    def put_rater(self, rater: Rater, token_hash: str | None) -> None:
        table = t.review_raters
        values: dict[str, Any] = {"role": rater.role, "quota": rater.quota}
        if token_hash is not None:
            values["token_hash"] = token_hash
        with self._transaction("saving a rater", write=True) as connection:
            changed = connection.execute(
                update(table).where(table.c.name == rater.name).values(**values)
            ).rowcount
            if changed:
                return
            if token_hash is None:
                raise StorageError(f"store {self._url}: rater {rater.name!r} needs a token")
            connection.execute(
                insert(table).values(name=rater.name, created_at=datetime.now(UTC), **values)
            )

    def rater_for_token(self, token_hash: str) -> Rater | None:
        with self._transaction("reading raters", write=False) as connection:
            row = connection.execute(_RATER_BY_TOKEN, {"p_hash": token_hash}).first()
        return None if row is None else _rater(row)

    def raters(self) -> list[Rater]:
        query = _RATER.order_by(t.review_raters.c.name)
        with self._transaction("reading raters", write=False) as connection:
            return [_rater(row) for row in connection.execute(query)]

    def add_slots(self, requests: Sequence[SlotRequest]) -> int:
        if not requests:
            return 0
        dialect_insert = postgresql.insert if self._postgres else sqlite.insert
        written = 0
        with self._transaction("adding label slots", write=True) as connection:
            for request in requests:  # one by one: slot ids follow the requests' order
                statement = (
                    dialect_insert(_slots)
                    .values(**asdict(request))
                    .on_conflict_do_nothing()
                    .returning(_slots.c.slot_id)
                )
                written += len(connection.execute(statement).all())
        if written and self._postgres:
            action = "refreshing the label slots' statistics"
            with self._transaction(action, write=True, autocommit=True) as connection:
                connection.execute(_ANALYZE_SLOTS)
        return written

    def slots(self) -> list[Slot]:
        query = select(_slots).order_by(_slots.c.slot_id)
        with self._transaction("reading label slots", write=False) as connection:
            return [Slot(**row._mapping) for row in connection.execute(query)]

    def unit_content(self, item_id: str) -> UnitContent | None:
        with self._transaction("reading an item", write=False) as connection:
            return _content(connection, item_id)

    def slot(self, slot_id: int) -> Slot | None:
        with self._transaction("reading a label slot", write=False) as connection:
            row = connection.execute(_SLOT, {"p_slot": slot_id}).first()
        return None if row is None else Slot(**row._mapping)

    def claim_slot(
        self,
        rater: str,
        *,
        now: datetime,
        stale_before: datetime,
        max_done: int | None = None,
    ) -> Claim:
        parameters = {
            "p_rater": rater,
            "p_now": now,
            "p_stale": stale_before,
            "p_max_done": _NO_LIMIT if max_done is None else max_done,
        }
        for _ in range(CLAIM_ATTEMPTS):
            try:
                if self._postgres:
                    with self._transaction(
                        "claiming a label slot", write=True, autocommit=True
                    ) as connection:
                        return _claim_postgres(connection, parameters)
                with self._transaction("claiming a label slot", write=True) as connection:
                    return _claim(connection, parameters)
            except _LostRace:
                continue
        raise StorageError(
            f"store {self._url}: could not claim a label slot for {rater!r} after "
            f"{CLAIM_ATTEMPTS} attempts (too many raters claiming at once); try again"
        )

    def complete_slot(
        self, slot_id: int, rater: str, labels: Sequence[Label], *, now: datetime
    ) -> bool:
        if self._postgres:
            columns = {f"p_{k}": [getattr(label, k) for label in labels] for k in _LABEL_COLUMNS}
            parameters = {"p_slot": slot_id, "p_holder": rater, "p_now": now, **columns}
            with self._transaction("storing labels", write=True, autocommit=True) as connection:
                return bool(connection.execute(_COMPLETE_POSTGRES, parameters).scalar_one())
        with self._transaction("storing labels", write=True) as connection:
            if not _mark(connection, _FINISH, slot_id, rater, p_now=now):
                return False
            if labels:
                connection.execute(insert(t.labels), [asdict(label) for label in labels])
            return True

    def release_slot(self, slot_id: int, skip: Skip) -> bool:
        with self._transaction("skipping a label slot", write=True) as connection:
            if not _mark(connection, _RELEASE, slot_id, skip.rater):
                return False
            dialect_insert = postgresql.insert if self._postgres else sqlite.insert
            statement = dialect_insert(t.review_skips).values(**asdict(skip))
            connection.execute(statement.on_conflict_do_nothing())
            return True

    def skips(self) -> list[Skip]:
        table = t.review_skips
        query = select(table).order_by(*table.primary_key.columns)
        with self._transaction("reading skips", write=False) as connection:
            return [Skip(**row._mapping) for row in connection.execute(query)]

    def done_count(self, rater: str) -> int:
        with self._transaction("counting labels", write=False) as connection:
            return _done(connection, rater)

    def slot_counts(self) -> SlotCounts:
        unclaimed = _slots.c.rater.is_(None)
        open_ = _slots.c.done_at.is_(None)
        query = select(
            func.count().filter(unclaimed),
            func.count().filter(unclaimed, _slots.c.copy_no == 0),
            func.count().filter(open_, _slots.c.rater.is_not(None)),
            func.count().filter(_slots.c.done_at.is_not(None)),
        )
        with self._transaction("counting label slots", write=False) as connection:
            row = connection.execute(query).one()
        return SlotCounts(open=row[0], open_first=row[1], claimed=row[2], done=row[3])

    @property
    def _postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    @property
    def _url(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _transaction(
        self, action: str, *, write: bool, autocommit: bool = False
    ) -> Iterator[Connection]:
        """One transaction; SQLAlchemy errors become a ``StorageError`` naming the store, and
        a lost race on PostgreSQL becomes ``_LostRace`` (retried by the caller).

        ``autocommit`` (PostgreSQL, for a call made of one statement): the statement is its
        own transaction, so no ``BEGIN`` and ``COMMIT`` travel to the server besides it."""
        try:
            with self._writer if write else nullcontext(), self._engine.connect() as connection:
                if write:
                    connection.execution_options(**{WRITE: True})
                if autocommit:
                    connection.execution_options(isolation_level="AUTOCOMMIT")
                with connection.begin():
                    yield connection
        except IntegrityError as error:
            if action == "claiming a label slot":
                raise _LostRace from error
            raise storage_error(self._engine.url, action, error) from error
        except SQLAlchemyError as error:
            raise storage_error(self._engine.url, action, error) from error


class _LostRace(Exception):
    """Another transaction took what this claim wanted; retry."""


# Statements built once (with bound parameters), so a request pays no statement building.
def _free(slots: Any) -> Any:
    """The slot is not done, and nobody holds it or its claim is stale."""
    return and_(
        slots.c.done_at.is_(None),
        or_(slots.c.rater.is_(None), slots.c.claimed_at < bindparam("p_stale")),
    )


def _unseen(slots: Any) -> Any:
    """The slot's unit was neither held (nor finished) nor skipped by the rater."""
    seen, skips = _slots.alias("seen"), t.review_skips
    return ~or_(
        exists().where(
            seen.c.item_id == slots.c.item_id,
            seen.c.dimension == slots.c.dimension,
            seen.c.rater == bindparam("p_rater"),
        ),
        exists().where(
            skips.c.item_id == slots.c.item_id,
            skips.c.dimension == slots.c.dimension,
            skips.c.rater == bindparam("p_rater"),
        ),
    )


_CANDIDATES = _slots.alias("candidate")
_TAKE = (  # claim the first free slot the rater has not seen, in one statement
    update(_slots)
    .where(
        _slots.c.slot_id
        == select(_CANDIDATES.c.slot_id)
        .where(_free(_CANDIDATES), _unseen(_CANDIDATES))
        .order_by(_CANDIDATES.c.done_at, _CANDIDATES.c.slot_id)
        .limit(1)
        .with_for_update(skip_locked=True, of=_CANDIDATES)
        .scalar_subquery(),
        _free(_slots),
    )
    .values(rater=bindparam("p_rater"), claimed_at=bindparam("p_now"))
)
_TAKE_SLOT = _TAKE.returning(*_slots.columns)
_STATE = select(  # how many slots the rater finished, and the one they hold if any
    func.count().filter(_slots.c.done_at.is_not(None)).label("done"),
    func.min(_slots.c.slot_id).filter(_slots.c.done_at.is_(None)).label("held"),
).where(_slots.c.rater == bindparam("p_rater"))
_DONE = (
    select(func.count())
    .select_from(_slots)
    .where(_slots.c.rater == bindparam("p_rater"), _slots.c.done_at.is_not(None))
)
_HOLDS = and_(
    _slots.c.slot_id == bindparam("p_slot"),
    _slots.c.rater == bindparam("p_holder"),
    _slots.c.done_at.is_(None),
)
_FINISH = update(_slots).where(_HOLDS).values(done_at=bindparam("p_now"))
_RELEASE = update(_slots).where(_HOLDS).values(rater=None, claimed_at=None)
_SLOT = select(_slots).where(_slots.c.slot_id == bindparam("p_slot"))
_ITEM = select(t.items).where(t.items.c.item_id == bindparam("p_item"))
_ANSWERS = (
    select(t.responses)
    .where(t.responses.c.item_id == bindparam("p_item"))
    .order_by(t.responses.c.model)
)
_RATER = select(t.review_raters.c.name, t.review_raters.c.role, t.review_raters.c.quota)
_RATER_BY_TOKEN = _RATER.where(t.review_raters.c.token_hash == bindparam("p_hash"))


_ANALYZE_SLOTS = text(f"ANALYZE {_slots.name}")
"""Run after adding slots (PostgreSQL). Without statistics on a freshly filled table, the
planner takes "not done" for 0.5% of the slots and has a claim read and sort every open
slot (17 ms for 4,800 open slots) instead of walking ``ix_review_slots_open`` in order and
stopping at the first free one (0.2 ms); autovacuum would analyse the table only later."""

_NO_LIMIT = 2**62
"""``p_max_done`` when a claim has no quota."""
_MAX_DONE = bindparam("p_max_done", type_=BigInteger)
_LABEL_COLUMNS: dict[str, TypeEngine[Any]] = {  # how labels travel in one statement
    "item_id": String(),
    "model": String(),
    "dimension": String(),
    "rater": String(),
    "value": Integer(),
    "inclusion_prob": Float(),
    "note": String(),
}


def _claim_statement_postgres() -> Any:
    """Claiming in one statement: the rater's state (slots finished, slot held), the held
    slot or a newly taken one, and its item with every model's response (one row per
    response; one row with NULLs when there is no slot). The claim's transaction commits
    asynchronously (see the module's docstring)."""
    state = _STATE.cte("state")
    held = select(state.c.held).scalar_subquery()
    taken = (
        _TAKE.where(held.is_(None), select(state.c.done).scalar_subquery() < _MAX_DONE)
        .returning(*_slots.columns)
        .cte("taken")
    )
    slot = union_all(select(taken), select(_slots).where(_slots.c.slot_id == held)).cte("slot")
    item, answer = t.items, t.responses
    joined = (
        state.outerjoin(slot, true())
        .outerjoin(item, item.c.item_id == slot.c.item_id)
        .outerjoin(answer, answer.c.item_id == slot.c.item_id)
    )
    return (
        select(
            func.set_config("synchronous_commit", "off", True).label("async_commit"),
            state.c.done,
            *[c.label(f"slot_{c.name}") for c in slot.c],
            *[c.label(f"item_{c.name}") for c in item.c],
            *[c.label(f"answer_{c.name}") for c in answer.c],
        )
        .select_from(joined)
        .order_by(answer.c.model)
    )


def _complete_statement_postgres() -> Any:
    """Completing in one statement: mark the slot done if the holder still holds it, and
    only then insert the labels (sent as one array per column, ``p_<column>``: parameters
    named like a column of ``review_slots`` would be taken as values to set); the result is
    whether it did."""
    finished = _FINISH.returning(_slots.c.slot_id).cte("finished")
    sent = (
        func.unnest(
            *[
                bindparam(f"p_{name}", type_=postgresql.ARRAY(kind))
                for name, kind in _LABEL_COLUMNS.items()
            ]
        )
        .table_valued(*[column(name, kind) for name, kind in _LABEL_COLUMNS.items()])
        .render_derived()
    )
    rows = select(*sent.columns).where(exists(select(finished.c.slot_id)))
    stored = (
        insert(t.labels)
        .from_select(list(_LABEL_COLUMNS), rows)
        .returning(literal_column("1"))
        .cte("stored")
    )
    return select(func.count()).select_from(finished).add_cte(stored)


_CLAIM_POSTGRES = _claim_statement_postgres()
_COMPLETE_POSTGRES = _complete_statement_postgres()


def _claim_postgres(connection: Connection, parameters: dict[str, Any]) -> Claim:
    rows = connection.execute(_CLAIM_POSTGRES, parameters).all()
    first = rows[0]._mapping
    if first["slot_slot_id"] is None:
        return Claim(None, first["done"])
    slot = Slot(**_prefixed(first, "slot_"))
    if first["item_item_id"] is None:
        return Claim(slot, first["done"])
    item = _item(_prefixed(first, "item_"))
    answers = [
        Response(**_prefixed(row._mapping, "answer_"))
        for row in rows
        if row._mapping["answer_item_id"] is not None
    ]
    return Claim(slot, first["done"], (item, answers))


def _prefixed(mapping: Any, prefix: str) -> dict[str, Any]:
    return {k.removeprefix(prefix): v for k, v in mapping.items() if k.startswith(prefix)}


def _claim(connection: Connection, parameters: dict[str, Any]) -> Claim:
    """Claiming as a few queries in one transaction (SQLite)."""
    done, held = connection.execute(_STATE, parameters).one()
    if held is not None:
        row = connection.execute(_SLOT, {"p_slot": held}).one()
        slot = Slot(**row._mapping)
    elif done >= parameters["p_max_done"]:
        return Claim(None, done)
    else:
        claimed = connection.execute(_TAKE_SLOT, parameters).first()
        if claimed is None:
            return Claim(None, done)
        slot = Slot(**claimed._mapping)
    return Claim(slot, done, _content(connection, slot.item_id))


def _content(connection: Connection, item_id: str) -> UnitContent | None:
    row = connection.execute(_ITEM, {"p_item": item_id}).first()
    if row is None:
        return None
    answers = connection.execute(_ANSWERS, {"p_item": item_id})
    return _item(row._mapping), [Response(**answer._mapping) for answer in answers]


def _done(connection: Connection, rater: str) -> int:
    return int(connection.execute(_DONE, {"p_rater": rater}).scalar_one())


def _mark(connection: Connection, statement: Any, slot_id: int, holder: str, **values: Any) -> bool:
    """Run ``statement`` (``_FINISH`` or ``_RELEASE``) if ``holder`` holds the slot and it is
    not done; whether it did."""
    parameters = {"p_slot": slot_id, "p_holder": holder, **values}
    return bool(connection.execute(statement, parameters).rowcount == 1)


def _item(row: Any) -> Item:
    fields = dict(row)
    context = tuple(
        Message(role=cast(Role, message["role"]), content=message["content"])
        for message in json.loads(fields.pop("context"))
    )
    behaviour = cast(ExpectedBehaviour | None, fields.pop("expected_behaviour"))
    return Item(**fields, context=context, expected_behaviour=behaviour)


def _rater(row: Any) -> Rater:
    return Rater(name=row.name, role=cast(RaterRole, row.role), quota=row.quota)
