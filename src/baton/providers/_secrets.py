"""Keeping API keys out of everything Baton stores or prints.

A server may echo the key it was sent: into a completion, into an error body, or a prefix of
it into an "invalid key" message. ``Redactor`` replaces every key it knows, and any run of
16 or more of a key's first characters or 8 or more of its last, by ``REDACTED``.
``key_redactor`` knows the keys that matter to a study: the value of every environment
variable a model names in ``api_key_env``, and of each provider's default key variable, when
set. The replay engine and the judge client pass every completion and every error through it
before storing it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from baton.errors import ProviderError

if TYPE_CHECKING:
    from baton.study import ModelSpec

__all__ = ["DEFAULT_KEY_VARIABLES", "REDACTED", "Redactor", "key_redactor"]

E = TypeVar("E", bound=ProviderError)

REDACTED = "[REDACTED KEY]"

DEFAULT_KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
)
"""The variables the built-in providers (and the cloud SDKs' credential chains) read a key
or a secret from when a study names none."""

_MIN_HEAD = 16
"""A run of this many of a key's first characters is masked too (a server echoing a key's
prefix); shorter runs are left, as keys share their first characters (``sk-ant-api03-``)."""
_MIN_TAIL = 8
"""A run of this many of a key's last characters is masked too (``...****wxyz12345``)."""
_MIN_SECRET = 20
"""Shorter values are masked whole only."""
_NOT_SECRETS = frozenset({"", "unused"})


@dataclass(frozen=True)
class Redactor:
    """Replaces the ``secrets`` in a text by ``REDACTED``; a redactor of none changes nothing."""

    secrets: tuple[str, ...] = ()

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
            if len(secret) >= _MIN_SECRET:
                text = _mask_fragments(text, secret)
        return text

    def error(self, error: E) -> E:
        """``error`` again (same class, cause and retry hint), its message redacted."""
        message = str(error)
        cleaned = self(message)
        if cleaned == message:
            return error
        clone = copy.copy(error)
        clone.args = (cleaned,)
        return clone

    def with_secrets(self, *secrets: str | None) -> Redactor:
        """This redactor knowing ``secrets`` too (placeholders and empty values ignored)."""
        return Redactor(_usable((*self.secrets, *secrets)))


def key_redactor(
    specs: Iterable[ModelSpec] = (), *, environ: Mapping[str, str] | None = None
) -> Redactor:
    """A redactor of every key ``specs`` may use: the values of their ``api_key_env``
    variables and of the providers' default key variables (``DEFAULT_KEY_VARIABLES``)."""
    env = os.environ if environ is None else environ
    names = [*DEFAULT_KEY_VARIABLES, *(s.api_key_env for s in specs if s.api_key_env)]
    return Redactor(_usable(env.get(name, "").strip() for name in names))


def _usable(values: Iterable[str | None]) -> tuple[str, ...]:
    """Distinct secrets, longest first (so a key containing another is masked whole)."""
    kept = {value for value in values if value and value not in _NOT_SECRETS}
    return tuple(sorted(kept, key=lambda value: (-len(value), value)))


def _mask_fragments(text: str, secret: str) -> str:
    """``text`` with every run of at least ``_MIN_HEAD`` of ``secret``'s first characters,
    or ``_MIN_TAIL`` of its last, replaced by ``REDACTED``."""
    spans = [*_head_spans(text, secret), *_tail_spans(text, secret)]
    if not spans:
        return text
    out: list[str] = []
    done = 0
    for start, end in sorted(spans):
        if end <= done:
            continue
        out.append(text[done:start] if start > done else "")
        if start >= done:
            out.append(REDACTED)
        done = end
    out.append(text[done:])
    return "".join(out)


def _head_spans(text: str, secret: str) -> list[tuple[int, int]]:
    """Where ``text`` holds the start of ``secret`` (at least ``_MIN_HEAD`` of it)."""
    head, spans = secret[:_MIN_HEAD], []
    found = text.find(head)
    while found >= 0:
        end = found + _MIN_HEAD
        while end - found < len(secret) and end < len(text) and text[end] == secret[end - found]:
            end += 1
        spans.append((found, end))
        found = text.find(head, end)
    return spans


def _tail_spans(text: str, secret: str) -> list[tuple[int, int]]:
    """Where ``text`` holds the end of ``secret`` (at least ``_MIN_TAIL`` of it)."""
    tail, spans = secret[-_MIN_TAIL:], []
    found = text.find(tail)
    while found >= 0:
        start, index = found, len(secret) - _MIN_TAIL
        while index > 0 and start > 0 and text[start - 1] == secret[index - 1]:
            start, index = start - 1, index - 1
        spans.append((start, found + _MIN_TAIL))
        found = text.find(tail, found + _MIN_TAIL)
    return spans
