"""Human labels from anywhere: sheets out (``baton next -o``, ``baton labels export``) and
labels in (``baton labels import``), into the same labels table the review app fills.

An import reads a filled sheet (CSV, JSONL, Parquet), a Label Studio JSON export or an
Argilla (v2) JSON export, resolves each label's position (A, B, ...) to its model through
the unit recorded when the sheet was written, and stores every label with the unit's
inclusion probability, so estimates stay unbiased. It is all or nothing: a file with any
error stores nothing, and the error names the file, the row and the field. It is
idempotent: a label is keyed by item, model, dimension and rater, so importing the same
file again adds nothing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from baton.domain import Label
from baton.errors import InputError
from baton.steps._loop import choose_units
from baton.steps._open import recorded_step, study_store
from baton.steps._sheets import (
    SHEET_SUFFIXES,
    ExportFormat,
    LabelSheet,
    build_sheet,
    check_sheet_path,
    position_of,
    write_export,
    write_sheet,
)
from baton.steps._versions import record_version
from baton.storage import SheetUnit

__all__ = ["LabelFormat", "LabelImport", "SheetExport", "labels_export", "labels_import"]

LabelFormat = Literal["sheet", "label-studio", "argilla"]
_PASS = {"1", "pass", "yes", "y", "true"}
_FAIL = {"0", "fail", "no", "n", "false"}
_SKIPPED_STATUS = {"discarded", "draft"}


@dataclass(frozen=True)
class SheetExport:
    """A sheet written: where, in which format, and its rows (blinded)."""

    path: Path
    format: ExportFormat | Literal["sheet"]
    sheet: LabelSheet


@dataclass(frozen=True)
class LabelImport:
    """What an import read and stored."""

    source: str
    format: LabelFormat
    labels: int
    written: int
    units: int
    raters: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "labels": self.labels,
            "written": self.written,
            "already_stored": self.labels - self.written,
            "units": self.units,
            "raters": list(self.raters),
        }


@dataclass(frozen=True)
class _Entry:
    """One label as a file holds it, before it is checked."""

    row: int
    field: str
    unit: str
    position: str
    value: Any
    rater: str | None
    note: str = ""


@dataclass
class _Problems:
    """Every error of a file: (message, row, field)."""

    source: str
    errors: list[tuple[str, int | None, str | None]] = field(default_factory=list)

    def add(self, message: str, row: int | None, name: str | None) -> None:
        self.errors.append((message, row, name))

    def raise_first(self) -> None:
        """Raise the first error, saying how many more there are and that nothing is stored."""
        if not self.errors:
            return
        message, row, name = self.errors[0]
        more = len(self.errors) - 1
        tail = f"; {more} more error{'s' * (more > 1)} in the file" if more else ""
        raise InputError(
            f"{message}{tail}; nothing was stored", source=self.source, row=row, field=name
        )


def labels_export(
    study: str | Path,
    n_labels: int,
    output: Path,
    *,
    fmt: ExportFormat | None = None,
    store: str | None = None,
    seed: int = 0,
) -> SheetExport:
    """``baton next -o`` / ``baton labels export``: choose the next ``n_labels`` labels (as
    ``next_units``), record the sheet's units in the store and write the sheet: by
    ``output``'s suffix (CSV, JSONL, Parquet) without ``fmt``, else as ``fmt``."""
    if fmt is None:
        check_sheet_path(output)
    with study_store(study, store=store) as opened:
        units = choose_units(opened, n_labels, seed=seed)
        sheet = build_sheet(opened.study, opened.store, units)
        opened.store.add_sheet_units(sheet.units)
    if fmt is None:
        write_sheet(sheet, output)
    else:
        write_export(sheet, output, fmt)
    return SheetExport(output, fmt or "sheet", sheet)


