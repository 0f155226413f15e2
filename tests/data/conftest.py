"""Log files in every format, written from records, and studies with an ingest section."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

from baton.study import Study, parse_study

Record = dict[str, Any]
FORMATS = ["jsonl", "csv", "parquet"]


def write_jsonl(path: Path, records: Sequence[Record], *, compress: bool = False) -> Path:
    text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_csv(path: Path, records: Sequence[Record]) -> Path:
    columns = list(dict.fromkeys(key for record in records for key in record))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for record in records:
            writer.writerow([_cell(record.get(column)) for column in columns])
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def write_parquet(path: Path, records: Sequence[Record]) -> Path:
    staging = write_jsonl(path.with_suffix(".staging.jsonl"), records)
    connection = duckdb.connect()
    try:
        connection.execute(
            f"COPY (SELECT * FROM read_json('{staging}', format = 'newline_delimited')) "
            f"TO '{path}' (FORMAT parquet)"
        )
    finally:
        connection.close()
    staging.unlink()
    return path


WRITERS: dict[str, Callable[[Path, Sequence[Record]], Path]] = {
    "jsonl": write_jsonl,
    "csv": write_csv,
    "parquet": write_parquet,
}


def write_log(folder: Path, records: Sequence[Record], fmt: str, name: str = "log") -> Path:
    return WRITERS[fmt](folder / f"{name}.{fmt}", records)


def make_study(study_data: dict[str, Any], **ingest: Any) -> Study:
    data = {**study_data, "regions": REGIONS}
    if ingest:
        data["ingest"] = ingest
    return parse_study(data)


REGIONS = [
    {"name": "eu", "traffic_share": 0.5},
    {"name": "us", "traffic_share": 0.3},
    {"name": "apac", "traffic_share": 0.2},
]


@pytest.fixture
def study_factory(study_data: dict[str, Any]) -> Callable[..., Study]:
    return lambda **ingest: make_study(study_data, **ingest)
