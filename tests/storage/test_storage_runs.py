"""Runs and their owners, on every backend: one writer per step, a run whose process died
is shown interrupted, and two replays at once pay each call once."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from baton.domain import Item
from baton.errors import StepBusyError
from baton.providers import Completion, CompletionRequest, FakeProvider
from baton.steps import StudyStore, replay_study
from baton.storage import RUN_LEASE_S, Store
from baton.storage import _tables as t
from baton.study import parse_study
from tests.storage.conftest import Opener


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(30)
    return process.pid


def set_owner(store: Store, run_id: int, **values: Any) -> None:
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(update(t.runs).where(t.runs.c.run_id == run_id).values(**values))


def test_an_exclusive_step_refuses_a_second_writer_in_one_line(opener: Opener) -> None:
    first, second = opener(), opener()
    try:
        run_id = first.start_run("replay", "fp", exclusive=True)
        with pytest.raises(StepBusyError, match=r"another replay of this store is running \(pid"):
            second.start_run("replay", "fp", exclusive=True)
        second.start_run("judge", "fp", exclusive=True)  # another step is free
        second.start_run("estimate", "fp")  # and a step that is not exclusive
        first.finish_run(run_id, "done", {})
        second.start_run("replay", "fp", exclusive=True)  # free again once finished
    finally:
        first.close()
        second.close()


def test_a_run_whose_process_died_is_interrupted_and_frees_its_step(store: Store) -> None:
    run_id = store.start_run("replay", "fp", exclusive=True)
    assert store.runs()[0].status == "running"
    set_owner(store, run_id, owner_pid=dead_pid())
    (run,) = store.runs()
    assert run.status == "interrupted"
    again = store.start_run("replay", "fp", exclusive=True)
    assert [(r.run_id, r.status) for r in store.runs()] == [
        (run_id, "interrupted"),
        (again, "running"),
    ]


def test_a_lease_not_renewed_frees_the_step_whatever_the_host(store: Store) -> None:
    run_id = store.start_run("judge", "fp", exclusive=True)
    set_owner(store, run_id, owner_host="elsewhere/00000000", owner_pid=1)
    assert store.runs()[0].status == "running"  # another machine: its lease decides
    with pytest.raises(StepBusyError, match=r"pid 1 on elsewhere"):
        store.start_run("judge", "fp", exclusive=True)
    store.heartbeat(run_id)
    stale = datetime.now(UTC) - timedelta(seconds=2 * RUN_LEASE_S)
    set_owner(store, run_id, heartbeat_at=stale)
    assert store.runs()[0].status == "interrupted"
    store.start_run("judge", "fp", exclusive=True)


def test_a_run_stored_before_owners_were_recorded_is_not_running(store: Store) -> None:
    run_id = store.start_run("replay", "fp")
    set_owner(store, run_id, owner_host=None, owner_pid=None, heartbeat_at=None)
    assert store.runs()[0].status == "interrupted"
    assert store.runs()[0].owner is None


def test_a_heartbeat_keeps_a_run_alive(store: Store) -> None:
    run_id = store.start_run("replay", "fp", exclusive=True)
    set_owner(store, run_id, heartbeat_at=datetime.now(UTC) - timedelta(seconds=RUN_LEASE_S))
    store.heartbeat(run_id)
    assert store.runs()[0].status == "running"


def test_the_stores_secret_is_made_once(opener: Opener) -> None:
    first = opener()
    secret = first.secret("review-csrf")
    assert len(secret) == 32
    assert first.secret("review-csrf") == secret
    assert first.secret("other") != secret
    first.close()
    again = opener()
    assert again.secret("review-csrf") == secret
    again.close()


def test_two_replays_at_once_pay_each_call_once(opener: Opener, study_data: dict[str, Any]) -> None:
    study = parse_study(study_data)
    items = [Item(f"item-{i}", "eu", f"question {i}") for i in range(5)]
    setup = opener()
    setup.add_items(items)
    setup.close()
    calls: Counter[tuple[str, str]] = Counter()
    calling, go_on = threading.Event(), threading.Event()

    def answer(request: CompletionRequest) -> Completion:
        calls[(request.model, request.messages[-1].content)] += 1
        calling.set()
        go_on.wait(60)  # hold the first replay in its calls while the second starts
        return Completion(f"answer to {request.messages[-1].content}", 3, 3)

    def replay_once(outcome: dict[str, BaseException | None]) -> None:
        store = opener()
        provider = FakeProvider(reply_function=answer)
        try:
            replay_study(StudyStore(study, store), providers={"old": provider, "new": provider})
            outcome["error"] = None
        except BaseException as error:
            outcome["error"] = error
        finally:
            store.close()

    first: dict[str, BaseException | None] = {}
    thread = threading.Thread(target=replay_once, args=(first,))
    thread.start()
    try:
        assert calling.wait(60), "the first replay made no call"
        second: dict[str, BaseException | None] = {}
        replay_once(second)
    finally:
        go_on.set()
        thread.join(60)
    assert isinstance(second["error"], StepBusyError)
    assert first["error"] is None
    third: dict[str, BaseException | None] = {}
    replay_once(third)  # nothing left to ask
    assert third["error"] is None
    assert len(calls) == 2 * len(items)
    assert set(calls.values()) == {1}
    check = opener()
    assert [run.status for run in check.runs()] == ["done", "done"]
    assert len(check.responses()) == 2 * len(items)
    check.close()
