"""The review app's part of the storage contract: raters, label slots and their claims.

A **unit** is one item on one dimension: a rater labels every model's answer to it on one
screen. A **slot** is one copy of a unit to be labelled: copy 0 for every unit the
allocation chose, copy 1 for those drawn for double-labelling. A slot is held by at most one
rater (its claim), and a rater never holds two slots of the same unit — both enforced by
unique indexes, so two raters clicking at the same moment cannot take the same slot on
either backend. A claim older than the lease may be taken over by another rater.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from baton.domain import Item, Label, Response

__all__ = [
    "Claim",
    "Rater",
    "RaterRole",
    "ReviewStore",
    "Skip",
    "Slot",
    "SlotCounts",
    "SlotRequest",
    "UnitContent",
]

RaterRole = Literal["rater", "admin"]


@dataclass(frozen=True)
class Rater:
    """Someone with a link to the review app; ``quota`` is in labels."""

    name: str
    role: RaterRole
    quota: int


@dataclass(frozen=True)
class SlotRequest:
    """A slot to create: one copy of one unit, with the unit's inclusion probability and the
    seed of its left/right order."""

    item_id: str
    dimension: str
    region: str
    inclusion_prob: float
    copy_no: int = 0
    order_seed: int = 0


@dataclass(frozen=True)
class Slot:
    """A stored slot and its claim (``rater`` and ``claimed_at`` None while unclaimed)."""

    slot_id: int
    item_id: str
    dimension: str
    region: str
    inclusion_prob: float
    copy_no: int
    order_seed: int
    rater: str | None
    claimed_at: datetime | None
    done_at: datetime | None


UnitContent = tuple[Item, list[Response]]
"""An item and every model's stored response to it (by model)."""


@dataclass(frozen=True)
class Claim:
    """What a claim got: the slot (None when there is none, or the quota is reached), how
    many slots the rater has finished, and the slot's item with every model's response to it
    (read with the claim, so showing it takes no second query; None without a slot, or when
    the item is not in the store)."""

    slot: Slot | None
    done: int
    content: UnitContent | None = None


@dataclass(frozen=True)
class Skip:
    """A rater passed on a unit, and why; the unit goes back to the others."""

    item_id: str
    dimension: str
    rater: str
    reason: str
    note: str
    skipped_at: datetime


@dataclass(frozen=True)
class SlotCounts:
    """How many slots are unclaimed, claimed (not done) and done; ``open_first`` counts the
    unclaimed first copies (the units nobody has started)."""

    open: int
    open_first: int
    claimed: int
    done: int


class ReviewStore(Protocol):
    """Raters and label slots. Every method is one transaction."""

    def put_rater(self, rater: Rater, token_hash: str | None) -> None:
        """Add ``rater``, or give an existing one this role, quota and (unless None) token
        hash. A new rater needs a token hash."""
        ...

    def rater_for_token(self, token_hash: str) -> Rater | None: ...

    def raters(self) -> list[Rater]: ...

    def add_slots(self, requests: Sequence[SlotRequest]) -> int:
        """Add slots in order (claims follow that order); a copy of a unit already stored is
        skipped. Returns the slots written."""
        ...

    def slots(self) -> list[Slot]: ...

    def unit_content(self, item_id: str) -> UnitContent | None:
        """The item and every model's stored response to it (by model), or None."""
        ...

    def slot(self, slot_id: int) -> Slot | None: ...

    def claim_slot(
        self,
        rater: str,
        *,
        now: datetime,
        stale_before: datetime,
        max_done: int | None = None,
    ) -> Claim:
        """The slot ``rater`` holds and has not finished, else the first slot nobody holds
        (or whose claim is older than ``stale_before``) of a unit ``rater`` has neither held
        nor skipped, claimed for ``rater`` — unless ``rater`` has finished ``max_done``
        slots already. Atomic: concurrent callers never get the same slot. The claim also
        says how many slots ``rater`` has finished, and carries the slot's content."""
        ...

    def complete_slot(
        self, slot_id: int, rater: str, labels: Sequence[Label], *, now: datetime
    ) -> bool:
        """Store ``labels`` and mark the slot done, if ``rater`` holds it and it is not
        done; otherwise write nothing and return False. Atomic, and durable once it returns
        True (the labels are committed as the store commits any data)."""
        ...

    def release_slot(self, slot_id: int, skip: Skip) -> bool:
        """Record ``skip`` and give the slot back to the others, if ``skip.rater`` holds it
        and it is not done; otherwise write nothing and return False."""
        ...

    def skips(self) -> list[Skip]: ...

    def done_count(self, rater: str) -> int:
        """Slots ``rater`` has finished."""
        ...

    def slot_counts(self) -> SlotCounts: ...
