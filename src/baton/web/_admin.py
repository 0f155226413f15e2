"""The admin's pages: labels per rater and stratum, agreement, decisions, exports."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from baton.review import admin_summary, labels_csv, labels_frame, labels_parquet
from baton.web._context import ReviewContext
from baton.web._render import render_page
from baton.web._security import COOKIE

__all__ = ["admin_router"]


def admin_router(context: ReviewContext) -> APIRouter:
    """The admin's routes over ``context``."""
    router = APIRouter()
    opened = context.opened

    def check(request: Request) -> None:
        context.gate.session(request.cookies.get(COOKIE), admin=True)

    @router.get("/admin", response_class=HTMLResponse)
    def admin(request: Request) -> HTMLResponse:
        check(request)
        result = context.decisions.current()
        html = render_page(
            "admin.html",
            study=opened.study,
            summary=admin_summary(opened),
            result=None if isinstance(result, str) else result,
            undecided=result if isinstance(result, str) else None,
            problem=context.queue.last_refill_problem,
        )
        return HTMLResponse(html)

    @router.get("/admin/labels.csv")
    def export_csv(request: Request) -> Response:
        check(request)
        return _attachment(labels_csv(labels_frame(opened)), "labels.csv", "text/csv")

    @router.get("/admin/labels.parquet")
    def export_parquet(request: Request) -> Response:
        check(request)
        body = labels_parquet(labels_frame(opened))
        return _attachment(body, "labels.parquet", "application/vnd.apache.parquet")

    return router


def _attachment(body: bytes, name: str, media_type: str) -> Response:
    disposition = f'attachment; filename="{name}"'
    return Response(body, media_type=media_type, headers={"content-disposition": disposition})
