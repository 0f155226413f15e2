"""The ``Store`` contract, run against every backend (the ``store`` fixture's params)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from baton.domain import Item, Label, Look, LookCall, Message, Response, Verdict
from baton.errors import StorageError
from baton.storage import SheetUnit, Store
from baton.storage._sql import CHUNK_SIZE

# Keys in code-point order, which both backends must return them in.
KEYS = ["B", "a", "b", "é", "日本"]
SHUFFLED_KEYS = ["é", "B", "日本", "b", "a"]


def make_items(n: int = 3, *, region: str = "eu") -> list[Item]:
    return [Item(item_id=f"item-{i:05d}", region=region, prompt=f"prompt {i}") for i in range(n)]


def make_responses(n: int = 3, *, model: str = "m") -> list[Response]:
    return [Response(item_id=f"item-{i:05d}", model=model, text=f"answer {i}") for i in range(n)]


def make_verdicts(n: int = 3, *, dimension: str = "helpful") -> list[Verdict]:
    return [
        Verdict(f"item-{i:05d}", "m", dimension, "judge", "v1", category=i % 2) for i in range(n)
    ]


def make_labels(n: int = 3, *, dimension: str = "helpful") -> list[Label]:
    return [Label(f"item-{i:05d}", "m", dimension, "rater", value=i % 2) for i in range(n)]


@dataclass(frozen=True)
class Noun:
    """How the contract adds, reads and makes one kind of row."""

    name: str
    make: Callable[[int], Sequence[Any]]
    add: Callable[[Store, Sequence[Any]], int]
    read: Callable[[Store], Sequence[Any]]


NOUNS = [
    Noun("items", make_items, lambda s, rows: s.add_items(rows), lambda s: s.items()),
    Noun("responses", make_responses, lambda s, r: s.add_responses(r), lambda s: s.responses()),
    Noun("verdicts", make_verdicts, lambda s, rows: s.add_verdicts(rows), lambda s: s.verdicts()),
    Noun("labels", make_labels, lambda s, rows: s.add_labels(rows), lambda s: s.labels()),
]
by_noun = pytest.mark.parametrize("noun", NOUNS, ids=[noun.name for noun in NOUNS])


# --- round trips ------------------------------------------------------------------------


def test_items_round_trip(store: Store) -> None:
    full = Item(
        item_id="日本",
        region="apac",
        prompt="Wie spät ist es? 🕰️ 'quotes' \"double\" \\ back",
        context=(
            Message("system", "Sei höflich."),
            Message("user", "première question"),
            Message("assistant", "réponse\nsur deux lignes"),
        ),
        segment="enterprise",
        reference="Il est midi.",
        expected_behaviour="refuse",
        weight=2.5,
    )
    bare = [Item(item_id=key, region="eu", prompt="") for key in KEYS if key != full.item_id]
    assert store.add_items([full, *reversed(bare)]) == len(KEYS)
    stored = store.items()
    assert [item.item_id for item in stored] == KEYS
    assert stored[-1] == full
    assert stored[0] == Item("B", "eu", "", (), None, None, None, 1.0)


def test_responses_round_trip(store: Store) -> None:
    answered = Response("a", "gpt-ñ", "Ответ ✓", 12, 345, 0.125, 0.000321, None)
    failed = Response("a", "claude", None, error="rate limited: 429 «retry»")
    assert store.add_responses([answered, failed]) == 2
    assert store.responses() == [failed, answered]


def test_verdicts_round_trip(store: Store) -> None:
    scored = Verdict("a", "m", "helpful", "rubric", "v2", category=5, rationale="très bien")
    abstained = Verdict("a", "m", "harmless", "rubric", "v2", None, "", "unparseable: «?»")
    assert store.add_verdicts([scored, abstained]) == 2
    assert store.verdicts() == [abstained, scored]


def test_labels_round_trip(store: Store) -> None:
    labels = [
        Label("a", "m", "helpful", "zoë", 1, inclusion_prob=0.0625, note="nuancé"),
        Label("a", "m", "helpful", "alex", 0),
    ]
    assert store.add_labels(labels) == 2
    assert store.labels() == [labels[1], labels[0]]


@by_noun
def test_reads_are_ordered_by_key(store: Store, noun: Noun) -> None:
    template = noun.make(1)[0]
    shuffled = [replace(template, item_id=key) for key in SHUFFLED_KEYS]
    assert noun.add(store, shuffled) == len(KEYS)
    assert [row.item_id for row in noun.read(store)] == KEYS


# --- idempotence ------------------------------------------------------------------------


@by_noun
def test_adding_again_writes_nothing(store: Store, noun: Noun) -> None:
    rows = noun.make(3)
    assert noun.add(store, rows) == 3
    assert noun.add(store, rows) == 0
    assert noun.read(store) == list(rows)


@by_noun
def test_only_new_keys_are_written_and_counted(store: Store, noun: Noun) -> None:
    rows = noun.make(5)
    assert noun.add(store, rows[:3]) == 3
    assert noun.add(store, rows[1:]) == 2
    assert noun.read(store) == list(rows)


@by_noun
def test_a_key_twice_in_one_batch_is_stored_once(store: Store, noun: Noun) -> None:
    first = noun.make(1)[0]
    assert noun.add(store, [first, first]) == 1
    assert noun.read(store) == [first]


@by_noun
def test_an_empty_batch_writes_nothing(store: Store, noun: Noun) -> None:
    assert noun.add(store, []) == 0
    assert noun.read(store) == []


def test_a_stored_item_is_not_overwritten(store: Store) -> None:
    original = Item("a", "eu", "first")
    store.add_items([original])
    assert store.add_items([Item("a", "us", "second", weight=3.0)]) == 0
    assert store.items() == [original]


def test_a_large_batch_is_written_in_full(store: Store) -> None:
    items = make_items(CHUNK_SIZE * 2 + 37)
    assert store.add_items(items) == len(items)
    assert store.add_items(items) == 0
    assert store.items() == items


# --- responses: failures are retried, successes are kept ---------------------------------


def test_a_failed_response_is_replaced_by_a_success(store: Store) -> None:
    failed = Response("a", "m", None, error="timeout")
    answered = Response("a", "m", "hello", 3, 4, 0.5, 0.01)
    assert store.add_responses([failed]) == 1
    assert store.add_responses([answered]) == 1
    assert store.responses() == [answered]


def test_a_failed_response_is_replaced_by_a_newer_failure(store: Store) -> None:
    store.add_responses([Response("a", "m", None, error="timeout")])
    newer = Response("a", "m", None, error="rate limited")
    assert store.add_responses([newer]) == 1
    assert store.responses() == [newer]


def test_a_successful_response_is_never_overwritten(store: Store) -> None:
    answered = Response("a", "m", "hello")
    store.add_responses([answered])
    assert store.add_responses([Response("a", "m", "different")]) == 0
    assert store.add_responses([Response("a", "m", None, error="timeout")]) == 0
    assert store.responses() == [answered]


def test_within_a_batch_the_first_success_wins(store: Store) -> None:
    batch = [
        Response("a", "m", None, error="timeout"),
        Response("a", "m", "first success"),
        Response("a", "m", "second success"),
        Response("b", "m", None, error="one"),
        Response("b", "m", None, error="two"),
    ]
    assert store.add_responses(batch) == 2
    assert store.responses() == [batch[1], batch[4]]


def test_replacing_failures_counts_only_rows_written(store: Store) -> None:
    store.add_responses([Response("a", "m", None, error="x"), Response("b", "m", "kept")])
    batch = [Response(key, "m", f"new {key}") for key in ("a", "b", "c")]
    assert store.add_responses(batch) == 2
    assert [r.text for r in store.responses()] == ["new a", "kept", "new c"]


# --- filters ----------------------------------------------------------------------------


def test_items_filter_by_region(store: Store) -> None:
    eu, us = Item("a", "eu", "p"), Item("b", "us", "p")
    store.add_items([eu, us, Item("c", "eu", "p")])
    assert [item.item_id for item in store.items(region="eu")] == ["a", "c"]
    assert store.items(region="us") == [us]
    assert store.items(region="mars") == []
    assert len(store.items()) == 3


def test_responses_filter_by_model(store: Store) -> None:
    store.add_responses(make_responses(3, model="old") + make_responses(2, model="new"))
    assert store.responses(model="new") == make_responses(2, model="new")
    assert store.responses(model="old") == make_responses(3, model="old")
    assert store.responses(model="none") == []


def test_verdicts_filter_by_dimension(store: Store) -> None:
    store.add_verdicts(make_verdicts(2, dimension="safe") + make_verdicts(3, dimension="tone"))
    assert store.verdicts(dimension="safe") == make_verdicts(2, dimension="safe")
    assert len(store.verdicts(dimension="tone")) == 3
    assert len(store.verdicts()) == 5


def test_labels_filter_by_dimension(store: Store) -> None:
    store.add_labels(make_labels(2, dimension="safe") + make_labels(3, dimension="tone"))
    assert store.labels(dimension="tone") == make_labels(3, dimension="tone")
    assert store.labels(dimension="other") == []
    assert len(store.labels()) == 5


# --- runs -------------------------------------------------------------------------------


def test_runs_start_finish_and_list(store: Store) -> None:
    before = datetime.now(UTC)
    first = store.start_run("replay", "fp-1")
    second = store.start_run("judge", "fp-1")
    assert second > first
    summary = {"responses": 120, "cost_usd": 1.25, "models": ["a", "ü"], "by": {"eu": None}}
    store.finish_run(first, "done", summary)
    store.finish_run(second, "failed", {})
    done, failed = store.runs()
    assert (done.run_id, done.step, done.fingerprint) == (first, "replay", "fp-1")
    assert (done.status, done.summary) == ("done", summary)
    assert (failed.step, failed.status, failed.summary) == ("judge", "failed", {})
    assert done.finished_at is not None
    assert before <= done.started_at <= done.finished_at <= datetime.now(UTC)
    assert done.started_at.utcoffset() == failed.started_at.utcoffset() == UTC.utcoffset(None)


def test_a_started_run_is_running(store: Store) -> None:
    run_id = store.start_run("estimate", "fp")
    (run,) = store.runs()
    assert (run.run_id, run.status, run.finished_at, run.summary) == (run_id, "running", None, {})


def test_a_summary_may_hold_numpy_scalars_but_not_arbitrary_objects(store: Store) -> None:
    run_id = store.start_run("estimate", "fp")
    store.finish_run(run_id, "done", {"n": np.int64(3), "rate": np.float64(0.25)})
    assert store.runs()[0].summary == {"n": 3, "rate": 0.25}
    other = store.start_run("estimate", "fp")
    with pytest.raises(TypeError, match="JSON-serialisable"):
        store.finish_run(other, "done", {"array": np.zeros(2)})
    assert store.runs()[1].status == "running"


def test_finishing_an_unknown_run_fails(store: Store) -> None:
    with pytest.raises(StorageError, match="no run 999"):
        store.finish_run(999, "done", {})


def test_finishing_with_status_running_is_refused(store: Store) -> None:
    run_id = store.start_run("replay", "fp")
    with pytest.raises(ValueError, match="done"):
        store.finish_run(run_id, "running", {})
    assert store.runs()[0].status == "running"


# --- transactions -----------------------------------------------------------------------


@by_noun
def test_a_failing_batch_stores_nothing(store: Store, noun: Noun) -> None:
    """A NULL key in the second chunk fails after the first chunk was sent: all rolls back."""
    kept = noun.make(2)
    noun.add(store, kept)
    template = noun.make(1)[0]
    batch = [replace(template, item_id=f"new-{i:05d}") for i in range(CHUNK_SIZE * 2 + 10)]
    batch[CHUNK_SIZE + 5] = replace(template, item_id=None)
    with pytest.raises(StorageError, match="adding"):
        noun.add(store, batch)
    assert noun.read(store) == list(kept)
    assert noun.add(store, batch[: CHUNK_SIZE + 5]) == CHUNK_SIZE + 5


def test_a_failing_batch_keeps_the_failed_responses_it_would_replace(store: Store) -> None:
    failed = Response("a", "m", None, error="timeout")
    store.add_responses([failed])
    batch = [Response("a", "m", "retried"), *make_responses(CHUNK_SIZE + 3)]
    batch[-1] = replace(batch[-1], model=None)  # type: ignore[arg-type]  # a NULL key
    with pytest.raises(StorageError):
        store.add_responses(batch)
    assert store.responses() == [failed]


# --- persistence and concurrency --------------------------------------------------------


def test_a_reopened_store_has_the_data(opener: Callable[[], Store]) -> None:
    first = opener()
    first.add_items(make_items(2))
    first.add_labels(make_labels(2))
    run_id = first.start_run("replay", "fp")
    first.close()
    again = opener()
    try:
        assert again.items() == make_items(2)
        assert again.labels() == make_labels(2)
        assert [run.run_id for run in again.runs()] == [run_id]
    finally:
        again.close()


def test_concurrent_writers_each_store_everything(opener: Callable[[], Store]) -> None:
    stores = [opener() for _ in range(4)]
    errors: list[BaseException] = []

    def write(index: int, store: Store) -> None:
        try:
            for batch in range(5):
                labels = make_labels(40, dimension=f"d{index}-{batch}")
                assert store.add_labels(labels) == 40
                assert store.add_labels(labels) == 0
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=pair) for pair in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert len(stores[0].labels()) == 4 * 5 * 40
    finally:
        for opened in stores:
            opened.close()


def test_looks_and_calls_round_trip_and_are_kept_as_first_recorded(store: Store) -> None:
    looks = [Look("correctness", "eu", 40.0, 0.2), Look("correctness", "na", 60.0, 0.2)]
    call = LookCall("cand", "correctness", "eu", "go", 0.9991, 0.998, 40.0)
    store.add_look(looks, [call])
    # the same look and call again (another process deciding at the same moment), changed
    store.add_look([Look("correctness", "eu", 40.0, 0.3)], [replace(call, outcome="no_go")])
    store.add_look([Look("correctness", "eu", 80.0, 0.4)], [])
    assert store.looks() == [*looks[:1], Look("correctness", "eu", 80.0, 0.4), looks[1]]
    assert store.look_calls() == [call]


def test_sheet_units_round_trip_and_are_written_once(store: Store) -> None:
    units = [
        SheetUnit("u1", "i1", "helpful", "eu", 0.25, ("cand", "inc")),
        SheetUnit("u2", "i2", "helpful", "us", 1.0, ("inc", "cand")),
    ]
    assert store.add_sheet_units(units) == 2
    assert store.add_sheet_units(units) == 0
    found = store.sheet_units(["u2", "u1", "missing"])
    assert found == {"u1": units[0], "u2": units[1]}
