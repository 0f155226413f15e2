"""Review: what humans label next and how much they agree (no HTTP here).

``paired_label_requests`` draws a paired random sample (the demo's simulated raters);
``ReviewQueue`` feeds the review app from the allocation, with double-labelling and atomic
claims; ``_access`` issues rater and admin tokens; ``_agreement`` measures inter-rater
agreement; ``_admin`` summarises labels for the admin page and exports them.
"""

from __future__ import annotations

from baton.review._access import (
    ADMIN_NAME,
    IssuedLink,
    check_csrf,
    csrf_token,
    enrol_raters,
    hash_token,
    issue_admin,
    new_token,
)
from baton.review._queue import (
    SKIP_REASONS,
    Answer,
    QueueOptions,
    Refusal,
    ReviewQueue,
    Screen,
    Submission,
    WaitingScreen,
    presentation_order,
)
from baton.review._selection import LabelRequest, paired_label_requests

__all__ = [
    "ADMIN_NAME",
    "SKIP_REASONS",
    "Answer",
    "IssuedLink",
    "LabelRequest",
    "QueueOptions",
    "Refusal",
    "ReviewQueue",
    "Screen",
    "Submission",
    "WaitingScreen",
    "check_csrf",
    "csrf_token",
    "enrol_raters",
    "hash_token",
    "issue_admin",
    "new_token",
    "paired_label_requests",
    "presentation_order",
]
