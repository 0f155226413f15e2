"""JSON from files Baton is given, read strictly: UTF-8, no key twice in one object, no
nesting deeper than a parser can follow. What is wrong is said without quoting the data."""

from __future__ import annotations

import json
from typing import Any

from baton.errors import InputError

__all__ = ["json_problem", "load_json_document"]

_SHOWN_KEY = 64


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


def _parse(raw: bytes, *, first: bool) -> tuple[Any, tuple[str | None, str] | None]:
    """The value of one JSON text, or the field at fault (or None) and the problem."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (None, f"not UTF-8 text (byte {exc.start + 1})")
    if first:
        text = text.removeprefix("\ufeff")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys), None
    except _DuplicateKey as exc:
        shown = exc.key if len(exc.key) <= _SHOWN_KEY and exc.key.isprintable() else None
        return None, (shown, "a key appears twice in one object")
    except RecursionError:
        return None, (None, "nested too deeply to read")
    except json.JSONDecodeError as exc:
        return None, (None, f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")


def json_problem(raw: bytes, *, first: bool = False) -> tuple[str | None, str] | None:
    """What is wrong with one line of JSON Lines (``first``: the file's first, which may
    start with a byte-order mark): the field at fault (or None) and the problem; None if it
    is a JSON object."""
    value, problem = _parse(raw, first=first)
    if problem is not None:
        return problem
    if not isinstance(value, dict):
        return None, f"a JSON {_json_kind(value)}, not an object"
    return None


def load_json_document(raw: bytes, *, source: str) -> Any:
    """The JSON document in ``raw``, read strictly; an ``InputError`` naming ``source``."""
    value, problem = _parse(raw, first=True)
    if problem is not None:
        field, message = problem
        raise InputError(message, source=source, field=field)
    return value


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "null" if value is None else "number"
