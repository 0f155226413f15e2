"""Review: what humans label next and how much they agree (no HTTP here).

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
from baton.review._admin import (
    EXPORT_COLUMNS,
    AdminSummary,
    DecisionCache,
    RaterRow,
    StratumRow,
    admin_summary,
    labels_csv,
    labels_frame,
    labels_parquet,
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
from baton.review._recent import Recent

__all__ = [
    "ADMIN_NAME",
    "EXPORT_COLUMNS",
    "SKIP_REASONS",
    "AdminSummary",
    "Answer",
    "DecisionCache",
    "IssuedLink",
    "QueueOptions",
    "RaterRow",
    "Recent",
    "Refusal",
    "ReviewQueue",
    "Screen",
    "StratumRow",
    "Submission",
    "WaitingScreen",
    "admin_summary",
    "check_csrf",
    "csrf_token",
    "enrol_raters",
    "hash_token",
    "issue_admin",
    "labels_csv",
    "labels_frame",
    "labels_parquet",
    "new_token",
    "presentation_order",
]
