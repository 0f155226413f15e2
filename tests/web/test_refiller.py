"""The refiller thread without HTTP: while the queue is low but the allocation has nothing to
add and no label came in, it does not ask the allocation again at each look."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from baton.decision import LabelUnit
from baton.review import QueueOptions, ReviewQueue
from baton.steps import StudyStore, choose_units, open_study
from baton.web import Refiller
from tests.review._study import StudySize, write_study


def test_a_refiller_with_nothing_new_to_add_does_not_recompute_the_allocation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = open_study(write_study(tmp_path, StudySize(items_per_region=2)))  # 8 units
    try:
        picks = choose_units(opened, 12)  # 6 of them: the same each time it is asked
        asked: list[int] = []

        def allocation(opened: StudyStore, n_labels: int, *, seed: int = 0) -> list[LabelUnit]:
            asked.append(n_labels)
            return picks

        monkeypatch.setattr("baton.review._queue.choose_units", allocation)
        # a large batch: the queue stays below its low-water mark
        queue = ReviewQueue(opened, QueueOptions(batch_labels=100, double_fraction=0.0))
        refiller = Refiller(queue, interval_s=0.02)
        refiller.start()
        assert len(opened.store.review.slots()) == 6
        for _ in range(10):  # a look after each poke (at most one every 0.02 s)
            refiller.poke()
            time.sleep(0.05)
        refiller.stop()
        assert queue.needs_refill()
        assert len(asked) == 2  # the first fill, then one look that added nothing
    finally:
        opened.store.close()
