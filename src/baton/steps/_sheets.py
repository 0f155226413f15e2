"""Labelling sheets: the units to label as a table a person (or another labelling tool) can
use, blinded, and the files they are written to.

A sheet has one row per unit (an item on one dimension), with the item's prompt and
conversation, the dimension's rubric and what it is judged by (style guide, expected
behaviour, reference), every model's answer under a position (``answer_A``, ``answer_B``,
... in a random order per row) and an empty label column per answer (``label_A``, ...).
The row's ``unit`` is a random token; which model stands at which position is kept in the
store under it (``Store.add_sheet_units``), never on the sheet.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import shutil
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb

from baton.decision import LabelUnit
from baton.domain import Item, Response
from baton.errors import InputError
from baton.storage import SheetUnit, Store
from baton.study import Study, rater_guidance

__all__ = [
    "EXPORT_FORMATS",
    "SHEET_SUFFIXES",
    "ExportFormat",
    "LabelSheet",
    "SheetRow",
    "build_sheet",
    "check_sheet_path",
    "letter",
    "position_of",
    "write_export",
    "write_sheet",
]

ExportFormat = Literal["csv", "label-studio", "argilla"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "label-studio", "argilla")
SHEET_SUFFIXES = (".csv", ".jsonl", ".parquet")
FAILED_ANSWER = "(no answer: this model's call failed)"
PASS_FAIL = ("pass", "fail")
"""The choices a rater picks from in Label Studio and Argilla (and a sheet's vocabulary)."""


def letter(position: int) -> str:
    """The position's name on a sheet: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = string.ascii_uppercase
    return (
        letters[position] if position < 26 else letter(position // 26 - 1) + letters[position % 26]
    )


def position_of(name: str) -> int | None:
    """The position a letter names (``A`` -> 0), or None if it names none."""
    if not name or not name.isalpha() or not name.isupper():
        return None
    position = 0
    for char in name:
        position = position * 26 + (ord(char) - ord("A") + 1)
    return position - 1


@dataclass(frozen=True)
class SheetRow:
    """One unit on a sheet, blinded: the answers in shown order, no model named."""

    unit: str
    item_id: str
    region: str
    dimension: str
    rubric: str
    context: str
    prompt: str
    style_guide: str | None
    expected_behaviour: str | None
    reference: str | None
    inclusion_prob: float
    answers: tuple[str, ...]

    def fields(self, width: int) -> dict[str, Any]:
        """The row as a flat record, answers and empty labels up to ``width`` positions."""
        record: dict[str, Any] = {
            "unit": self.unit,
            "item_id": self.item_id,
            "region": self.region,
            "dimension": self.dimension,
            "rubric": self.rubric,
            "context": self.context,
            "prompt": self.prompt,
            "style_guide": self.style_guide,
            "expected_behaviour": self.expected_behaviour,
            "reference": self.reference,
            "inclusion_prob": self.inclusion_prob,
        }
        for position in range(width):
            answer = self.answers[position] if position < len(self.answers) else None
            record[f"answer_{letter(position)}"] = answer
        return record


@dataclass(frozen=True)
class LabelSheet:
    """The rows of a sheet, and the units recorded for it."""

    rows: tuple[SheetRow, ...]
    units: tuple[SheetUnit, ...]

    @property
    def width(self) -> int:
        """Answer positions on the sheet (the most answers a unit has)."""
        return max((len(row.answers) for row in self.rows), default=0)

    def records(self) -> list[dict[str, Any]]:
        """Flat records with empty ``label_*`` columns, a ``rater`` and a ``note`` column."""
        labels = {f"label_{letter(p)}": None for p in range(self.width)}
        return [
            {**row.fields(self.width), **labels, "rater": None, "note": None} for row in self.rows
        ]


def _context(item: Item) -> str:
    return "\n\n".join(f"{m.role}: {m.content}" for m in item.context)


def build_sheet(
    study: Study, store: Store, units: list[LabelUnit], *, rng: secrets.SystemRandom | None = None
) -> LabelSheet:
    """A blinded sheet of ``units``, each row's answers in a random order of its own."""
    shuffle = (rng or secrets.SystemRandom()).shuffle
    items = {item.item_id: item for item in store.items()}
    responses: dict[tuple[str, str], Response] = {
        (r.item_id, r.model): r for r in store.responses()
    }
    rows, recorded = [], []
    for unit in units:
        item = items[unit.item_id]
        models = [m.name for m in study.models if (unit.item_id, m.name) in responses]
        shuffle(models)
        token = secrets.token_hex(8)
        dimension = study.dimension(unit.dimension)
        guide = rater_guidance(study, dimension, item)
        answers = tuple(
            FAILED_ANSWER if r.error is not None else (r.text or "")
            for r in (responses[(unit.item_id, m)] for m in models)
        )
        rows.append(
            SheetRow(
                token,
                unit.item_id,
                unit.region,
                unit.dimension,
                dimension.rubric,
                _context(item),
                item.prompt,
                guide.style_guide,
                guide.expected_behaviour,
                guide.reference,
                unit.inclusion_prob,
                answers,
            )
        )
        recorded.append(
            SheetUnit(
                token,
                unit.item_id,
                unit.dimension,
                unit.region,
                unit.inclusion_prob,
                tuple(models),
            )
        )
    return LabelSheet(tuple(rows), tuple(recorded))


def check_sheet_path(path: Path) -> None:
    """Refuse a sheet path whose suffix is not .csv, .jsonl or .parquet."""
    if path.suffix.lower() not in SHEET_SUFFIXES:
        raise InputError(
            f"a sheet is written as {', '.join(SHEET_SUFFIXES)}; got {path.suffix or 'no suffix'}",
            source=str(path),
        )


def write_sheet(sheet: LabelSheet, path: Path) -> None:
    """Write the sheet as CSV, JSONL or Parquet, by ``path``'s suffix."""
    check_sheet_path(path)
    suffix = path.suffix.lower()
    records = sheet.records()
    if suffix == ".csv":
        _write_text(path, _csv(records))
    elif suffix == ".jsonl":
        _write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    else:
        _write_parquet(path, records)


def _csv(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if records:
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]))
        writer.writeheader()
        for record in records:
            writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return buffer.getvalue()


