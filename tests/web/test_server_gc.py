"""The garbage collector of a server process is tuned once the app has started (frozen, a
larger generation-0 threshold), and only there: not at import, not in a process that serves
from a thread beside other work."""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from baton.review import QueueOptions
from baton.steps import open_study
from baton.web import ReviewServer
from baton.web._server import GC_THRESHOLD_0, ReviewWorkers, WorkerSpec, worker_app
from tests.review._study import write_study
from tests.web.conftest import App

CHECK = """
import gc
before = gc.get_threshold()
import baton.web
from baton.web._server import tune_gc
print(gc.get_threshold() == before, gc.get_freeze_count())
tune_gc()
print(gc.get_threshold()[0], gc.get_freeze_count() > 1000)
"""


def test_importing_leaves_the_collector_alone_and_tuning_freezes_what_is_alive() -> None:
    shown = subprocess.run(
        [sys.executable, "-c", CHECK], check=False, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["True", "0", str(GC_THRESHOLD_0), "True"]


@pytest.fixture
def tuned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr("baton.web._server.tune_gc", lambda: calls.append(1))
    return calls


def test_only_a_server_that_is_its_process_tunes_the_collector(app: App, tuned: list[int]) -> None:
    with ReviewServer(app.context):  # in a thread, beside the tests
        pass
    assert tuned == []
    server = ReviewServer(app.context)
    thread = threading.Thread(target=server.serve)  # as `baton review serve` runs it
    thread.start()
    deadline = time.monotonic() + 30
    while not tuned and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop()
    thread.join(timeout=30)
    assert tuned == [1]


def test_each_of_several_server_processes_tunes_its_collector(
    tmp_path: Path, tuned: list[int]
) -> None:
    study = write_study(tmp_path)
    spec = WorkerSpec(study, QueueOptions(), secrets.token_bytes(32))
    with TestClient(worker_app(spec)):  # in this process (tests)
        pass
    assert tuned == []
    opened = open_study(study)
    try:
        workers = ReviewWorkers(spec, opened, workers=2)
        factory = cast(Callable[[], FastAPI], workers._config.app)  # called in each process
        with TestClient(factory()):
            pass
        assert tuned == [1]
    finally:
        opened.store.close()
