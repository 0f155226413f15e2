"""The review app: thin routes over ``baton.review`` and the store.

``review_context`` gathers an open study, its queue and the refiller; ``create_app`` builds
the FastAPI app; ``ReviewServer`` runs it with uvicorn (in this thread, or in a background
one for tests and benchmarks); ``serve_review`` is ``baton review serve``. Needs
``pip install 'baton-migrate[review]'``.
"""

from __future__ import annotations

from baton.web._app import create_app
from baton.web._context import Refiller, ReviewContext, review_context
from baton.web._launch import ReviewLaunch, ServeOptions, serve_review
from baton.web._server import ReviewServer, ReviewWorkers, WorkerSpec

__all__ = [
    "Refiller",
    "ReviewContext",
    "ReviewLaunch",
    "ReviewServer",
    "ReviewWorkers",
    "ServeOptions",
    "WorkerSpec",
    "create_app",
    "review_context",
    "serve_review",
]
