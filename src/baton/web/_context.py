"""What the routes share: the study and its store, the queue, the decisions, the CSRF
secret, and the refiller that keeps the queue fed in the background."""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field

from baton.errors import BatonError
from baton.review import DecisionCache, QueueOptions, ReviewQueue
from baton.steps import StudyStore
from baton.web._security import Gate

__all__ = ["CSRF_SECRET_NAME", "Refiller", "ReviewContext", "review_context"]

CSRF_SECRET_NAME = "review-csrf"
"""The store's secret (``Store.secret``) that signs the review app's forms: the same in
every process and after every restart, so an open form stays valid across both."""

_log = logging.getLogger("baton.web")


class Refiller:
    """A thread that tops the queue up from the allocation when it runs low, so no rater's
    request waits for the calibration. ``poke`` after each label; it also checks every
    ``interval_s``.

    ``active`` False: ``start``, ``poke`` and ``stop`` do nothing, for a server process that
    shares the queue with others while one refiller, elsewhere, fills it (two refills at
    once could each draw a batch from the same counts, going past the budget)."""

    def __init__(self, queue: ReviewQueue, *, interval_s: float = 5.0, active: bool = True) -> None:
        self._queue = queue
        self._interval_s = interval_s
        self._active = active
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: str | None = None

    def start(self) -> None:
        """Fill the queue once now, then keep it filled in the background."""
        if not self._active:
            return
        self._fill()
        self._thread = threading.Thread(target=self._run, name="baton-refill", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        if self._active:
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
                self._report(self._queue.last_refill_problem)
        except BatonError as error:  # the store is unreachable: try again later
            self._queue.last_refill_problem = str(error)
            _log.warning("refilling the review queue failed: %s", error)

    def _report(self, problem: str | None) -> None:
        """Log why the allocation gave nothing, once per new reason (the admin page shows it
        too, unless the refill runs in another process than the page's)."""
        if problem is not None and problem != self._reported:
            _log.warning("refilling the review queue failed: %s", problem)
        self._reported = problem


@dataclass
class ReviewContext:
    """Everything a request needs."""

    opened: StudyStore
    queue: ReviewQueue
    decisions: DecisionCache
    refiller: Refiller
    gate: Gate
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)


def review_context(
    opened: StudyStore,
    options: QueueOptions | None = None,
    *,
    refill_interval_s: float = 5.0,
    refill: bool = True,
    secret: bytes | None = None,
) -> ReviewContext:
    """A context over an open study (its store stays open: close it after the server).

    ``refill`` False: this context never fills the queue (another process does);
    ``secret``: the CSRF secret (default: the store's own, ``CSRF_SECRET_NAME``, created
    once: a form served before a restart, or by another process, is accepted)."""
    options = options or QueueOptions()
    queue = ReviewQueue(opened, options)
    return ReviewContext(
        opened=opened,
        queue=queue,
        decisions=DecisionCache(opened, seed=options.seed),
        refiller=Refiller(queue, interval_s=refill_interval_s, active=refill),
        gate=Gate(opened.store.review),
        secret=secret if secret is not None else opened.store.secret(CSRF_SECRET_NAME),
    )
