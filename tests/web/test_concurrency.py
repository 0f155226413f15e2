"""Eight raters using the served app at the same moment, on both backends: every "Saved."
is a stored submission, exactly once, and no page names a model."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from baton.review import QueueOptions, enrol_raters
from baton.steps import StudyStore
from baton.web import ReviewServer, review_context
from tests.review._study import BACKENDS, MODELS, StudySize, check_stored, study_on

RATERS = 8
ROUNDS = 5
_FORM = re.compile(r'action="/rate/(\d+)"')
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(params=BACKENDS)
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StudyStore]:
    with study_on(request.param, tmp_path, StudySize(budget=10_000)) as study:
        yield study


def rate(base: str, link: str, barrier: threading.Barrier) -> list[int]:
    """Log in, wait for the others, then load a screen and answer ``ROUNDS`` screens, each
    the one the previous answer was answered with; the slots whose answers were
    acknowledged."""
    saved = []
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        assert client.get(link).status_code == 303
        barrier.wait(timeout=30)
        page = client.get("/rate")
        for _ in range(ROUNDS):
            assert page.status_code == 200
            assert not any(model in page.text for model in MODELS)
            action, csrf = _FORM.search(page.text), _CSRF.search(page.text)
            assert action
            assert csrf
            answers = {f"answer-{i}": "1" for i in range(len(MODELS))}
            page = client.post(f"/rate/{action[1]}", data={"csrf": csrf[1], **answers})
            assert page.status_code == 200
            assert 'role="status">Saved.<' in page.text
            saved.append(int(action[1]))
    return saved


def test_raters_sending_at_once_each_get_their_labels_stored_once(opened: StudyStore) -> None:
    issued = enrol_raters(opened.store.review, [f"r{i}" for i in range(RATERS)], quota=1000)
    options = QueueOptions(double_fraction=0.5, batch_labels=400)
    context = review_context(opened, options, refill_interval_s=0.2)
    barrier = threading.Barrier(RATERS)
    acknowledged: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(name: str, link: str) -> None:
        try:
            slots = rate(server.url, link, barrier)
            with lock:
                acknowledged.extend((name, slot) for slot in slots)
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    with ReviewServer(context) as server:
        threads = [
            threading.Thread(target=work, args=(i.rater.name, f"/login?token={i.token}"))
            for i in issued
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert len(acknowledged) == RATERS * ROUNDS
    check_stored(opened, acknowledged)
