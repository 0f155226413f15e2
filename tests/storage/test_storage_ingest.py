"""The contract for what an ingest stores, on every backend: the design fields of items,
logged responses, and ``add_ingested`` as one transaction."""

from __future__ import annotations

from dataclasses import replace

import pytest

from baton.domain import Item, Response
from baton.errors import StorageError
from baton.storage import Store
from baton.storage._sql import CHUNK_SIZE


def sampled(n: int) -> list[Item]:
    return [
        Item(
            f"i{k:05d}", "eu", f"p{k}", weight=40.0 * (k + 1), inclusion_prob=0.05, frequency=k + 1
        )
        for k in range(n)
    ]


def logged(items: list[Item]) -> list[Response]:
    return [
        Response(item.item_id, "incumbent", f"a {item.item_id}", source="logged") for item in items
    ]


def test_design_fields_and_the_source_of_a_response_round_trip(store: Store) -> None:
    item = Item("x", "eu", "p", weight=12.5, inclusion_prob=0.125, frequency=3)
    store.add_items([item, Item("y", "us", "q")])
    assert store.items() == [item, Item("y", "us", "q", inclusion_prob=1.0, frequency=1)]
    responses = [Response("x", "old", "logged", source="logged"), Response("x", "new", "r")]
    store.add_responses(responses)
    assert {r.model: r.source for r in store.responses()} == {"old": "logged", "new": "replayed"}


def test_an_ingest_is_stored_with_its_run(store: Store) -> None:
    items = sampled(3)
    written = store.add_ingested(
        items, logged(items[:2]), fingerprint="fp", summary={"records": 10, "regions": {"eu": 3}}
    )
    assert written == (3, 2)
    assert store.items() == items
    assert [r.source for r in store.responses()] == ["logged", "logged"]
    (run,) = store.runs()
    assert (run.step, run.status, run.fingerprint) == ("ingest", "done", "fp")
    assert run.summary == {
        "records": 10,
        "regions": {"eu": 3},
        "items_written": 3,
        "responses_written": 2,
    }


def test_an_ingest_again_writes_nothing_new(store: Store) -> None:
    items = sampled(4)
    store.add_ingested(items, logged(items), fingerprint="fp", summary={})
    assert store.add_ingested(items, logged(items), fingerprint="fp", summary={}) == (0, 0)
    assert len(store.items()) == 4
    assert len(store.runs()) == 2


def test_a_failing_ingest_stores_nothing_at_all(store: Store) -> None:
    """A NULL key among the responses, after every item was sent: all of it rolls back."""
    items = sampled(CHUNK_SIZE + 20)
    responses = logged(items)
    responses[CHUNK_SIZE + 3] = replace(responses[CHUNK_SIZE + 3], model=None)  # type: ignore[arg-type]
    with pytest.raises(StorageError, match="adding an ingest"):
        store.add_ingested(items, responses, fingerprint="fp", summary={})
    assert store.items() == []
    assert store.responses() == []
    assert store.runs() == []


def test_a_summary_that_cannot_be_stored_is_refused_before_writing(store: Store) -> None:
    with pytest.raises(TypeError, match="JSON-serialisable"):
        store.add_ingested(sampled(1), [], fingerprint="fp", summary={"bad": object()})
    assert store.items() == []
