"""The review queue without HTTP: filling from the allocation, double-labelling, claims,
quotas, submissions, skips, leases, blinding of the presentation order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from baton.decision import LabelUnit
from baton.review import (
    QueueOptions,
    ReviewQueue,
    Screen,
    Submission,
    WaitingScreen,
    presentation_order,
)
from baton.steps import StudyStore, choose_units
from baton.storage import Rater
from tests.review._study import MODELS, StudySize, opened_study


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[StudyStore]:
    study = opened_study(tmp_path)
    yield study
    study.store.close()


def queue_of(opened: StudyStore, clock: Clock | None = None, **options: float) -> ReviewQueue:
    return ReviewQueue(opened, QueueOptions(**options), clock=clock)  # type: ignore[arg-type]


ANN, BOB = Rater("ann", "rater", 1000), Rater("bob", "rater", 1000)


def screen(queue: ReviewQueue, rater: Rater) -> Screen:
    shown = queue.next_screen(rater)
    assert isinstance(shown, Screen)
    return shown


def label_all(queue: ReviewQueue, rater: Rater, value: int = 1, note: str = "") -> Screen:
    shown = screen(queue, rater)
    values = {a.position: value for a in shown.answers}
    assert queue.submit(rater, Submission(shown.slot_id, values, note)) is None
    return shown


def test_a_refill_draws_units_from_the_allocation_with_their_inclusion_probability(
    opened: StudyStore,
) -> None:
    queue = queue_of(opened, batch_labels=20, double_fraction=0.0)
    assert queue.needs_refill()
    assert queue.refill() == 10  # 20 labels = 10 units of two models' answers
    slots = opened.store.review.slots()
    assert {s.copy_no for s in slots} == {0}
    items = {i.item_id: i.region for i in opened.store.items()}
    assert all(items[s.item_id] == s.region and 0 < s.inclusion_prob <= 1 for s in slots)
    assert not queue.needs_refill()


def test_the_double_fraction_is_honoured_and_copies_go_to_different_raters(
    opened: StudyStore,
) -> None:
    queue = queue_of(opened, batch_labels=200, double_fraction=0.3)
    queue.refill()
    slots = opened.store.review.slots()
    units = Counter((s.item_id, s.dimension) for s in slots)
    doubled = sum(n == 2 for n in units.values())
    assert 0.1 < doubled / len(units) < 0.5
    for _ in range(len(slots)):
        for rater in (ANN, BOB):
            if isinstance(queue.next_screen(rater), Screen):
                label_all(queue, rater)
    per_unit = Counter((lab.item_id, lab.dimension, lab.rater) for lab in opened.store.labels())
    assert set(per_unit.values()) == {len(MODELS)}  # every rater saw each unit at most once
    raters_per_unit = Counter((i, d) for i, d, _ in per_unit)
    assert sum(n == 2 for n in raters_per_unit.values()) == doubled


def test_labels_carry_the_rater_the_note_and_the_units_inclusion_probability(
    opened: StudyStore,
) -> None:
    queue = queue_of(opened)
    queue.refill()
    shown = label_all(queue, ANN, value=0, note="  too terse  ")
    slot = opened.store.review.slot(shown.slot_id)
    assert slot is not None
    labels = opened.store.labels()
    assert sorted(lab.model for lab in labels) == sorted(MODELS)
    assert {(lab.rater, lab.value, lab.note, lab.dimension) for lab in labels} == {
        ("ann", 0, "too terse", slot.dimension)
    }
    assert {lab.inclusion_prob for lab in labels} == {slot.inclusion_prob}


def test_positions_map_to_models_through_the_slots_shuffle(opened: StudyStore) -> None:
    queue = queue_of(opened)
    queue.refill()
    shown = screen(queue, ANN)
    slot = opened.store.review.slot(shown.slot_id)
    assert slot is not None
    order = presentation_order(slot.order_seed, list(MODELS))
    values = {0: 1, 1: 0}
    assert queue.submit(ANN, Submission(shown.slot_id, values)) is None
    stored = {lab.model: lab.value for lab in opened.store.labels()}
    assert stored == {order[0]: 1, order[1]: 0}
    orders = {tuple(presentation_order(seed, list(MODELS))) for seed in range(40)}
    assert len(orders) == 2  # both left/right orders occur


def test_an_incomplete_or_invalid_submission_is_refused_and_the_slot_kept(
    opened: StudyStore,
) -> None:
    queue = queue_of(opened)
    queue.refill()
    shown = screen(queue, ANN)
    assert queue.submit(ANN, Submission(shown.slot_id, {0: 1})) == "incomplete"
    assert queue.submit(ANN, Submission(shown.slot_id, {0: 1, 1: 2})) == "incomplete"
    assert queue.submit(ANN, Submission(shown.slot_id, {0: 1, 1: 0, 2: 1})) == "incomplete"
    assert queue.submit(BOB, Submission(shown.slot_id, {0: 1, 1: 1})) == "not_held"
    assert opened.store.labels() == []
    assert screen(queue, ANN).slot_id == shown.slot_id


def test_a_skip_passes_the_unit_to_another_rater_with_its_reason(opened: StudyStore) -> None:
    queue = queue_of(opened, double_fraction=0.0)
    queue.refill()
    shown = screen(queue, ANN)
    assert queue.skip(ANN, shown.slot_id, "nonsense") == "bad_reason"
    assert queue.skip(ANN, shown.slot_id, "expertise", "tax law") is None
    assert screen(queue, ANN).slot_id != shown.slot_id
    assert screen(queue, BOB).slot_id == shown.slot_id
    (skip,) = opened.store.review.skips()
    assert (skip.rater, skip.reason, skip.note) == ("ann", "expertise", "tax law")


def test_a_quota_in_labels_stops_the_rater(opened: StudyStore) -> None:
    queue = queue_of(opened)
    queue.refill()
    limited = Rater("cid", "rater", 4)
    label_all(queue, limited)
    assert screen(queue, limited).labels_done == 2
    label_all(queue, limited)
    shown = queue.next_screen(limited)
    assert shown == WaitingScreen(labels_done=4, quota=4, quota_reached=True)


def test_an_abandoned_claim_goes_to_another_rater_after_the_lease(opened: StudyStore) -> None:
    clock = Clock()
    queue = queue_of(opened, clock, lease_s=600.0, double_fraction=0.0, batch_labels=2)
    queue.refill()
    assert len(opened.store.review.slots()) == 1
    held = screen(queue, ANN)
    assert queue.next_screen(BOB) == WaitingScreen(0, 1000, quota_reached=False)
    clock.now += timedelta(seconds=601)
    assert screen(queue, BOB).slot_id == held.slot_id
    refused = queue.submit(ANN, Submission(held.slot_id, {0: 1, 1: 1}))
    assert refused == "not_held"


class Allocation:
    """``choose_units`` stand-in: the units in ``picks``, counting the calls."""

    def __init__(self, picks: list[LabelUnit]) -> None:
        self.picks = picks
        self.asked = 0

    def __call__(self, opened: StudyStore, n_labels: int, *, seed: int = 0) -> list[LabelUnit]:
        self.asked += 1
        return list(self.picks)


def test_a_refill_that_added_nothing_asks_the_allocation_again_only_once_labels_may_move_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened, clock = opened_study(tmp_path, StudySize(items_per_region=2)), Clock()  # 8 units
    try:
        allocation = Allocation(choose_units(opened, 12))  # 6 of the 8 units
        monkeypatch.setattr("baton.review._queue.choose_units", allocation)
        queue = queue_of(opened, clock, batch_labels=12, double_fraction=0.0, low_water_units=3)

        def refill() -> tuple[int, int]:
            return queue.refill(), allocation.asked

        assert refill() == (6, 1)
        assert refill() == (0, 2)  # the same units again: all queued, nothing added
        assert refill() == (0, 2)  # nothing changed since: not asked
        for _ in range(2):
            label_all(queue, ANN)
            assert refill() == (0, 2)  # fewer than 3 done since, and untouched units wait
        label_all(queue, ANN)
        assert refill() == (0, 3)  # the low-water mark's worth done since
        label_all(queue, ANN)
        assert refill() == (0, 3)
        screen(queue, ANN), screen(queue, BOB)  # no untouched unit left
        assert refill() == (0, 4)  # one done since, and raters may be waiting
        assert refill() == (0, 4)  # none done since
        clock.now += timedelta(seconds=61)
        assert refill() == (0, 5)  # verdicts may have come in from elsewhere
    finally:
        opened.store.close()


def test_a_queued_unit_is_not_queued_again_nor_given_a_second_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = opened_study(tmp_path, StudySize(items_per_region=2))  # 8 units
    try:
        units = choose_units(opened, 16)
        allocation = Allocation(units[:2])
        monkeypatch.setattr("baton.review._queue.choose_units", allocation)
        assert queue_of(opened, double_fraction=0.0).refill() == 2
        allocation.picks = units[:3]  # two queued units again, and a new one
        assert queue_of(opened, double_fraction=1.0).refill() == 2  # the new one, twice
        copies = Counter((s.item_id, s.dimension) for s in opened.store.review.slots())
        assert sorted(copies.values()) == [1, 1, 2]
    finally:
        opened.store.close()


def test_the_allocation_is_not_asked_while_every_unit_is_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = opened_study(tmp_path, StudySize(items_per_region=2))  # 8 units
    try:
        allocation = Allocation(choose_units(opened, 16))
        monkeypatch.setattr("baton.review._queue.choose_units", allocation)
        queue = queue_of(opened, batch_labels=100, double_fraction=0.0)
        assert (queue.refill(), allocation.asked) == (8, 1)
        assert (queue.refill(), allocation.asked) == (0, 1)
    finally:
        opened.store.close()


def test_the_queue_stops_at_the_label_budget(tmp_path: Path) -> None:
    opened = opened_study(tmp_path, StudySize(budget=10))
    try:
        queue = queue_of(opened, batch_labels=40, double_fraction=0.0)
        assert queue.refill() == 5  # 10 labels: 5 units of two answers
        assert queue.refill() == 0  # all of the budget is in the queue
        while isinstance(queue.next_screen(ANN), Screen):
            label_all(queue, ANN)
        assert len(opened.store.labels()) == 10
        assert queue.refill() == 0
    finally:
        opened.store.close()


def test_an_allocation_failure_is_kept_for_the_admin_not_raised(tmp_path: Path) -> None:
    size = StudySize(items_per_region=0)
    opened = opened_study(tmp_path, size)
    try:
        queue = queue_of(opened)
        assert queue.refill() == 0
        assert queue.last_refill_problem is not None
        assert "judged" in queue.last_refill_problem
    finally:
        opened.store.close()


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="share"):
        QueueOptions(double_fraction=1.5)
    with pytest.raises(ValueError, match="positive"):
        QueueOptions(batch_labels=0)
