"""The review app: FastAPI with server-rendered pages, over a ``ReviewContext``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from baton.storage import Rater
from baton.web._admin import admin_router
from baton.web._context import ReviewContext
from baton.web._rater import rater_router
from baton.web._render import STATIC_DIR, render_page
from baton.web._security import COOKIE, Forbidden, SecurityHeaders

__all__ = ["create_app"]


def create_app(
    context: ReviewContext,
    *,
    close_store: bool = False,
    on_started: Callable[[], None] | None = None,
) -> FastAPI:
    """The app. Its lifespan fills the queue and runs the refiller, then calls
    ``on_started``; the store stays open, unless ``close_store`` (a server process that
    opened the store for itself)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(context.refiller.start)
        if on_started is not None:
            on_started()
        try:
            yield
        finally:
            await run_in_threadpool(context.refiller.stop)
            if close_store:
                await run_in_threadpool(context.opened.store.close)

    app = FastAPI(
        title="Baton review", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(Forbidden, _forbidden)
    app.include_router(rater_router(context))
    app.include_router(admin_router(context))

    @app.get("/login")
    def login(request: Request, token: str = "") -> Response:
        """Exchange the link's token for a cookie, and go to the holder's page."""
        session = context.gate.session(token, admin=None)
        return _logged_in(request, token, session.rater)

    @app.get("/")
    def home() -> Response:
        return RedirectResponse("/rate", status_code=303)

    return app


def _logged_in(request: Request, token: str, rater: Rater) -> Response:
    target = "/admin" if rater.role == "admin" else "/rate"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


async def _forbidden(_request: Request, _error: Exception) -> Response:
    return HTMLResponse(render_page("forbidden.html"), status_code=403)
