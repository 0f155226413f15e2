"""Which log column holds each field of an item, when the study does not say.

A field the study's ``ingest.fields`` names is read from that column. Every other field is
looked for among the logs' columns under its common names (case-insensitive), the first
found winning: ``prompt`` (prompt, question, input, query), ``incumbent_answer`` (answer,
output, completion, response), ``region`` (region, locale, market), ``expected_behaviour``
(expected_behaviour, expected, refuse, label), ``reference`` (reference, gold,
ground_truth), ``id`` (id), ``timestamp`` (timestamp, ts, time, created_at). A log with
no prompt column but a ``messages`` one is read as chat. The summary says which column
each field came from, which were found this way, and which columns were left unread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from baton.study import IngestFields

__all__ = ["COMMON_NAMES", "FieldResolution", "resolve_fields"]

COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "prompt": ("prompt", "question", "input", "query"),
    "incumbent_answer": ("answer", "output", "completion", "response"),
    "region": ("region", "locale", "market"),
    "expected_behaviour": ("expected_behaviour", "expected", "refuse", "label"),
    "reference": ("reference", "gold", "ground_truth"),
    "id": ("id",),
    "timestamp": ("timestamp", "ts", "time", "created_at"),
}
"""The names each field is looked for under, in order, where the study maps it to none."""

_FIELDS = (
    "prompt",
    "messages",
    "region",
    "timestamp",
    "segment",
    "incumbent_answer",
    "reference",
    "expected_behaviour",
    "id",
)


@dataclass(frozen=True)
class FieldResolution:
    """The field map to read the logs with: ``used`` field -> column, ``auto`` the fields
    found under a common name, ``ignored`` the columns nothing reads."""

    fields: IngestFields
    used: dict[str, str]
    auto: tuple[str, ...]
    ignored: tuple[str, ...]


def resolve_fields(
    fields: IngestFields, columns: Sequence[str], *, strata: Sequence[str] = ()
) -> FieldResolution:
    """``fields`` with every field the study leaves unset mapped to a column of ``columns``
    under its common name, where there is one."""
    explicit = set(fields.model_fields_set)
    by_lower = {column.lower(): column for column in reversed(columns)}
    update: dict[str, str | None] = {}
    taken = {getattr(fields, name) for name in explicit} | set(strata)
    for name, names in COMMON_NAMES.items():
        if name in explicit:
            continue
        found = next(
            (by_lower[n] for n in names if n in by_lower and by_lower[n] not in taken), None
        )
        if found is not None:
            update[name] = found
            taken.add(found)
    if "prompt" not in update and not {"prompt", "messages"} & explicit and "messages" in by_lower:
        update.update(prompt=None, messages=by_lower["messages"])
    resolved = fields.model_copy(update=update) if update else fields
    used = {name: getattr(resolved, name) for name in _FIELDS if getattr(resolved, name)}
    auto = tuple(
        name
        for name in _FIELDS
        if update.get(name) is not None and update[name] != getattr(fields, name)
    )
    read = set(used.values()) | set(strata)
    ignored = tuple(column for column in columns if column not in read)
    return FieldResolution(resolved, used, auto, ignored)