def _write_parquet(path: Path, records: list[dict[str, Any]]) -> None:
    """Every column text but ``inclusion_prob`` (DOUBLE), through DuckDB."""
    columns = list(records[0]) if records else ["unit"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="baton-sheet-") as tmp:
        staged = Path(tmp) / "sheet.jsonl"
        staged.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        types = {c: "DOUBLE" if c == "inclusion_prob" else "VARCHAR" for c in columns}
        spec = ", ".join(f"'{c}': '{t}'" for c, t in types.items())
        target = Path(tmp) / "sheet.parquet"
        connection = duckdb.connect(":memory:")
        try:
            connection.execute(
                f"COPY (SELECT * FROM read_json({_literal(staged)}, format = "
                f"'newline_delimited', columns = {{{spec}}})) "
                f"TO {_literal(target)} (FORMAT parquet)"
            )
        finally:
            connection.close()
        shutil.move(target, path)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with open(handle, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    Path(temp).replace(path)


def _task_data(row: SheetRow, width: int) -> dict[str, Any]:
    """A row's fields for another tool: no empty guide, answers only where there is one."""
    return {k: v for k, v in row.fields(width).items() if v is not None}


def _label_studio(sheet: LabelSheet) -> list[dict[str, Any]]:
    return [{"data": _task_data(row, sheet.width)} for row in sheet.rows]


def _argilla(sheet: LabelSheet) -> list[dict[str, Any]]:
    records = []
    for row in sheet.rows:
        data = _task_data(row, sheet.width)
        keys = ("unit", "item_id", "region", "dimension", "inclusion_prob")
        metadata = {k: data.pop(k) for k in keys}
        records.append({"id": metadata["unit"], "fields": data, "metadata": metadata})
    return records


def write_export(sheet: LabelSheet, path: Path, fmt: ExportFormat) -> None:
    """Write the sheet's tasks for ``fmt``: a CSV sheet, Label Studio's task import (a JSON
    list of ``{"data": {...}}``) or Argilla's records (``{"id", "fields", "metadata"}``)."""
    if fmt == "csv":
        _write_text(path, _csv(sheet.records()))
        return
    tasks = _label_studio(sheet) if fmt == "label-studio" else _argilla(sheet)
    _write_text(path, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
