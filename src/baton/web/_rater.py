"""The rater's pages: one unit at a time, answers by keyboard, skip with a reason, a note.

Routes are thin: parse and check the form (pydantic), call the queue, show a page. A stored
answer or skip is answered with the next screen at once (one request per screen, not a
redirect and a second request); a refused one redirects to ``/rate`` with the reason's
notice. Nothing on these pages names a model or shows another rater's labels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from baton.review import SKIP_REASONS, Screen, Submission, csrf_token
from baton.web._context import ReviewContext
from baton.web._render import render_page
from baton.web._security import COOKIE, Session, require_csrf

__all__ = ["NOTICES", "rater_router"]

NOTICES = {
    "saved": "Saved.",
    "skipped": "Skipped: it goes to someone else.",
    "incomplete": "Answer every response (yes or no) before sending.",
    "not_held": "That one was given to someone else; here is the next.",
    "bad_reason": "Choose a reason to skip.",
}
"""The only messages a page shows after a submission (no text is reflected)."""

_MOVED_ON = frozenset({"saved", "skipped"})
"""Outcomes answered with the next screen itself; the others redirect to ``/rate``."""

MAX_NOTE = 2000


class LabelForm(BaseModel):
    """A submitted screen: a yes (1) or no (0) per shown position."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    csrf: str
    note: Annotated[str, Field(max_length=MAX_NOTE)] = ""
    answers: dict[Annotated[int, Field(ge=0, le=25)], Annotated[int, Field(ge=0, le=1)]]


class SkipForm(BaseModel):
    """A skipped screen: the reason, and the note if any."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    csrf: str
    reason: str
    note: Annotated[str, Field(max_length=MAX_NOTE)] = ""


def _label_form(form: FormData) -> LabelForm:
    answers: dict[str, str] = {}
    fields: dict[str, object] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise ValueError("files are not accepted")
        if key.startswith("answer-"):
            answers[key.removeprefix("answer-")] = value
        elif key in ("csrf", "note"):
            fields[key] = value
    return LabelForm.model_validate({**fields, "answers": answers})


_Store = Callable[[Session, FormData, int], str]
"""Stores a form for a slot; returns the outcome's key in ``NOTICES``."""


def _redirect(notice: str | None = None) -> Response:
    return RedirectResponse("/rate" + (f"?notice={notice}" if notice else ""), status_code=303)


def rater_router(context: ReviewContext) -> APIRouter:
    """The rater's routes over ``context``."""
    router = APIRouter()
    queue = context.queue

    def session_of(request: Request) -> Session:
        return context.gate.session(request.cookies.get(COOKIE), admin=False)

    def page(session: Session, notice: str | None) -> str:
        """The rater's screen (the slot they hold, else a new claim) as HTML, with a notice
        from ``NOTICES`` (an unknown key shows none)."""
        shown = queue.next_screen(session.rater)
        return render_page(
            "rate.html" if isinstance(shown, Screen) else "waiting.html",
            screen=shown,
            rater=session.rater.name,
            csrf=csrf_token(context.secret, session.token_hash),
            notice=NOTICES.get(notice or ""),
            skip_reasons=SKIP_REASONS,
        )

    @router.get("/rate", response_class=HTMLResponse)
    def rate(request: Request, notice: str | None = None) -> HTMLResponse:
        return HTMLResponse(page(session_of(request), notice))

    def store_labels(session: Session, form: FormData, slot_id: int) -> str:
        try:
            parsed = _label_form(form)
        except (ValidationError, ValueError):
            return "incomplete"
        refusal = queue.submit(session.rater, Submission(slot_id, parsed.answers, parsed.note))
        context.refiller.poke()
        return refusal or "saved"

    def store_skip(session: Session, form: FormData, slot_id: int) -> str:
        try:
            parsed = SkipForm.model_validate(dict(form))
        except ValidationError:
            return "bad_reason"
        refusal = queue.skip(session.rater, slot_id, parsed.reason, parsed.note)
        context.refiller.poke()
        return refusal or "skipped"

    def answer(request: Request, form: FormData, slot_id: int, store: _Store) -> Response:
        """Token, then CSRF (``Forbidden`` either way), then the store; once stored, the
        next screen is claimed and shown in this response."""
        session = session_of(request)
        require_csrf(context.secret, session, form.get("csrf"))
        outcome = store(session, form, slot_id)
        if outcome not in _MOVED_ON:
            return _redirect(outcome)
        return HTMLResponse(page(session, outcome))

    # The form is read on the event loop; the rest (token, CSRF, store, the next claim and
    # its page) runs in one trip to a worker thread, since each trip costs the loop as much
    # as a short query.
    @router.post("/rate/{slot_id}")
    async def submit(request: Request, slot_id: int) -> Response:
        form = await request.form(max_files=0, max_fields=64)
        return await run_in_threadpool(answer, request, form, slot_id, store_labels)

    @router.post("/rate/{slot_id}/skip")
    async def skip(request: Request, slot_id: int) -> Response:
        form = await request.form(max_files=0, max_fields=64)
        return await run_in_threadpool(answer, request, form, slot_id, store_skip)

    return router
