"""Who may use the review app: per-rater and admin tokens (only their hashes are stored),
and CSRF tokens bound to the holder of a token.

Tokens are 256 random bits, so a plain SHA-256 of one is as hard to reverse as guessing it:
no slow password hash is needed. A CSRF token is an HMAC of the holder's token hash under a
secret the server draws at start, so a form only posts back with the page that carried it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from baton.errors import InputError
from baton.storage import Rater, ReviewStore

__all__ = [
    "ADMIN_NAME",
    "IssuedLink",
    "check_csrf",
    "csrf_token",
    "enrol_raters",
    "hash_token",
    "issue_admin",
    "new_token",
]

ADMIN_NAME = "admin"
"""The admin's name among the raters (no rater may take it)."""

_RATER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


@dataclass(frozen=True)
class IssuedLink:
    """A rater's token, or None when the rater keeps the token issued earlier."""

    rater: Rater
    token: str | None


def new_token() -> str:
    """A fresh access token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(secret: bytes, token_hash: str) -> str:
    """The CSRF token of forms served to the holder of ``token_hash``."""
    return hmac.new(secret, f"csrf:{token_hash}".encode(), hashlib.sha256).hexdigest()


def check_csrf(secret: bytes, token_hash: str, presented: str) -> bool:
    """Whether ``presented`` is the CSRF token of ``token_hash`` (constant-time)."""
    return hmac.compare_digest(csrf_token(secret, token_hash), presented)


def enrol_raters(
    store: ReviewStore, names: Sequence[str], *, quota: int, reissue: bool = False
) -> list[IssuedLink]:
    """Add the raters not yet enrolled (each with a new token) and set every named rater's
    quota (in labels); ``reissue`` gives the enrolled ones a new token too, which ends their
    old links. Raises ``InputError`` for an invalid or reserved name."""
    if quota < 0:
        raise InputError("a quota is a number of labels, 0 or more", source="--quota")
    enrolled = {r.name: r for r in store.raters()}
    issued = []
    for name in dict.fromkeys(names):
        if not _RATER_NAME.fullmatch(name) or name == ADMIN_NAME:
            raise InputError(
                f"{name!r} is not a rater name (letters, digits, _ . @ -; not {ADMIN_NAME!r})",
                source="--rater",
            )
        if name in enrolled and enrolled[name].role != "rater":
            raise InputError(f"{name!r} is not a rater", source="--rater")
        token = new_token() if reissue or name not in enrolled else None
        rater = Rater(name, "rater", quota)
        store.put_rater(rater, None if token is None else hash_token(token))
        issued.append(IssuedLink(rater, token))
    return issued


def issue_admin(store: ReviewStore) -> str:
    """A new admin token (the previous admin link stops working)."""
    token = new_token()
    store.put_rater(Rater(ADMIN_NAME, "admin", 0), hash_token(token))
    return token
