"""Several server processes (``baton review serve --workers N``): one CSRF secret for all,
a store connection each, slots handed out once, no refill in the server processes, the
links printed once. The served test runs the command as a real process tree on both
backends and tells which process holds each connection from ``/proc`` (Linux)."""

from __future__ import annotations

import http.client
import logging
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from benchmarks.review import postgres_database
from fastapi.testclient import TestClient

from baton.review import QueueOptions, ReviewQueue, enrol_raters, hash_token
from baton.review._access import csrf_token
from baton.steps import open_study
from baton.web import Refiller
from baton.web._server import WorkerSpec, worker_app
from tests.review._study import BACKENDS, MODELS, StudySize, write_study
from tests.storage.conftest import POSTGRES_SKIP_REASON, POSTGRES_URL_VARIABLE
from tests.web._serve import DEADLINE_S, Served, serving

_FORM = re.compile(r'action="(/rate/(\d+))"')
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SAVED = 'role="status">Saved.<'
OPTIONS = QueueOptions(double_fraction=0.0, batch_labels=40)


def form_of(page: str) -> tuple[str, int, str]:
    action, csrf = _FORM.search(page), _CSRF.search(page)
    assert action
    assert csrf
    return action[1], int(action[2]), csrf[1]


def answers(csrf: str) -> dict[str, str]:
    return {"csrf": csrf, **{f"answer-{i}": "1" for i in range(len(MODELS))}}


# --- the app of one server process, in this process --------------------------------------


def test_processes_built_from_one_spec_accept_each_others_forms(tmp_path: Path) -> None:
    study = write_study(tmp_path, StudySize(budget=10_000))
    opened = open_study(study)
    try:
        token = next(i.token for i in enrol_raters(opened.store.review, ["ann"], quota=100))
        assert token
        spec = WorkerSpec(study, OPTIONS, secrets.token_bytes(32))
        assert spec.secret.hex() not in repr(spec)
        with (
            TestClient(worker_app(spec), follow_redirects=False) as one,
            TestClient(worker_app(spec), follow_redirects=False) as other,
        ):
            for client in (one, other):
                client.get("/login", params={"token": token})
            page = one.get("/rate").text
            assert "Nothing to label right now" in page  # the processes do not refill
            Refiller(ReviewQueue(opened, OPTIONS)).start()  # the parent fills the queue
            action, slot, csrf = form_of(one.get("/rate").text)
            assert csrf == csrf_token(spec.secret, hash_token(token))
            sent = other.post(action, data=answers(csrf))  # served by one, sent to other
            assert sent.status_code == 200
            assert _SAVED in sent.text
            assert form_of(sent.text)[1] != slot
        stranger = WorkerSpec(study, OPTIONS, secrets.token_bytes(32))
        with TestClient(worker_app(stranger), follow_redirects=False) as client:
            client.get("/login", params={"token": token})
            action, _, _ = form_of(client.get("/rate").text)
            assert client.post(action, data=answers(csrf)).status_code == 403
        assert len(opened.store.labels()) == len(MODELS)
    finally:
        opened.store.close()


def test_the_refiller_logs_why_the_allocation_gave_nothing_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    opened = open_study(write_study(tmp_path, StudySize(items_per_region=0)))
    try:
        refiller = Refiller(ReviewQueue(opened, OPTIONS), interval_s=0.05)
        with caplog.at_level(logging.WARNING, logger="baton.web"):
            refiller.start()
            time.sleep(0.3)  # a few more looks, each failing the same way
            refiller.stop()
        problems = [r.getMessage() for r in caplog.records if r.name == "baton.web"]
        assert len(problems) == 1
        assert "nothing is judged yet" in problems[0]
    finally:
        opened.store.close()


def test_an_inactive_refiller_never_fills_the_queue(tmp_path: Path) -> None:
    opened = open_study(write_study(tmp_path))
    try:
        refiller = Refiller(ReviewQueue(opened, OPTIONS), interval_s=0.05, active=False)
        refiller.start()
        refiller.poke()
        time.sleep(0.2)
        refiller.stop()
        assert opened.store.review.slots() == []
    finally:
        opened.store.close()


# --- the command, as a tree of processes ----------------------------------------------------


