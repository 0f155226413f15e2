"""``baton review serve`` as a Python verb: enrol the raters, issue the links, serve."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from baton.errors import InputError
from baton.review import IssuedLink, QueueOptions, enrol_raters, issue_admin
from baton.steps import StudyStore, study_store
from baton.web._context import CSRF_SECRET_NAME, review_context
from baton.web._server import ReviewServer, ReviewWorkers, WorkerSpec

__all__ = ["ReviewLaunch", "ServeOptions", "serve_review"]


@dataclass(frozen=True)
class ServeOptions:
    """Who labels and how the app is served. ``raters`` empty: the raters enrolled before;
    ``quota`` None: the label budget shared among them, in whole screens; ``store``: another
    store than the study's."""

    raters: tuple[str, ...] = ()
    quota: int | None = None
    reissue: bool = False
    host: str = "127.0.0.1"
    port: int = 8765
    workers: int = 1
    queue: QueueOptions = field(default_factory=QueueOptions)
    store: str | None = None


@dataclass(frozen=True)
class ReviewLaunch:
    """The server about to serve, the links issued to raters and the admin's token."""

    url: str
    issued: tuple[IssuedLink, ...]
    admin_token: str


def _default_quota(opened: StudyStore, raters: int) -> int:
    per_screen = len(opened.study.models)
    share = opened.study.labels.budget / max(raters, 1)
    return math.ceil(share / per_screen) * per_screen


def serve_review(
    study: Path,
    options: ServeOptions = ServeOptions(),
    *,
    on_ready: Callable[[ReviewLaunch], None] | None = None,
) -> None:
    """Serve the blinded review app for ``study`` until stopped; ``on_ready`` is told the
    links first (tokens are stored hashed: a link cannot be shown again)."""
    with study_store(study, store=options.store) as opened:
        named = list(options.raters) or [
            r.name for r in opened.store.review.raters() if r.role == "rater"
        ]
        if not named:
            raise InputError("name the raters: --rater alice --rater bob", source="--rater")
        issued = enrol_raters(
            opened.store.review,
            named,
            quota=options.quota
            if options.quota is not None
            else _default_quota(opened, len(named)),
            reissue=options.reissue,
        )
        server: ReviewServer | ReviewWorkers
        if options.workers > 1:
            secret = opened.store.secret(CSRF_SECRET_NAME)
            spec = WorkerSpec(study.resolve(), options.queue, secret, store=options.store)
            server = ReviewWorkers(
                spec, opened, workers=options.workers, host=options.host, port=options.port
            )
        else:
            context = review_context(opened, options.queue)
            server = ReviewServer(context, host=options.host, port=options.port)
        launch = ReviewLaunch(server.url, tuple(issued), issue_admin(opened.store.review))
        if on_ready is not None:
            on_ready(launch)
        server.serve()