def labels_import(
    study: str | Path,
    path: Path,
    *,
    rater: str | None = None,
    fmt: LabelFormat | None = None,
    store: str | None = None,
) -> LabelImport:
    """``baton labels import``: check every label of ``path`` and store them all, or none.

    ``rater`` names the rater of every label (else the sheet's ``rater`` column, Label
    Studio's ``completed_by``, Argilla's ``user_id``)."""
    source = str(path)
    kind = fmt or _detect(path)
    entries = list(_read(path, kind, rater))
    with study_store(study, store=store) as opened:
        fingerprint = record_version(opened.store, opened.study).fingerprint
        units = opened.store.sheet_units({e.unit for e in entries})
        labels = _labels(entries, units, _Problems(source))
        summary: dict[str, Any] = {"source": source, "format": kind, "labels": len(labels)}
        with recorded_step(opened.store, "labels_import", fingerprint, summary):
            written = opened.store.add_labels(labels)
            summary["written"] = written
    return LabelImport(
        source,
        kind,
        len(labels),
        written,
        len({e.unit for e in entries}),
        tuple(sorted({label.rater for label in labels})),
    )


def _detect(path: Path) -> LabelFormat:
    suffix = path.suffix.lower()
    if suffix in SHEET_SUFFIXES:
        return "sheet"
    if suffix != ".json":
        raise InputError(
            "labels are read from a sheet (.csv, .jsonl, .parquet) or a Label Studio or "
            f"Argilla JSON export (.json); got {path.suffix or 'no suffix'}",
            source=str(path),
        )
    records = _json_list(path)
    first = records[0] if records else {}
    if isinstance(first, dict) and ("annotations" in first or "data" in first):
        return "label-studio"
    if isinstance(first, dict) and ("responses" in first or "fields" in first):
        return "argilla"
    raise InputError(
        "not a Label Studio export (tasks with data and annotations) nor an Argilla one "
        "(records with fields and responses); name it with --format",
        source=str(path),
        row=1,
    )


def _read(path: Path, kind: LabelFormat, rater: str | None) -> Iterator[_Entry]:
    if kind == "label-studio":
        return _label_studio(path, rater)
    if kind == "argilla":
        return _argilla(path, rater)
    return _sheet(path, rater)


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """A sheet's records with their row: the line (CSV, JSONL) or record (Parquet)."""
    readers = {".csv": _csv_records, ".jsonl": _jsonl_records, ".parquet": _parquet_records}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            f"a sheet is read from {', '.join(SHEET_SUFFIXES)}; got {path.suffix or 'no suffix'}",
            source=str(path),
        )
    return reader(path)


def _csv_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            if None in record:
                raise InputError(
                    "more fields than the header", source=str(path), row=reader.line_num
                )
            yield reader.line_num, dict(record)


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not JSON ({exc.msg})", source=str(path), row=line_no) from None
            if not isinstance(record, dict):
                raise InputError("not a JSON object", source=str(path), row=line_no)
            yield line_no, record


def _parquet_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        connection = duckdb.connect(":memory:")
        try:
            quoted = str(path).replace("'", "''")
            cursor = connection.execute(f"SELECT * FROM read_parquet('{quoted}')")
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        finally:
            connection.close()
    except duckdb.Error as exc:
        raise InputError(f"not a readable Parquet file ({exc})", source=str(path)) from None
    for index, values in enumerate(rows, start=1):
        yield index, dict(zip(columns, values, strict=True))


def _sheet(path: Path, rater: str | None) -> Iterator[_Entry]:
    for row, record in _records(path):
        unit = _text(record.get("unit"))
        who = rater or _text(record.get("rater")) or None
        note = _text(record.get("note"))
        for name, value in record.items():
            if name.startswith("label_") and _text(value):
                yield _Entry(row, name, unit, name.removeprefix("label_"), value, who, note)


