"""What the admin page shows: labels per rater and per stratum, agreement, the current
decisions, and the labels as CSV or Parquet."""

from __future__ import annotations

import tempfile
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

from baton.analysis import StudyResult
from baton.domain import Label
from baton.errors import BatonError
from baton.review._agreement import (
    DimensionAgreement,
    RaterAgreement,
    dimension_agreement,
    rater_agreement,
)
from baton.steps import StudyStore, study_result
from baton.storage import SlotCounts

__all__ = [
    "EXPORT_COLUMNS",
    "AdminSummary",
    "DecisionCache",
    "RaterRow",
    "StratumRow",
    "admin_summary",
    "labels_csv",
    "labels_frame",
    "labels_parquet",
    "spreadsheet_safe",
]

EXPORT_COLUMNS = [
    "item_id",
    "model",
    "dimension",
    "region",
    "rater",
    "value",
    "inclusion_prob",
    "note",
]


@dataclass(frozen=True)
class RaterRow:
    """One rater's work: labels given (quota in labels), units skipped, agreement."""

    name: str
    quota: int
    labels: int
    skips: int
    agreement: RaterAgreement | None


@dataclass(frozen=True)
class StratumRow:
    """Labels in one stratum, and how many of its responses were labelled twice or more."""

    dimension: str
    model: str
    region: str
    labels: int
    responses: int
    double_labelled: int


@dataclass(frozen=True)
class AdminSummary:
    """Everything on the admin page but the decisions."""

    raters: list[RaterRow]
    strata: list[StratumRow]
    agreement: list[DimensionAgreement]
    slots: SlotCounts
    labels_used: int
    budget: int


def _regions(opened: StudyStore) -> dict[str, str]:
    return {item.item_id: item.region for item in opened.store.items()}


def labels_frame(opened: StudyStore) -> pd.DataFrame:
    """Every label with its item's region, in ``EXPORT_COLUMNS``."""
    regions = _regions(opened)
    rows = [
        {**asdict(lab), "region": regions.get(lab.item_id, "")} for lab in opened.store.labels()
    ]
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS)


def admin_summary(opened: StudyStore) -> AdminSummary:
    """Counts per rater and stratum, and agreement, from the store now."""
    store = opened.store
    labels = store.labels()
    per_rater = Counter(lab.rater for lab in labels)
    skips = Counter(skip.rater for skip in store.review.skips())
    agreement = {a.rater: a for a in rater_agreement(labels)}
    names = sorted({r.name for r in store.review.raters() if r.role == "rater"} | set(per_rater))
    quotas = {r.name: r.quota for r in store.review.raters()}
    raters = [
        RaterRow(n, quotas.get(n, 0), per_rater[n], skips[n], agreement.get(n)) for n in names
    ]
    return AdminSummary(
        raters=raters,
        strata=_strata(labels, _regions(opened)),
        agreement=dimension_agreement(labels),
        slots=store.review.slot_counts(),
        labels_used=len(labels),
        budget=opened.study.labels.budget,
    )


def _strata(labels: list[Label], regions: dict[str, str]) -> list[StratumRow]:
    per_response = Counter((lab.dimension, lab.model, lab.item_id) for lab in labels)
    rows: dict[tuple[str, str, str], list[int]] = {}
    for (dimension, model, item_id), count in sorted(per_response.items()):
        key = (dimension, model, regions.get(item_id, ""))
        rows.setdefault(key, []).append(count)
    return [
        StratumRow(*key, sum(counts), len(counts), sum(c > 1 for c in counts))
        for key, counts in sorted(rows.items())
    ]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list)."""


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it but never runs it: a leading ``'`` when it would
    start a formula (``=HYPERLINK(...)`` in a rater's note)."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def labels_csv(frame: pd.DataFrame) -> bytes:
    """The labels as UTF-8 CSV with a header; text that a spreadsheet would run as a
    formula gets a leading ``'`` (the Parquet export keeps every value as it is)."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(_safe_cell)
    # CRLF rows (RFC 4180): a field holding a CR or LF is quoted, so it stays one field
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def _safe_cell(value: object) -> object:
    return spreadsheet_safe(value) if isinstance(value, str) else value


def labels_parquet(frame: pd.DataFrame) -> bytes:
    """The labels as a Parquet file (written by DuckDB, so no pyarrow is needed)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.parquet"
        connection = duckdb.connect()
        try:
            connection.register("labels", frame)
            connection.execute(f"COPY labels TO '{path.as_posix()}' (FORMAT PARQUET)")
        finally:
            connection.close()
        return path.read_bytes()


class DecisionCache:
    """The current decisions, computed again only when the number of labels changed."""

    def __init__(self, opened: StudyStore, *, seed: int = 0) -> None:
        self._opened = opened
        self._seed = seed
        self._lock = threading.Lock()
        self._key: int | None = None
        self._value: StudyResult | str = ""

    def current(self) -> StudyResult | str:
        """The study's result from the labels so far, or why there is none."""
        with self._lock:
            key = len(self._opened.store.labels())
            if key != self._key:
                try:
                    self._value = study_result(self._opened, seed=self._seed)
                except BatonError as error:
                    self._value = str(error)
                self._key = key
            return self._value
