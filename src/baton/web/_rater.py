"""The rater's pages: one unit at a time, answers by keyboard, skip with a reason, a note.

Routes are thin: parse and check the form (pydantic), call the queue, show a page. A stored
answer or skip is answered with the next screen at once (one request per screen, not a
redirect and a second request); a refused one redirects to ``/rate`` with the reason's
notice. Nothing on these pages names a model or shows another rater's labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from baton.review import SKIP_REASONS, Screen, Submission, csrf_token
from baton.web._context import ReviewContext
from baton.web._render import render_page
from baton.web._security import COOKIE, Forbidden, Session, require_csrf

__all__ = ["NOTICES", "rater_router"]

NOTICES = {
    "saved": "Saved.",
    "skipped": "Skipped: it goes to someone else.",
    "incomplete": "Answer every response (yes or no) before sending.",
    "not_held": "That one was given to someone else; here is the next.",
    "bad_reason": "Choose a reason to skip.",
    "expired": (
        "This form had expired (the server may have restarted), so nothing was saved. "
        "Your answers are kept below: check them and send again, or reload the page."
    ),
}
"""The only messages a page shows after a submission (no text is reflected; a refused
form's own values are put back in the form, escaped)."""

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


@dataclass(frozen=True)
class Kept:
    """What a refused form held, to put back: a yes (1) or no (0) per position, the note."""

    answers: dict[int, int] = field(default_factory=dict)
    note: str = ""


def _kept(form: FormData) -> Kept:
    """The well-formed values of a refused form (anything else is dropped)."""
    answers: dict[int, int] = {}
    for key, value in form.multi_items():
        position = key.removeprefix("answer-")
        if key.startswith("answer-") and position.isdigit() and value in ("0", "1"):
            answers[int(position)] = int(value)
    note = form.get("note")
    return Kept(answers, note[:MAX_NOTE] if isinstance(note, str) else "")


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

    def page(session: Session, notice: str | None, kept: tuple[int, Kept] | None = None) -> str:
        """The rater's screen (the slot they hold, else a new claim) as HTML, with a notice
        from ``NOTICES`` (an unknown key shows none), and ``kept``, the values of a refused
        form for slot ``kept[0]``, put back if that is the slot shown."""
        shown = queue.next_screen(session.rater)
        refill = Kept()
        if kept is not None and isinstance(shown, Screen) and shown.slot_id == kept[0]:
            refill = kept[1]
        return render_page(
            "rate.html" if isinstance(shown, Screen) else "waiting.html",
            screen=shown,
            rater=session.rater.name,
            csrf=csrf_token(context.secret, session.token_hash),
            notice=NOTICES.get(notice or ""),
            skip_reasons=SKIP_REASONS,
            kept=refill,
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
        try:
            require_csrf(context.secret, session, form.get("csrf"))
        except Forbidden:
            return refused(session, form, slot_id)
        outcome = store(session, form, slot_id)
        if outcome not in _MOVED_ON:
            return _redirect(outcome)
        return HTMLResponse(page(session, outcome))

    def refused(session: Session, form: FormData, slot_id: int) -> Response:
        """A form that failed its CSRF check: the unit again with its values (403), if the
        rater still holds it; else ``Forbidden``. Nothing is claimed or stored."""
        held = queue.opened.store.review.slot(slot_id)
        if held is None or held.rater != session.rater.name or held.done_at is not None:
            raise Forbidden
        return HTMLResponse(page(session, "expired", (slot_id, _kept(form))), status_code=403)

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
