"""Data: production logs -> items (``read_logs``, ``ingest_logs``); stratified sampling;
redaction of personal data before anything is stored or sent."""

from __future__ import annotations

from baton.data._ingest import (
    IngestOptions,
    IngestReport,
    IngestResult,
    external_models,
    ingest_logs,
    read_logs,
)
from baton.data._redaction import Redactor, redactor_for
from baton.data._sampling import stratified_sample

__all__ = [
    "IngestOptions",
    "IngestReport",
    "IngestResult",
    "Redactor",
    "external_models",
    "ingest_logs",
    "read_logs",
    "redactor_for",
    "stratified_sample",
]
