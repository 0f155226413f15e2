"""Log files: which files a command line names, their format, and a line-by-line check of
the text formats (JSONL, CSV) that DuckDB's own messages do not locate precisely enough.

The check finds, for every record, the line it starts on, and rejects what DuckDB should
never see: bytes that are not UTF-8, a line that is not a JSON object, an object with a key
given twice (DuckDB would stop with the record's text in its message), a CSV row with the
wrong number of fields. With ``--skip-invalid`` the good records are copied to a clean file
for DuckDB to read (only when the file has bad ones); otherwise the first bad one is an
``InputError`` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal, cast

from baton.errors import InputError

__all__ = ["LogFile", "LogFormat", "Reject", "RejectLog", "discover", "scan_text"]

LogFormat = Literal["jsonl", "csv", "parquet"]

_SUFFIXES: dict[str, LogFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Reject:
    """A record (or a whole file, ``row`` None) left out, and why."""

    source: str
    row: int | None
    field: str | None
    reason: str

    def error(self) -> InputError:
        return InputError(self.reason, source=self.source, row=self.row, field=self.field)


class RejectLog:
    """Where rejects go: raised at once (strict), or counted and written as JSON lines."""

    def __init__(self, path: Path | None, *, skip: bool) -> None:
        self.skip = skip
        self.count = 0
        self._path = path
        self._out: IO[str] | None = None
        if skip and path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._out = path.open("w", encoding="utf-8")

    def add(self, reject: Reject) -> None:
        if not self.skip:
            raise reject.error()
        self.count += 1
        if self._out is not None:
            self._out.write(json.dumps(vars(reject), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


@dataclass
class LogFile:
    """One log file: where it is, its format, and where DuckDB reads it from.

    ``starts[k]`` is the line that DuckDB's record ``k + 1`` starts on (text formats), so a
    record DuckDB numbers can be named by its line; Parquet rows are numbered as they are.
    """

    index: int
    path: Path
    format: LogFormat
    read_path: Path
    starts: array[int] | None = None
    records: int = 0
    columns: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return str(self.path)

    def row_of(self, ordinal: int) -> int:
        """The line (text formats) or row (Parquet) of DuckDB's record number ``ordinal``."""
        if self.starts is None:
            return ordinal
        return self.starts[ordinal - 1]


def _format_of(path: Path) -> LogFormat:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    found = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise InputError(
            "unknown log format: name it .jsonl, .csv or .parquet (optionally .gz)",
            source=str(path),
        )
    if found == "parquet" and path.suffix.lower() == ".gz":
        raise InputError("a Parquet file is compressed inside: do not gzip it", source=str(path))
    return found


def discover(patterns: list[str]) -> list[LogFile]:
    """The log files named by ``patterns`` (paths or globs), each once, in order."""
    seen: dict[Path, None] = {}
    for pattern in patterns:
        if _GLOB_CHARS & set(pattern):
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise InputError("no file matches this pattern", source=pattern)
        else:
            matches = [pattern]
        for match in matches:
            path = Path(match)
            if not path.is_file():
                raise InputError("no such file", source=match)
            seen.setdefault(path, None)
    if not seen:
        raise InputError("name at least one log file", source="LOGS")
    return [
        LogFile(index, path, _format_of(path), path) for index, path in enumerate(seen, start=0)
    ]


@contextmanager
def _open_binary(path: Path) -> Iterator[IO[bytes]]:
    raw = path.open("rb")
    try:
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield cast(IO[bytes], unzipped)
        else:
            raw.seek(0)
            yield raw
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot be read: {exc}", source=str(path)) from None
    finally:
        raw.close()


