"""Who is asking, and the headers every response carries.

A link ``/login?token=...`` sets an HttpOnly, SameSite=Lax cookie holding the token and
redirects to a URL without it; every later request is authenticated by hashing the
cookie's token and looking the hash up (only hashes are stored). No token, an unknown one,
or a rater's token on an admin page: 403, and the page says nothing else. Every form
carries a CSRF token bound to the holder's token (``baton.review.csrf_token``). Every
response carries a strict Content-Security-Policy (scripts and styles from this server
only, no inline script, no framing), ``nosniff``, frame denial and no referrer.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from baton.review import Recent, check_csrf, hash_token
from baton.storage import Rater, ReviewStore

__all__ = [
    "COOKIE",
    "SECURITY_HEADERS",
    "Forbidden",
    "Gate",
    "SecurityHeaders",
    "Session",
    "require_csrf",
]

COOKIE = "baton_token"

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}
_ENCODED = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]


class Forbidden(Exception):
    """The request has no valid token for what it asks (rendered as a bare 403)."""


@dataclass(frozen=True)
class Session:
    """The holder of a valid token."""

    rater: Rater
    token_hash: str


class Gate:
    """Checks tokens against the store, remembering valid ones for ``ttl_s`` seconds (a
    token replaced by ``--reissue`` in another process stops working within that time)."""

    def __init__(self, review: ReviewStore, *, ttl_s: float = 10.0) -> None:
        self._review = review
        self._known: Recent[str, Rater] = Recent(size=1024, ttl_s=ttl_s)

    def session(self, token: str | None, *, admin: bool | None) -> Session:
        """The session of ``token``; ``Forbidden`` if it is missing, unknown or of the wrong
        role (``admin`` None: either role)."""
        if not token or len(token) > 200:
            raise Forbidden
        token_hash = hash_token(token)
        rater = self._known.get(token_hash)
        if rater is None:
            rater = self._review.rater_for_token(token_hash)
            if rater is None:
                raise Forbidden
            self._known.put(token_hash, rater)
        if admin is not None and (rater.role == "admin") != admin:
            raise Forbidden
        return Session(rater, token_hash)


def require_csrf(secret: bytes, session: Session, presented: object) -> None:
    """``Forbidden`` unless ``presented`` is the session's CSRF token."""
    if not isinstance(presented, str) or not check_csrf(secret, session.token_hash, presented):
        raise Forbidden


class SecurityHeaders:
    """ASGI middleware adding ``SECURITY_HEADERS`` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _ENCODED if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
