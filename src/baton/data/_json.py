"""JSON from files Baton is given, read strictly: UTF-8, no key twice in one object, no
nesting deeper than a parser can follow. What is wrong is said without quoting the data.

With ``orjson`` installed (the ``fast`` extra), a line of JSON Lines is first read the fast
way (``orjson``: strict UTF-8 and RFC 8259, but it keeps the last of two equal keys
without a word) and accepted at once when that alone proves it strict, in a line with fewer
than 128 brackets: an object that ``orjson`` writes back byte for byte (a compact writer's
line: a dict written out holds each key once); or a flat object (strings, numbers,
booleans and nulls in it), with no ``\\\\`` in the line, and as many unescaped double
quotes as its keys and string values need (a key written twice would need two more).
Anything else (deeper nesting, a line ``orjson`` refuses) is read again the strict way
with the standard library, which finds and names what is wrong: the fast way never
accepts what the strict way rejects.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # the ``fast`` extra is not installed: every line is read strictly
    orjson = None  # type: ignore[assignment]

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


_SCALARS = (str, int, float, bool, type(None))
_SHALLOW = 128
"""Fewer brackets than this in a line, and no parser (nor ``orjson``'s writer) finds it
nested too deeply."""


def _plainly_strict(raw: bytes) -> bool:
    """Whether ``raw`` is, without doubt, one JSON object with no key twice (the fast way;
    False means "read it the strict way", not "wrong")."""
    if orjson is None or raw.count(b"[") + raw.count(b"{") >= _SHALLOW:
        return False
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    if type(value) is not dict:
        return False
    if orjson.dumps(value) == raw.rstrip(b"\r\n"):
        return True  # written as orjson writes it (compact): a dict holds each key once
    return _flat_and_counted(raw, value)


def _flat_and_counted(raw: bytes, value: dict[str, Any]) -> bool:
    """A flat object, and without a backslash pair every \\" is an escaped quote and every
    other " opens or closes a key or a string value: a key written twice adds two."""
    strings = len(value)
    for item in value.values():
        if not isinstance(item, _SCALARS):
            return False
        strings += type(item) is str
    if b"\\" not in raw:
        return raw.count(b'"') == 2 * strings
    return b"\\\\" not in raw and raw.count(b'"') - raw.count(b'\\"') == 2 * strings


def json_problem(raw: bytes, *, first: bool = False) -> tuple[str | None, str] | None:
    """What is wrong with one line of JSON Lines (``first``: the file's first, which may
    start with a byte-order mark): the field at fault (or None) and the problem; None if it
    is a JSON object."""
    if _plainly_strict(raw):
        return None
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