def scan_text(log: LogFile, rejects: RejectLog, workdir: Path) -> None:
    """Check a JSONL or CSV file record by record; fill ``log.starts``; copy if needed."""
    scan = _scan_jsonl if log.format == "jsonl" else _scan_csv
    bad = scan(log, rejects)
    if bad is None:
        return
    if log.records == 0 and not bad:
        rejects.add(Reject(log.name, None, None, "the file holds no records"))
    if bad and log.records:
        log.read_path = workdir / f"clean-{log.index}.{log.format}"
        _copy_without(log, bad)


def _scan_jsonl(log: LogFile, rejects: RejectLog) -> set[int] | None:
    starts: array[int] = array("q")
    bad: set[int] = set()
    with _open_binary(log.path) as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            problem = _jsonl_problem(raw)
            if problem is None:
                starts.append(number)
                continue
            bad.add(number)
            rejects.add(Reject(log.name, number, *problem))
    log.starts, log.records = starts, len(starts)
    return bad


class _Object(list[tuple[str, object]]):
    """A JSON object as the list of its key-value pairs, so a key given twice shows."""


_DECODER = json.JSONDecoder(object_pairs_hook=_Object)


def _jsonl_problem(raw: bytes) -> tuple[str | None, str] | None:
    """What is wrong with a JSONL line, as (key or None, reason), or None."""
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {exc.start + 1} of the line)"
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(value, _Object):
        return None, f"a JSON {_json_kind(value)}, not an object"
    if len({key for key, _ in value}) != len(value):
        return _first_repeated(value), "the key appears twice in the record"
    return None


def _first_repeated(pairs: _Object) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    raise AssertionError("no key repeats")


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "null" if value is None else "number"


def _scan_csv(log: LogFile, rejects: RejectLog) -> set[int] | None:
    """The lines of bad records, or None when the whole file is rejected."""
    starts: array[int] = array("q")
    bad: set[int] = set()
    with _open_binary(log.path) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text, strict=True)
        header = _csv_header(log, reader, rejects)
        if header is None:
            return None
        line = reader.line_num
        while True:
            start = line + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row = None
                problem: str | None = f"malformed CSV: {exc}"
            else:
                problem = _csv_problem(row, len(header)) if row else None
            line = reader.line_num
            if row == []:
                continue
            if problem is None:
                starts.append(start)
            else:
                bad.add(start)
                rejects.add(Reject(log.name, start, None, problem))
    log.starts, log.records = starts, len(starts)
    return bad


def _csv_header(log: LogFile, reader: Iterator[list[str]], rejects: RejectLog) -> list[str] | None:
    try:
        header = next(reader)
    except StopIteration:
        rejects.add(Reject(log.name, None, None, "the file is empty"))
        return None
    except csv.Error as exc:
        rejects.add(Reject(log.name, 1, None, f"malformed CSV header: {exc}"))
        return None
    if _csv_problem(header, len(header)) is not None:
        rejects.add(Reject(log.name, 1, None, "the header is not UTF-8 text"))
        return None
    log.columns = tuple(header)
    return header


def _csv_problem(row: list[str], width: int) -> str | None:
    for value in row:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "not UTF-8 text"
    if len(row) != width:
        return f"{len(row)} fields where the header has {width}"
    return None


def _copy_without(log: LogFile, bad: set[int]) -> None:
    """Write the file's good records to ``log.read_path`` (uncompressed) for DuckDB."""
    with _open_binary(log.path) as source, log.read_path.open("wb") as target:
        if log.format == "jsonl":
            for number, raw in enumerate(source, start=1):
                if number not in bad and raw.strip():
                    target.write(raw.rstrip(b"\r\n") + b"\n")
            return
        text = io.TextIOWrapper(source, encoding="utf-8", errors="surrogateescape", newline="")
        out = io.TextIOWrapper(target, encoding="utf-8", newline="")
        reader, writer = csv.reader(text, strict=True), csv.writer(out)
        writer.writerow(next(reader))
        line = reader.line_num
        while True:
            start = line + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:
                row = []
            line = reader.line_num
            if row and start not in bad:
                writer.writerow(row)
        out.flush()
        out.detach()