def holder(port: int, connection: http.client.HTTPConnection, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the server's end of ``connection`` (None: none yet). A
    process that has gone meanwhile (uvicorn restarts a server process that fails its
    health check) holds nothing."""
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            local, remote = fields[1].rpartition(":")[2], fields[2].rpartition(":")[2]
            if int(local, 16) == port and int(remote, 16) == client_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        if inodes & _sockets_of(pid):
            return pid
    return None


def _sockets_of(pid: int) -> set[str]:
    """What the open descriptors of ``pid`` point at; empty once the process has gone."""
    found: set[str] = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return found
    for fd in descriptors:
        try:
            found.add(os.readlink(fd))
        except OSError:
            continue
    return found


def connection_to(served: Served, *, avoid: int | None) -> tuple[http.client.HTTPConnection, int]:
    """A fresh connection and the server process that accepted it, one other than
    ``avoid`` (the kernel hands each new one to whichever process accepts first: try
    until another does). The processes are listed afresh each time."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        connection.connect()
        accepted_by = None
        for _ in range(200):  # accepted within a second or two, else try a new connection
            accepted_by = holder(served.port, connection, served.workers())
            if accepted_by is not None:
                break
            time.sleep(0.01)
        if accepted_by is not None and accepted_by != avoid:
            return connection, accepted_by
        connection.close()
    raise AssertionError(f"no connection reached a server process other than {avoid}")


def request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    cookie: str,
    form: dict[str, str] | None = None,
) -> tuple[int, str, dict[str, str]]:
    headers = {"Cookie": cookie}
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    body = None if form is None else urlencode(form)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    return response.status, text, {k.lower(): v for k, v in response.getheaders()}


def login(served: Served, name: str) -> str:
    """Log ``name`` in; the cookie to send."""
    connection, _ = connection_to(served, avoid=None)
    try:
        link = urlsplit(served.links[name])
        status, _, headers = request(connection, "GET", f"{link.path}?{link.query}", "")
        assert status == 303
        return headers["set-cookie"].partition(";")[0]
    finally:
        connection.close()


def exchange(
    served: Served,
    cookie: str,
    path: str,
    form: dict[str, str] | None = None,
    *,
    avoid: int | None = None,
) -> tuple[int, str, int]:
    """One request, on a connection of its own, through a server process other than
    ``avoid``: the status, the page and the process that answered."""
    connection, pid = connection_to(served, avoid=avoid)
    try:
        status, text, _ = request(connection, "GET" if form is None else "POST", path, cookie, form)
        return status, text, pid
    finally:
        connection.close()


@contextmanager
def store_on(backend: str) -> Iterator[str | None]:
    """None (SQLite beside the study) or a fresh PostgreSQL database, dropped afterwards."""
    if backend == "sqlite":
        yield None
        return
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        pytest.skip(POSTGRES_SKIP_REASON)
    with postgres_database(url) as fresh:
        yield fresh


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="tells processes apart by /proc")
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_server_processes_share_forms_and_hand_out_each_slot_once(
    backend: str, tmp_path: Path
) -> None:
    with store_on(backend) as store:
        study = write_study(tmp_path, StudySize(budget=10_000), store=store)
        args = ("--rater", "ann", "--rater", "bob", "--workers", "2", "--double", "0")
        with serving(study, *args, check_exit=True) as served:
            assert len(served.started_workers(2)) == 2
            ann, bob = login(served, "ann"), login(served, "bob")
            status, page, shown_by = exchange(served, ann, "/rate")
            assert status == 200
            sent: list[int] = []
            for _ in range(3):  # each form to a process other than the one that showed it
                action, slot, csrf = form_of(page)
                status, page, shown_by = exchange(
                    served, ann, action, answers(csrf), avoid=shown_by
                )
                assert status == 200
                assert _SAVED in page
                sent.append(slot)
            held = form_of(page)[1]
            bob_slots = set()
            for _ in range(2):
                status, page, shown_by = exchange(served, bob, "/rate", avoid=shown_by)
                action, slot, csrf = form_of(page)
                bob_slots.add(slot)
                status, page, shown_by = exchange(
                    served, bob, action, answers(csrf), avoid=shown_by
                )
                assert _SAVED in page
            assert len(set(sent)) == 3
            assert not bob_slots & {*sent, held}
        assert [line.partition(":")[0] for line in served.lines] == [
            "rater ann",
            "rater bob",
            "admin",
        ]
        opened = open_study(study)
        try:
            done = {(s.rater, s.slot_id) for s in opened.store.review.slots() if s.done_at}
            assert done == {("ann", s) for s in sent} | {("bob", s) for s in bob_slots}
            assert len(opened.store.labels()) == len(MODELS) * 5
        finally:
            opened.store.close()
