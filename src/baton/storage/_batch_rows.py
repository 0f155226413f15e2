"""Provider batches as rows of ``provider_batches`` and back."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from baton.storage._base import BatchRecord, BatchState

__all__ = ["batch_record", "batch_row", "batch_stamps"]

_STAMPED: dict[str, str] = {
    "submitted": "submitted_at",
    "stored": "stored_at",
    "failed": "finished_at",
}


def batch_row(batch: BatchRecord) -> dict[str, Any]:
    row = asdict(batch)
    row["custom_ids"] = json.dumps(list(batch.custom_ids))
    row["requests"] = len(batch.custom_ids)
    row["created_at"] = batch.created_at or datetime.now(UTC)
    return row


def batch_stamps(state: BatchState) -> dict[str, datetime]:
    """The time stamps moving to ``state`` sets (a stored batch has finished too)."""
    now = datetime.now(UTC)
    column = _STAMPED.get(state)
    stamps = {column: now} if column else {}
    if state == "stored":
        stamps["finished_at"] = now
    return stamps


def batch_record(row: Row[Any]) -> BatchRecord:
    values = dict(row._mapping)
    values.pop("requests")
    values["custom_ids"] = tuple(json.loads(values["custom_ids"]))
    return BatchRecord(**values)
