"""The review part of the ``Store`` contract, on every backend: raters with hashed tokens,
label slots claimed atomically (never one slot for two raters, never two copies of one unit
for one rater), completion and skips."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from baton.domain import Item, Label, Message, Response
from baton.errors import StorageError
from baton.storage import Claim, Rater, Skip, SlotCounts, SlotRequest, Store
from baton.storage._review import _claim_postgres
from baton.storage._sql import SqlStore
from tests.storage.conftest import Opener

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=1)


def units(n: int, *, copies: int = 1, dimension: str = "helpful") -> list[SlotRequest]:
    return [
        SlotRequest(f"item-{i:04d}", dimension, "eu", 0.25, copy_no=c, order_seed=i)
        for i in range(n)
        for c in range(copies)
    ]


def claim(store: Store, rater: str, *, stale_before: datetime = LONG_AGO) -> int | None:
    slot = store.review.claim_slot(rater, now=NOW, stale_before=stale_before).slot
    return None if slot is None else slot.slot_id


def labels_for(store: Store, slot_id: int, rater: str) -> list[Label]:
    slot = store.review.slot(slot_id)
    assert slot is not None
    return [
        Label(slot.item_id, model, slot.dimension, rater, 1, inclusion_prob=slot.inclusion_prob)
        for model in ("old", "new")
    ]


def test_raters_round_trip_with_only_the_token_hash_kept(store: Store) -> None:
    store.review.put_rater(Rater("bob", "rater", 40), "hash-b")
    store.review.put_rater(Rater("admin", "admin", 0), "hash-a")
    assert store.review.raters() == [Rater("admin", "admin", 0), Rater("bob", "rater", 40)]
    assert store.review.rater_for_token("hash-b") == Rater("bob", "rater", 40)
    assert store.review.rater_for_token("nope") is None
    store.review.put_rater(Rater("bob", "rater", 60), "hash-b2")  # a new link for bob
    assert store.review.rater_for_token("hash-b") is None
    assert store.review.rater_for_token("hash-b2") == Rater("bob", "rater", 60)


def test_slots_keep_their_order_and_are_added_once(store: Store) -> None:
    assert store.review.add_slots(units(3, copies=2)) == 6
    assert store.review.add_slots(units(4, copies=2)) == 2
    slots = store.review.slots()
    assert [(s.item_id, s.copy_no) for s in slots] == [
        (f"item-{i:04d}", c) for i in range(4) for c in range(2)
    ]
    assert [s.slot_id for s in slots] == sorted(s.slot_id for s in slots)
    assert store.review.slot(slots[0].slot_id) == slots[0]
    assert store.review.slot(10_000) is None
    assert store.review.slot_counts() == SlotCounts(open=8, open_first=4, claimed=0, done=0)


def test_a_rater_keeps_the_slot_until_done_and_never_gets_two_copies(store: Store) -> None:
    store.review.add_slots(units(2, copies=2))
    ids = [s.slot_id for s in store.review.slots()]
    first = claim(store, "ann")
    assert first == ids[0]
    assert claim(store, "ann") == first  # reloading the page shows the same slot
    assert claim(store, "bob") == ids[1]  # the second copy of the same unit
    assert store.review.complete_slot(first, "ann", labels_for(store, first, "ann"), now=NOW)
    assert claim(store, "ann") == ids[2]  # not ids[1]: ann has seen item-0000
    assert store.review.slot_counts() == SlotCounts(open=1, open_first=0, claimed=2, done=1)
    assert store.review.done_count("ann") == 1


def test_completing_writes_the_labels_once_and_only_for_the_holder(store: Store) -> None:
    store.review.add_slots(units(1))
    slot_id = claim(store, "ann")
    assert slot_id is not None
    assert not store.review.complete_slot(
        slot_id, "bob", labels_for(store, slot_id, "bob"), now=NOW
    )
    assert store.review.complete_slot(slot_id, "ann", labels_for(store, slot_id, "ann"), now=NOW)
    assert not store.review.complete_slot(
        slot_id, "ann", labels_for(store, slot_id, "ann"), now=NOW
    )
    stored = store.labels()
    assert [(lab.model, lab.rater, lab.inclusion_prob) for lab in stored] == [
        ("new", "ann", 0.25),
        ("old", "ann", 0.25),
    ]
    done = store.review.slot(slot_id)
    assert done is not None
    assert done.done_at == NOW


def test_a_skip_gives_the_unit_to_someone_else(store: Store) -> None:
    store.review.add_slots(units(2))
    slot_id = claim(store, "ann")
    assert slot_id is not None
    skip = Skip("item-0000", "helpful", "ann", "outside my expertise", "tax law", NOW)
    assert not store.review.release_slot(slot_id, Skip("item-0000", "helpful", "bob", "x", "", NOW))
    assert store.review.release_slot(slot_id, skip)
    assert store.review.skips() == [skip]
    assert claim(store, "ann") != slot_id  # ann passed on it
    assert claim(store, "bob") == slot_id


def test_a_stale_claim_is_taken_over_and_its_late_answer_refused(store: Store) -> None:
    store.review.add_slots(units(1))
    slot_id = claim(store, "ann")
    assert claim(store, "bob") is None  # held, not stale
    assert claim(store, "bob", stale_before=NOW + timedelta(seconds=1)) == slot_id
    assert slot_id is not None
    assert not store.review.complete_slot(slot_id, "ann", [], now=NOW)
    assert claim(store, "ann") is None  # ann held this unit once: never again


def test_nothing_to_claim_is_none(store: Store) -> None:
    assert claim(store, "ann") is None


def test_a_claim_counts_the_finished_slots_and_stops_at_the_quota(store: Store) -> None:
    store.review.add_slots(units(3))
    review = store.review
    first = review.claim_slot("ann", now=NOW, stale_before=LONG_AGO, max_done=1)
    assert first.slot is not None
    assert first.done == 0
    assert review.complete_slot(first.slot.slot_id, "ann", [], now=NOW)
    assert review.claim_slot("ann", now=NOW, stale_before=LONG_AGO, max_done=1) == Claim(None, 1)
    assert review.claim_slot("ann", now=NOW, stale_before=LONG_AGO).done == 1


def test_a_rater_keeps_or_changes_the_token_and_quota(store: Store) -> None:
    store.review.put_rater(Rater("bob", "rater", 40), "hash-b")
    store.review.put_rater(Rater("bob", "rater", 80), None)  # the quota only
    assert store.review.rater_for_token("hash-b") == Rater("bob", "rater", 80)
    with pytest.raises(StorageError, match="needs a token"):
        store.review.put_rater(Rater("cid", "rater", 1), None)


def test_unit_content_is_the_item_with_every_models_response(store: Store) -> None:
    item = Item("item-0000", "eu", "Why?", context=(Message("user", "hi"),), reference="So.")
    store.add_items([item])
    store.add_responses(
        [Response("item-0000", "b", "B"), Response("item-0000", "a", None, error="x")]
    )
    content = store.review.unit_content("item-0000")
    assert content is not None
    assert content[0] == item
    assert [(r.model, r.text, r.error) for r in content[1]] == [("a", None, "x"), ("b", "B", None)]
    assert store.review.unit_content("missing") is None


def test_a_claim_carries_the_units_content(store: Store) -> None:
    item = Item("item-0000", "eu", "Why?", context=(Message("user", "hi"),), reference="So.")
    store.add_items([item])
    store.add_responses(
        [Response("item-0000", "b", "B"), Response("item-0000", "a", None, error="x")]
    )
    store.review.add_slots(units(2))  # item-0001 has no item or response stored
    first = store.review.claim_slot("ann", now=NOW, stale_before=LONG_AGO)
    assert first.slot is not None
    assert first.content == store.review.unit_content("item-0000")
    assert first.content is not None
    assert first.content[0] == item
    assert [r.model for r in first.content[1]] == ["a", "b"]
    again = store.review.claim_slot("ann", now=NOW, stale_before=LONG_AGO)  # the held slot
    assert again == first
    other = store.review.claim_slot("bob", now=NOW, stale_before=LONG_AGO)
    assert other.slot is not None
    assert other.slot.item_id == "item-0001"
    assert other.content is None


def test_completing_stores_all_of_it_or_nothing(store: Store) -> None:
    store.review.add_slots(units(1))
    slot_id = claim(store, "ann")
    assert slot_id is not None
    labels = labels_for(store, slot_id, "ann")
    store.add_labels(labels[1:])  # a label of this unit already stored (by another path)
    with pytest.raises(StorageError, match="storing labels"):
        store.review.complete_slot(slot_id, "ann", labels, now=NOW)
    held = store.review.slot(slot_id)
    assert held is not None
    assert held.done_at is None  # not marked done: the labels were not stored
    assert held.rater == "ann"
    assert store.labels() == labels[1:]


@pytest.mark.postgres
def test_adding_slots_refreshes_the_planners_statistics(postgres_store: Store) -> None:
    """Without them PostgreSQL has a claim read and sort every open slot instead of taking
    the first free one in index order."""
    store = postgres_store
    assert isinstance(store, SqlStore)
    store.review.add_slots(units(300, copies=2))
    with store.engine.connect() as connection:
        estimated = connection.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = 'review_slots'::regclass")
        ).scalar_one()
    assert estimated == 600


@pytest.mark.postgres
def test_a_claims_asynchronous_commit_ends_with_it(postgres_store: Store) -> None:
    """The claim's ``synchronous_commit = off`` must not outlive its transaction on the
    pooled connection, or the next labels stored through it would not be durable."""
    store = postgres_store
    assert isinstance(store, SqlStore)
    store.review.add_slots(units(1))
    with store.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        parameters = {"p_rater": "ann", "p_now": NOW, "p_stale": LONG_AGO, "p_max_done": 5}
        claimed = _claim_postgres(connection, parameters)
        setting = connection.execute(text("SHOW synchronous_commit")).scalar_one()
    assert claimed.slot is not None
    assert setting == "on"


@pytest.mark.parametrize("same_rater", [False, True], ids=["raters", "one-rater-many-tabs"])
def test_concurrent_claims_never_share_a_slot(opener: Opener, same_rater: bool) -> None:
    """Eight raters (or one rater in eight tabs), each on its own connection pool, claim and
    finish slots as fast as they can, all starting at the same instant."""
    setup = opener()
    setup.review.add_slots(units(40, copies=2))
    setup.close()
    workers = 8
    barrier = threading.Barrier(workers)
    claimed: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        rater = "solo" if same_rater else f"r{index}"
        store = opener()
        try:
            barrier.wait(timeout=30)
            for _ in range(12):
                slot = store.review.claim_slot(rater, now=NOW, stale_before=LONG_AGO).slot
                if slot is None:
                    return
                labels = labels_for(store, slot.slot_id, rater)
                finished = store.review.complete_slot(slot.slot_id, rater, labels, now=NOW)
                with lock:
                    claimed.append((rater, slot.slot_id))
                if not finished:  # another tab of the same rater finished it first
                    assert same_rater
        except BaseException as error:  # reported in the main thread
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    check = opener()
    try:
        slots = check.review.slots()
        done = [s for s in slots if s.done_at is not None]
        per_unit = Counter((s.item_id, s.dimension, s.rater) for s in done)
        labels = check.labels()
    finally:
        check.close()
    if not same_rater:
        ids = [slot_id for _, slot_id in claimed]
        assert len(ids) == len(set(ids))  # no slot went to two raters
        assert len(done) == min(80, workers * 12)
    assert max(per_unit.values()) == 1  # no rater holds two copies of one unit
    assert len(labels) == 2 * len(done)
