"""The parts of the ``Store`` contract replay relies on, on every backend: the replay cache
(written with the responses, in one transaction), answered items, finish reasons."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from baton.domain import Response
from baton.errors import StorageError
from baton.storage import CacheEntry, Store, _migrations
from baton.storage._migrations import MIGRATIONS
from baton.storage._sql import CHUNK_SIZE, SqlStore


def entry(
    key: str, text_: str = "answer", *, finish_reason: str | None = "stop", latency_s: float = 0.25
) -> CacheEntry:
    return CacheEntry(key, "openai", "gpt-x", text_, 3, 5, latency_s, finish_reason)


def test_cache_entries_round_trip(store: Store) -> None:
    stored = [
        entry("k1", "Ответ ✓ «quoted»\nline two"),
        entry("k2", "", finish_reason=None, latency_s=0.0),
    ]
    assert store.add_responses([], cache=stored) == 0
    assert store.cached(["k2", "k1", "missing"]) == {"k1": stored[0], "k2": stored[1]}
    assert store.cached([]) == {}


def test_a_cached_key_is_never_overwritten(store: Store) -> None:
    first = entry("k", "first")
    store.add_responses([], cache=[first, entry("k", "same batch")])
    store.add_responses([], cache=[entry("k", "later")])
    assert store.cached(["k"]) == {"k": first}


def test_many_keys_are_looked_up_in_chunks(store: Store) -> None:
    entries = [entry(f"key-{i:05d}") for i in range(CHUNK_SIZE * 2 + 3)]
    store.add_responses([], cache=entries)
    keys = [e.key for e in entries] + ["nope"]
    assert store.cached(keys) == {e.key: e for e in entries}


def test_responses_and_cache_entries_are_one_transaction(store: Store) -> None:
    good = Response("a", "m", "hello", finish_reason="stop")
    bad = Response("b", None, "x")  # type: ignore[arg-type]  # a NULL key fails the batch
    with pytest.raises(StorageError):
        store.add_responses([good, bad], cache=[entry("k")])
    assert store.responses() == []
    assert store.cached(["k"]) == {}
    assert store.add_responses([good], cache=[entry("k")]) == 1
    assert store.responses() == [good]
    assert list(store.cached(["k"])) == ["k"]


def test_finish_reason_round_trips(store: Store) -> None:
    responses = [
        Response("a", "m", "cut", 1, 2, 0.1, 0.0, None, "length"),
        Response("b", "m", "done"),
    ]
    store.add_responses(responses)
    assert store.responses() == responses


def test_answered_lists_successful_responses_of_one_model(store: Store) -> None:
    store.add_responses(
        [
            Response("a", "old", "yes"),
            Response("b", "old", None, error="timeout: no answer"),
            Response("c", "old", "yes"),
            Response("a", "new", "yes"),
        ]
    )
    assert store.answered("old") == {"a", "c"}
    assert store.answered("new") == {"a"}
    assert store.answered("other") == set()
    store.add_responses([Response("b", "old", "retried")])
    assert store.answered("old") == {"a", "b", "c"}


def test_m002_upgrades_a_store_with_responses(
    opener: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_migrations, "MIGRATIONS", MIGRATIONS[:1])
    old = opener()
    assert isinstance(old, SqlStore)
    with old.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO responses (item_id, model, text, input_tokens, output_tokens, "
                "latency_s, cost_usd, error) VALUES ('a', 'm', 'kept', 1, 2, 0.5, 0.01, NULL)"
            )
        )
    old.close()
    monkeypatch.undo()
    upgraded = opener()
    try:
        assert upgraded.responses() == [Response("a", "m", "kept", 1, 2, 0.5, 0.01)]
        assert upgraded.cached(["anything"]) == {}
    finally:
        upgraded.close()