def _json_list(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not JSON ({exc})", source=str(path)) from None
    if not isinstance(data, list):
        raise InputError("expected a JSON list of tasks or records", source=str(path))
    return data


def _objects(value: Any, path: Path, row: int, name: str) -> list[dict[str, Any]]:
    """``value`` as a list of JSON objects (absent: none), else an error naming it."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError("expected a list of objects", source=str(path), row=row, field=name)
    return value


def _label_studio(path: Path, rater: str | None) -> Iterator[_Entry]:
    """Label Studio's JSON export: tasks ``{data: {unit, ...}, annotations: [{completed_by,
    was_cancelled, result: [{from_name: label_A, type: choices, value: {choices: [pass]}}]}]}``."""
    for row, task in enumerate(_objects(_json_list(path), path, 1, "tasks"), start=1):
        data = task.get("data")
        if not isinstance(data, dict):
            raise InputError("a task needs a data object", source=str(path), row=row, field="data")
        unit = _text(data.get("unit"))
        for annotation in _objects(task.get("annotations"), path, row, "annotations"):
            if annotation.get("was_cancelled"):
                continue
            who = rater or _label_studio_user(annotation.get("completed_by"))
            for result in _objects(annotation.get("result"), path, row, "result"):
                name = str(result.get("from_name", ""))
                if not name.startswith("label_"):
                    continue
                value = result.get("value")
                choices = value.get("choices") if isinstance(value, dict) else None
                choice = choices[0] if isinstance(choices, list) and choices else None
                yield _Entry(row, name, unit, name.removeprefix("label_"), choice, who)


def _label_studio_user(user: Any) -> str | None:
    if isinstance(user, dict):
        user = user.get("email") or user.get("id")
    return None if user is None else f"label-studio:{user}"


def _argilla(path: Path, rater: str | None) -> Iterator[_Entry]:
    """Argilla v2's JSON export (``dataset.records.to_json``): records ``{id: unit, fields,
    metadata, responses: {label_A: [{value: pass, user_id, status}]}}``."""
    for row, record in enumerate(_objects(_json_list(path), path, 1, "records"), start=1):
        metadata = record.get("metadata")
        unit = _text(record.get("id")) or (
            _text(metadata.get("unit")) if isinstance(metadata, dict) else ""
        )
        responses = record.get("responses") or {}
        if not isinstance(responses, dict):
            raise InputError("expected an object", source=str(path), row=row, field="responses")
        for name, answers in responses.items():
            if not str(name).startswith("label_"):
                continue
            for answer in _objects(answers, path, row, str(name)):
                if answer.get("status") in _SKIPPED_STATUS:
                    continue
                user = answer.get("user_id")
                who = rater or (None if user is None else f"argilla:{user}")
                position = str(name).removeprefix("label_")
                yield _Entry(row, str(name), unit, position, answer.get("value"), who)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _value(raw: Any) -> int | None:
    """1 (pass) or 0 (fail) from the words a rater may use, else None."""
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int | float) and raw in (0, 1):
        return int(raw)
    word = _text(raw).lower()
    return 1 if word in _PASS else 0 if word in _FAIL else None


def _labels(entries: list[_Entry], units: dict[str, SheetUnit], problems: _Problems) -> list[Label]:
    """The entries as labels, every error collected; raises the first if there is one."""
    labels: list[Label] = []
    seen: dict[tuple[str, int, str], int] = {}
    for entry in entries:
        label = _label(entry, units, problems)
        if label is None:
            continue
        key = (entry.unit, label[1], label[0].rater)
        if key in seen:
            problems.add(
                f"labelled twice by {label[0].rater} (also row {seen[key]})", entry.row, entry.field
            )
            continue
        seen[key] = entry.row
        labels.append(label[0])
    problems.raise_first()
    return labels


def _label(
    entry: _Entry, units: dict[str, SheetUnit], problems: _Problems
) -> tuple[Label, int] | None:
    unit = units.get(entry.unit)
    if unit is None:
        what = f"unknown unit {entry.unit!r}" if entry.unit else "no unit"
        problems.add(f"{what}: not on a sheet written from this store", entry.row, "unit")
        return None
    position = position_of(entry.position)
    if position is None or position >= len(unit.models):
        last = chr(ord("A") + len(unit.models) - 1)
        problems.add(f"unknown position: this unit has answers A–{last}", entry.row, entry.field)
        return None
    value = _value(entry.value)
    if value is None:
        problems.add(
            f"expected pass or fail (1/0, yes/no), got {_text(entry.value)[:40]!r}",
            entry.row,
            entry.field,
        )
        return None
    if not entry.rater:
        problems.add("no rater: pass --rater or fill the rater column", entry.row, "rater")
        return None
    label = Label(
        unit.item_id,
        unit.models[position],
        unit.dimension,
        entry.rater,
        value,
        inclusion_prob=unit.inclusion_prob,
        note=entry.note,
    )
    return label, position
