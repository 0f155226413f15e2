"""Data: production logs -> items (``read_logs``, ``ingest_logs``); stratified sampling;
redaction of personal data before anything is stored or sent; estimation tables from files
(``read_table``); JSON documents read strictly (``load_json_document``)."""

from __future__ import annotations

from baton.data._fields import COMMON_NAMES
from baton.data._ingest import (
    IngestOptions,
    IngestReport,
    IngestResult,
    IngestSummary,
    LogFileSummary,
    RegionCounts,
    external_models,
    ingest_logs,
    read_logs,
)
from baton.data._json import load_json_document
from baton.data._redaction import Redactor, redactor_for
from baton.data._sampling import stratified_sample
from baton.data._tables import read_table

__all__ = [
    "COMMON_NAMES",
    "IngestOptions",
    "IngestReport",
    "IngestResult",
    "IngestSummary",
    "LogFileSummary",
    "Redactor",
    "RegionCounts",
    "external_models",
    "ingest_logs",
    "load_json_document",
    "read_logs",
    "read_table",
    "redactor_for",
    "stratified_sample",
]
