"""The review queue: which unit each rater labels next, and what a submission stores.

Units (an item on one dimension, every model's answer) come from the allocation
(``baton.labelling.choose_units``), so every label lands where it most reduces the chance of
a wrong decision. Each unit becomes a slot (copy 0); a ``double_fraction`` of them get a
second slot (copy 1) for another rater, to measure agreement. The store hands out slots
atomically (never one slot to two raters, never two copies of one unit to one rater); this
module decides what goes into it and checks what comes back. Answers are shown in a random
order drawn per slot, under positions A, B, ...: a rater never sees which model wrote which.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np

from baton.domain import Item, Label, Response
from baton.errors import BatonError
from baton.review._recent import Recent
from baton.steps import StudyStore, choose_units
from baton.storage import Rater, Skip, Slot, SlotCounts, SlotRequest
from baton.study import DimensionSpec, RaterGuidance, rater_guidance

__all__ = [
    "SKIP_REASONS",
    "Answer",
    "QueueOptions",
    "Refusal",
    "ReviewQueue",
    "Screen",
    "Submission",
    "WaitingScreen",
    "presentation_order",
]

Clock = Callable[[], datetime]
_CONTENT_TTL_S = 60.0
"""How long an item's content, read with each claim of it, is kept in memory to check the
answers sent for it (which models' answers were shown)."""
_RECHECK_S = 60.0
"""After a refill that added nothing, how long before the allocation is asked again although
no slot was done since (for what changes elsewhere: verdicts or labels stored by another
program)."""
Refusal = Literal["incomplete", "not_held", "bad_reason"]
"""Why a submission or skip was not stored: answers missing or invalid; the slot is not
(or no longer) the rater's; an unknown skip reason."""

SKIP_REASONS = {
    "expertise": "outside my expertise",
    "unreadable": "the prompt or an answer is unreadable",
    "other": "another reason (say which in the note)",
}
"""Why a rater may pass on a unit: key, and what the rater reads."""


@dataclass(frozen=True)
class QueueOptions:
    """How the queue is filled and handed out.

    ``double_fraction``: share of units a second rater labels too; ``batch_labels``: labels
    asked of the allocation per refill; ``low_water_units``: refill when fewer untouched
    units than this are waiting (default: half a batch); ``lease_s``: after this long an
    unfinished claim may be taken over by another rater.
    """

    double_fraction: float = 0.1
    batch_labels: int = 40
    low_water_units: int | None = None
    lease_s: float = 1800.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.double_fraction <= 1:
            raise ValueError("double_fraction is a share, between 0 and 1")
        if self.batch_labels < 1 or self.lease_s <= 0:
            raise ValueError("batch_labels and lease_s must be positive")


@dataclass(frozen=True)
class Answer:
    """One model's answer as a rater sees it: a position (0 = A), never the model (nor its
    error message, which may name it)."""

    position: int
    text: str | None
    failed: bool


@dataclass(frozen=True)
class Screen:
    """One unit to label: the item, the dimension's rubric, what the dimension is judged by
    (the style guide, the expected behaviour, the reference: ``guidance``), the answers in
    shown order."""

    slot_id: int
    item: Item
    dimension: DimensionSpec
    answers: tuple[Answer, ...]
    labels_done: int
    quota: int
    guidance: RaterGuidance = field(default_factory=RaterGuidance)


@dataclass(frozen=True)
class WaitingScreen:
    """Nothing to label for this rater now, and why (quota reached, queue empty)."""

    labels_done: int
    quota: int
    quota_reached: bool


@dataclass(frozen=True)
class Submission:
    """A rater's answers to one slot: 1 (yes, passes) or 0 (no) per shown position."""

    slot_id: int
    values: Mapping[int, int]
    note: str = ""


def presentation_order(order_seed: int, models: list[str]) -> list[str]:
    """The models in the order their answers are shown for a slot (a seeded shuffle)."""
    shown = list(models)
    random.Random(order_seed).shuffle(shown)
    return shown


class ReviewQueue:
    """The queue of one study; safe to share between request threads."""

    def __init__(
        self,
        opened: StudyStore,
        options: QueueOptions = QueueOptions(),
        *,
        clock: Clock | None = None,
    ) -> None:
        self.opened = opened
        self.options = options
        self._clock = clock or (lambda: datetime.now(UTC))
        self._models = [m.name for m in opened.study.models]
        self._refilling = threading.Lock()
        self._content: Recent[str, tuple[Item, list[Response]] | None] = Recent(
            size=4096, ttl_s=_CONTENT_TTL_S
        )
        self._claimed: Recent[int, Slot] = Recent(size=4096, ttl_s=options.lease_s)
        self._fruitless: tuple[int, datetime] | None = None
        """Done slots and time at the last refill that added nothing (None: it added some)."""
        self.last_refill_problem: str | None = None

    @property
    def labels_per_unit(self) -> int:
        return len(self._models)

    def next_screen(self, rater: Rater) -> Screen | WaitingScreen:
        """The unit ``rater`` holds, else the next one claimed for them; or why there is none."""
        now = self._clock()
        claim = self.opened.store.review.claim_slot(
            rater.name,
            now=now,
            stale_before=now - timedelta(seconds=self.options.lease_s),
            max_done=math.ceil(rater.quota / self.labels_per_unit),
        )
        done = claim.done * self.labels_per_unit
        if claim.slot is None:
            return WaitingScreen(done, rater.quota, quota_reached=done >= rater.quota)
        self._claimed.put(claim.slot.slot_id, claim.slot)
        self._content.put(claim.slot.item_id, claim.content)  # for the submission's check
        return self._screen(claim.slot, claim.content, done, rater.quota)

    def submit(self, rater: Rater, submission: Submission) -> Refusal | None:
        """Store the labels of a submission; None when stored, else why it was refused."""
        held = self._held(rater, submission.slot_id)
        if isinstance(held, str):
            return held
        slot, shown = held
        if sorted(submission.values) != list(range(len(shown))) or any(
            v not in (0, 1) for v in submission.values.values()
        ):
            return "incomplete"
        labels = [
            Label(
                slot.item_id,
                model,
                slot.dimension,
                rater.name,
                submission.values[position],
                inclusion_prob=slot.inclusion_prob,
                note=submission.note.strip(),
            )
            for position, model in enumerate(shown)
        ]
        stored = self.opened.store.review.complete_slot(
            slot.slot_id, rater.name, labels, now=self._clock()
        )
        self._claimed.forget(slot.slot_id)
        return None if stored else "not_held"

    def skip(self, rater: Rater, slot_id: int, reason: str, note: str = "") -> Refusal | None:
        """Pass on a unit (it goes to another rater); None when done, else why not."""
        if reason not in SKIP_REASONS:
            return "bad_reason"
        held = self._held(rater, slot_id)
        if isinstance(held, str):
            return held
        slot = held[0]
        skip = Skip(slot.item_id, slot.dimension, rater.name, reason, note.strip(), self._clock())
        released = self.opened.store.review.release_slot(slot.slot_id, skip)
        self._claimed.forget(slot.slot_id)
        return None if released else "not_held"

    def needs_refill(self) -> bool:
        """Whether fewer untouched units than the low-water mark are waiting."""
        return self.opened.store.review.slot_counts().open_first < self._low_water

    @property
    def _low_water(self) -> int:
        low = self.options.low_water_units
        if low is None:
            low = max(self.options.batch_labels // self.labels_per_unit // 2, 1)
        return low

    def refill(self) -> int:
        """Ask the allocation for the next batch, within the label budget; slots added.

        One refill at a time (a concurrent call returns 0 at once). A failure of the
        allocation is kept in ``last_refill_problem`` for the admin page, not raised.

        After a refill that added nothing, the allocation is not asked again (returns 0)
        until it may answer otherwise, for it costs up to a second of CPU on a study of a
        few thousand units and records a look of the decision rule when labels came in.
        Only new labels move it, so: once the low-water mark's worth of units were done
        since; sooner, once one was, when no untouched unit is left (a rater may be
        waiting); and, done or not, ``_RECHECK_S`` later (verdicts or labels stored by
        another program).
        """
        if not self._refilling.acquire(blocking=False):
            return 0
        try:
            counts = self.opened.store.review.slot_counts()
            if not self._worth_asking(counts):
                return 0
            try:
                requests = self._next_requests(counts)
                self.last_refill_problem = None
            except BatonError as error:
                self.last_refill_problem = str(error)
                requests = []
            added = self.opened.store.review.add_slots(requests)
            self._fruitless = None if added else (counts.done, self._clock())
            return added
        finally:
            self._refilling.release()

    def _worth_asking(self, counts: SlotCounts) -> bool:
        """Whether the allocation may add something now (see ``refill``)."""
        if self._fruitless is None:
            return True
        done_then, asked_at = self._fruitless
        new_done = counts.done - done_then
        return (
            new_done >= self._low_water
            or (new_done > 0 and counts.open_first == 0)
            or self._clock() - asked_at >= timedelta(seconds=_RECHECK_S)
        )

    def _next_requests(self, counts: SlotCounts) -> list[SlotRequest]:
        study, store = self.opened.study, self.opened.store
        pending = (counts.open + counts.claimed) * self.labels_per_unit
        remaining = study.labels.budget - len(store.labels()) - pending
        wanted = min(self.options.batch_labels, remaining / (1 + self.options.double_fraction))
        if wanted < self.labels_per_unit:
            return []
        # the allocation sees a queued unit as unlabelled until its labels are in, and
        # would pick it again (and give it a second copy, past the double fraction)
        queued = {(slot.item_id, slot.dimension) for slot in store.review.slots()}
        if queued and len(queued) >= len(store.items()) * len(study.dimensions):
            return []  # every unit is queued (or labelled): no need to ask
        rounds = counts.open + counts.claimed + counts.done
        units = [
            unit
            for unit in choose_units(
                self.opened, math.floor(wanted), seed=self.options.seed + rounds
            )
            if (unit.item_id, unit.dimension) not in queued
        ]
        rng = np.random.default_rng([self.options.seed, rounds])
        requests = []
        for unit in units:
            copies = 2 if rng.random() < self.options.double_fraction else 1
            for copy_no in range(copies):
                seed = int(rng.integers(2**31 - 1))
                requests.append(
                    SlotRequest(
                        unit.item_id,
                        unit.dimension,
                        unit.region,
                        unit.inclusion_prob,
                        copy_no=copy_no,
                        order_seed=seed,
                    )
                )
        return requests

    def _held(self, rater: Rater, slot_id: int) -> tuple[Slot, list[str]] | Refusal:
        """The slot if ``rater`` holds it unfinished (as far as this process knows: the store
        checks again when writing), with the models in shown order."""
        slot = self._claimed.get(slot_id) or self.opened.store.review.slot(slot_id)
        if slot is None or slot.rater != rater.name or slot.done_at is not None:
            return "not_held"
        content = self._unit_content(slot.item_id)
        answered = {r.model for r in content[1]} if content else set()
        order = presentation_order(slot.order_seed, self._models)
        return slot, [m for m in order if m in answered]

    def _unit_content(self, item_id: str) -> tuple[Item, list[Response]] | None:
        content = self._content.get(item_id)
        if content is None:
            content = self.opened.store.review.unit_content(item_id)
            self._content.put(item_id, content)
        return content

    def _screen(
        self, slot: Slot, content: tuple[Item, list[Response]] | None, done: int, quota: int
    ) -> Screen:
        item, responses = content if content else (Item(slot.item_id, slot.region, ""), [])
        by_model: dict[str, Response] = {r.model: r for r in responses}
        order = [m for m in presentation_order(slot.order_seed, self._models) if m in by_model]
        answers = tuple(
            Answer(i, by_model[m].text, by_model[m].error is not None) for i, m in enumerate(order)
        )
        study = self.opened.study
        dimension = study.dimension(slot.dimension)
        guidance = rater_guidance(study, dimension, item)
        return Screen(slot.slot_id, item, dimension, answers, done, quota, guidance)
