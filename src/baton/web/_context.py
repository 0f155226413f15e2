"""What the routes share: the study and its store, the queue, the decisions, the CSRF
secret, and the refiller that keeps the queue fed in the background."""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field

from baton.errors import BatonError
from baton.labelling import StudyStore
from baton.review import QueueOptions, ReviewQueue
from baton.review._admin import DecisionCache
from baton.web._security import Gate

__all__ = ["Refiller", "ReviewContext", "review_context"]

_log = logging.getLogger("baton.web")


class Refiller:
    """A thread that tops the queue up from the allocation when it runs low, so no rater's
    request waits for the calibration. ``poke`` after each label; it also checks every
    ``interval_s``."""

    def __init__(self, queue: ReviewQueue, *, interval_s: float = 5.0) -> None:
        self._queue = queue
        self._interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Fill the queue once now, then keep it filled in the background."""
        self._fill()
        self._thread = threading.Thread(target=self._run, name="baton-refill", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval_s)
            self._wake.clear()
            if not self._stop.is_set():
                self._fill()
                self._stop.wait(min(self._interval_s, 1.0))  # at most one look a second

    def _fill(self) -> None:
        try:
            if self._queue.needs_refill():
                self._queue.refill()
        except BatonError as error:  # the store is unreachable: try again later
            self._queue.last_refill_problem = str(error)
            _log.warning("refilling the review queue failed: %s", error)


@dataclass
class ReviewContext:
    """Everything a request needs."""

    opened: StudyStore
    queue: ReviewQueue
    decisions: DecisionCache
    refiller: Refiller
    gate: Gate
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))


def review_context(
    opened: StudyStore, options: QueueOptions | None = None, *, refill_interval_s: float = 5.0
) -> ReviewContext:
    """A context over an open study (its store stays open: close it after the server)."""
    options = options or QueueOptions()
    queue = ReviewQueue(opened, options)
    return ReviewContext(
        opened=opened,
        queue=queue,
        decisions=DecisionCache(opened, seed=options.seed),
        refiller=Refiller(queue, interval_s=refill_interval_s),
        gate=Gate(opened.store.review),
    )
