"""Raters labelling at the same moment, through the queue, on both backends: every
acknowledged submission is stored exactly once, no slot goes to two raters, no rater labels
a unit twice, and every label belongs to a slot its rater finished."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from baton.review import QueueOptions, ReviewQueue, Screen, Submission
from baton.steps import StudyStore
from baton.storage import Rater
from tests.review._study import BACKENDS, StudySize, check_stored, study_on

RATERS = 8
ROUNDS = 6


@pytest.fixture(params=BACKENDS)
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StudyStore]:
    with study_on(request.param, tmp_path, StudySize(budget=10_000)) as study:
        yield study


def test_raters_submitting_at_once_store_each_submission_exactly_once(
    opened: StudyStore,
) -> None:
    queue = ReviewQueue(opened, QueueOptions(double_fraction=0.5, batch_labels=400))
    assert queue.refill() > 0
    barrier = threading.Barrier(RATERS)
    acknowledged: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(rater: Rater) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(ROUNDS):
                shown = queue.next_screen(rater)
                assert isinstance(shown, Screen)
                values = {answer.position: answer.position % 2 for answer in shown.answers}
                assert queue.submit(rater, Submission(shown.slot_id, values)) is None
                with lock:
                    acknowledged.append((rater.name, shown.slot_id))
        except BaseException as error:  # reported in the main thread
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(Rater(f"r{i}", "rater", 1000),)) for i in range(RATERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(acknowledged) == RATERS * ROUNDS
    check_stored(opened, acknowledged)
