"""The logs as DuckDB sees them: one normalised row per record, checked field by field.

Each file is read by DuckDB's own reader (``read_json``, ``read_csv``, ``read_parquet``,
gzip included) ``WITH ORDINALITY``, so a record keeps its number in its file, and mapped
through the study's field map into the same columns whatever the format:

    _file, _ord, region, prompt, messages (minified JSON), ts (UTC), segment, answer,
    reference, expected, id, s0..sN (secondary strata), _error ('field<US>reason' or NULL)

Every check is SQL over the whole file (a type that cannot be read as the field, a missing
region or prompt, a malformed conversation, an unreadable time); a column of the wrong type
in a Parquet schema rejects the file at once. DuckDB's errors become ``InputError``s naming
the file (and the line, when DuckDB says it), never the data itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from baton.data._logfiles import LogFile
from baton.data._redaction import Redactor
from baton.errors import InputError
from baton.study import IngestFields

__all__ = [
    "FieldMap",
    "Normaliser",
    "connect",
    "duck_errors",
    "literal",
    "log_columns",
    "reader_sql",
    "scrub",
]

SEP = "\x1f"
"""Separates the field from the reason in ``_error``."""

_JSON_SCALARS = "('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')"
_NUMERIC = re.compile(r"^(TINY|SMALL|BIG|HUGE|U)?(INT|INTEGER|FLOAT|DOUBLE|DECIMAL).*")
_LINE = re.compile(r"\b[Ll]ine:? (\d+)")
_IN_FILE = re.compile(r'\s*in file "[^"]*",?|,?\s*in line \d+')
_QUOTED_RECORD = re.compile(r"(?:Object|Array|Value|Input)?:? *[\[{].*?(?= has | is | at |$)")
_QUOTED_VALUE = re.compile(r"'[^']*'")
_DUPLICATE_KEY = re.compile(r'duplicate key "([^"]{1,200})"')
_TEXT_TYPES = {"VARCHAR", "JSON"}
_ROLES = "('system', 'user', 'assistant')"
_FIELD_OF = {"ts": "timestamp", "answer": "incumbent_answer", "expected": "expected_behaviour"}


def literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def connect(workdir: Path, *, threads: int | None, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to ``workdir``, reads times as UTC, prints nothing
    and never downloads an extension."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": memory_limit,
        "temp_directory": str(workdir),
        "autoinstall_known_extensions": False,
    }
    if threads is not None:
        config["threads"] = threads
    connection = duckdb.connect(":memory:", config=config)
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET enable_progress_bar = false")
    return connection


def scrub(message: str) -> str:
    """DuckDB's message without what it quotes of the data: the first line, cut before the
    input or line it echoes; a record it quotes (``Object {...}``) and single-quoted values
    replaced; the file's name and the line dropped (the error names them); then redacted."""
    first = message.strip().splitlines()[0] if message.strip() else "DuckDB failed"
    first = first.split(" Input: ")[0].split("Original Line")[0]
    first = _IN_FILE.sub("", first)
    first = _QUOTED_RECORD.sub("a record", first)
    first = _QUOTED_VALUE.sub("'…'", first)
    redacted, _found = Redactor().redact(first)
    return redacted.strip().rstrip(":,").strip()


@contextmanager
def duck_errors(source: str) -> Iterator[None]:
    """Turn DuckDB's errors into an ``InputError`` on ``source``, without the data."""
    try:
        yield
    except duckdb.Error as exc:
        line = _LINE.search(str(exc))
        row = int(line.group(1)) if line else None
        key = _DUPLICATE_KEY.search(str(exc))
        field = key.group(1) if key else None
        raise InputError(scrub(str(exc)), source=source, row=row, field=field) from None


def reader_sql(log: LogFile, columns: dict[str, str] | None = None) -> str:
    """The DuckDB table function reading ``log`` (``columns``: JSONL column types)."""
    path = literal(str(log.read_path))
    if log.format == "parquet":
        return f"read_parquet({path})"
    if log.format == "csv":
        return (
            f"read_csv({path}, header = true, delim = ',', quote = '\"', escape = '\"', "
            "strict_mode = true, max_line_size = 67108864, all_varchar = true)"
        )
    if not columns:
        return f"read_json({path}, format = 'newline_delimited')"
    spec = ", ".join(f"{literal(k)}: {literal(v)}" for k, v in columns.items())
    return f"read_json({path}, format = 'newline_delimited', columns = {{{spec}}})"


def log_columns(connection: duckdb.DuckDBPyConnection, logs: Sequence[LogFile]) -> list[str]:
    """The columns (JSON keys) of the logs, in order of appearance, over every file."""
    columns: dict[str, None] = {}
    for log in logs:
        if log.format != "parquet" and log.records == 0:
            continue
        columns.update(dict.fromkeys(describe(connection, reader_sql(log), log.name)))
    return list(columns)


def describe(connection: duckdb.DuckDBPyConnection, sql: str, source: str) -> dict[str, str]:
    """The columns of a reader and their DuckDB types."""
    with duck_errors(source):
        rows = connection.execute(f"DESCRIBE SELECT * FROM {sql}").fetchall()
    return {str(row[0]): str(row[1]) for row in rows}


@dataclass(frozen=True)
class FieldMap:
    """The field map as the SQL needs it: field name -> log column, and the strata."""

    fields: IngestFields
    strata: tuple[str, ...]

    def columns(self) -> dict[str, str]:
        mapped = {
            "region": self.fields.region,
            "prompt": self.fields.prompt,
            "messages": self.fields.messages,
            "timestamp": self.fields.timestamp,
            "segment": self.fields.segment,
            "incumbent_answer": self.fields.incumbent_answer,
            "reference": self.fields.reference,
            "expected_behaviour": self.fields.expected_behaviour,
            "id": self.fields.id,
        }
        return {name: column for name, column in mapped.items() if column is not None}

    def all_columns(self) -> set[str]:
        return set(self.columns().values()) | set(self.strata)


@dataclass(frozen=True)
class Expr:
    """A field's value as SQL, and SQL giving the reason it is invalid (NULL when fine)."""

    value: str
    problem: str = "NULL"


_NULL_TEXT = Expr("CAST(NULL AS VARCHAR)")


def _json_word(column: str) -> str:
    return (
        f"CASE json_type({column}) WHEN 'VARCHAR' THEN 'text' WHEN 'OBJECT' THEN 'an object' "
        f"WHEN 'ARRAY' THEN 'a list' WHEN 'BOOLEAN' THEN 'a boolean' ELSE 'a number' END"
    )


def _blank(value: str) -> str:
    """SQL: ``value`` is NULL or only white space (a regular expression: ``trim`` copies
    every string and is many times slower on long prompts)."""
    return f"({value} IS NULL OR NOT regexp_matches({value}, '\\S'))"


def _text(column: str, kind: str, *, required: bool) -> Expr:
    """A text field (``kind`` is the column's DuckDB type: VARCHAR, JSON or other)."""
    if kind == "JSON":
        value = f"CASE WHEN json_type({column}) = 'VARCHAR' THEN {column} ->> '$' END"
        wrong = (
            f"WHEN json_type({column}) NOT IN ('VARCHAR', 'NULL') "
            f"THEN 'expected text, got ' || {_json_word(column)}"
        )
    else:
        value, wrong = f"CAST({column} AS VARCHAR)", ""
    missing = f"WHEN {_blank(value)} THEN 'missing'" if required else ""
    problem = f"CASE {wrong} {missing} END" if wrong or missing else "NULL"
    return Expr(value, problem)


def _category(column: str, kind: str, *, required: bool) -> Expr:
    """A categorical field: any single value, read as text."""
    if kind == "JSON":
        value = f"CASE WHEN json_type({column}) IN {_JSON_SCALARS} THEN {column} ->> '$' END"
        wrong = (
            f"WHEN json_type({column}) IN ('OBJECT', 'ARRAY') "
            f"THEN 'expected a single value, got ' || {_json_word(column)}"
        )
    else:
        value, wrong = f"CAST({column} AS VARCHAR)", ""
    missing = f"WHEN {_blank(value)} THEN 'missing'" if required else ""
    problem = f"CASE {wrong} {missing} END" if wrong or missing else "NULL"
    return Expr(value, problem)


REFUSE_FLAGS = {"refuse", "should_refuse"}
"""Columns of a yes/no flag saying the prompt should be refused (true: refuse, false:
answer), read as the expected behaviour."""


def _expected(column: str, kind: str, *, flag: bool = False) -> Expr:
    """``answer`` or ``refuse``; from a yes/no flag column (``flag``), true is refuse."""
    if flag:
        as_text = f"({column} ->> '$')" if kind == "JSON" else f"CAST({column} AS VARCHAR)"
        raw = f"lower(trim({as_text}))"
        value = (
            f"CASE WHEN {raw} IN ('true', '1', 'yes', 'refuse') THEN 'refuse' "
            f"WHEN {raw} IN ('false', '0', 'no', 'answer') THEN 'answer' END"
        )
        bad = (
            f"CASE WHEN {column} IS NOT NULL AND {value} IS NULL "
            "THEN 'must be true or false (refuse or not)' END"
        )
        return Expr(value, bad)
    text = _text(column, kind, required=False)
    value = f"lower(trim({text.value}))"
    bad = f"CASE WHEN {value} NOT IN ('answer', 'refuse') THEN 'must be answer or refuse' END"
    return Expr(value, f"coalesce({text.problem}, {bad})")


def _messages(column: str, kind: str, *, needs_user: bool) -> Expr:
    """A conversation: a list of {role, content} turns, as minified JSON text."""
    if kind == "JSON":
        parsed, unparsable = f"json({column})", "NULL"
    elif kind == "VARCHAR":
        parsed = f"try(json({column}))"
        unparsable = (
            f"CASE WHEN {column} IS NOT NULL AND {parsed} IS NULL THEN 'not valid JSON' END"
        )
    else:
        parsed, unparsable = f"json(to_json({column}))", "NULL"
    turns = f"CAST(json_extract({parsed}, '$[*]') AS JSON[])"
    turn_ok = (
        "lambda e: coalesce(json_type(e) = 'OBJECT' AND json_type(e, '$.role') = 'VARCHAR' "
        f"AND (e ->> '$.role') IN {_ROLES} AND json_type(e, '$.content') = 'VARCHAR', false)"
    )
    roles = f"json_extract_string({parsed}, '$[*].role')"
    user = (
        f"WHEN NOT coalesce(list_contains({roles}, 'user'), false) THEN 'has no user turn'"
        if needs_user
        else ""
    )
    shape = (
        f"CASE WHEN {parsed} IS NULL THEN {literal('missing') if needs_user else 'NULL'} "
        f"WHEN json_type({parsed}) <> 'ARRAY' THEN 'expected a list of turns' "
        f"WHEN NOT coalesce(list_bool_and(list_transform({turns}, {turn_ok})), true) "
        f"THEN 'each turn needs a role (system, user or assistant) and text content' {user} END"
    )
    value = f"CASE WHEN json_type({parsed}) = 'ARRAY' THEN CAST({parsed} AS VARCHAR) END"
    return Expr(value, f"coalesce({unparsable}, {shape})")


def _time(column: str, kind: str) -> Expr:
    """A time: ISO 8601 text, a timestamp or date, or epoch seconds; UTC when zoneless."""
    if kind == "JSON":
        value = (
            f"CASE json_type({column}) WHEN 'VARCHAR' THEN "
            f"TRY_CAST({column} ->> '$' AS TIMESTAMPTZ) WHEN 'BOOLEAN' THEN NULL "
            f"ELSE try(to_timestamp(TRY_CAST({column} ->> '$' AS DOUBLE))) END"
        )
        present = f"json_type({column}) NOT IN ('NULL')"
    elif kind == "VARCHAR":
        value, present = f"TRY_CAST({column} AS TIMESTAMPTZ)", f"NOT {_blank(column)}"
    elif _NUMERIC.match(kind):
        value, present = f"try(to_timestamp(CAST({column} AS DOUBLE)))", "true"
    else:
        value, present = f"CAST({column} AS TIMESTAMPTZ)", "true"
    problem = (
        f"CASE WHEN {column} IS NOT NULL AND {present} AND {value} IS NULL "
        "THEN 'not a time (ISO 8601 text or epoch seconds)' END"
    )
    return Expr(value, problem)


def schema_problem(field: str, kind: str) -> str | None:
    """Why a column of DuckDB type ``kind`` cannot hold ``field`` (Parquet), or None."""
    if field == "expected_behaviour" and (kind == "BOOLEAN" or _NUMERIC.match(kind)):
        return None  # a yes/no flag
    if field in {"prompt", "region", "incumbent_answer", "reference", "expected_behaviour"}:
        return None if kind in _TEXT_TYPES else f"the column holds {kind}, expected text"
    if field == "messages":
        fits = kind in _TEXT_TYPES or kind.startswith("STRUCT") or kind.endswith("[]")
        return None if fits else f"the column holds {kind}, expected a list of turns"
    if field == "timestamp":
        numeric = _NUMERIC.match(kind) is not None
        fits = kind in _TEXT_TYPES or "TIME" in kind or kind == "DATE" or numeric
        return None if fits else f"the column holds {kind}, expected a time"
    return None


class Normaliser:
    """Builds the normalised SELECT of one file from its column types."""

    def __init__(self, mapping: FieldMap, types: dict[str, str]) -> None:
        self.mapping = mapping
        self.types = types
        self.exprs = self._exprs()

    def _kind(self, column: str) -> str:
        return self.types.get(column, "JSON")

    def _exprs(self) -> dict[str, Expr]:
        f = self.mapping.fields
        exprs: dict[str, Expr] = {}

        def col(name: str | None) -> tuple[str, str]:
            assert name is not None
            return ident(name), self._kind(name)

        exprs["region"] = _text(*col(f.region), required=True)
        exprs["prompt"] = _text(*col(f.prompt), required=True) if f.prompt else _NULL_TEXT
        exprs["messages"] = (
            _messages(*col(f.messages), needs_user=f.prompt is None) if f.messages else _NULL_TEXT
        )
        exprs["ts"] = _time(*col(f.timestamp)) if f.timestamp else Expr("NULL::TIMESTAMPTZ")
        exprs["segment"] = _category(*col(f.segment), required=False) if f.segment else _NULL_TEXT
        answer = f.incumbent_answer
        exprs["answer"] = _text(*col(answer), required=False) if answer else _NULL_TEXT
        exprs["reference"] = _text(*col(f.reference), required=False) if f.reference else _NULL_TEXT
        behaviour = f.expected_behaviour
        flag = behaviour is not None and behaviour.lower() in REFUSE_FLAGS
        exprs["expected"] = _expected(*col(behaviour), flag=flag) if behaviour else _NULL_TEXT
        exprs["id"] = _category(*col(f.id), required=True) if f.id else _NULL_TEXT
        for index, name in enumerate(self.mapping.strata):
            exprs[f"s{index}"] = _category(*col(name), required=False)
        return exprs

    def error(self) -> str:
        """SQL naming the first invalid field of a record as 'column<SEP>reason', or NULL."""
        parts = []
        for key, expr in self.exprs.items():
            if expr.problem != "NULL":
                tag = literal(self._column_of(key) + SEP)
                parts.append(f"{tag} || ({expr.problem}){self._suffix(key)}")
        return f"coalesce({', '.join(parts)})" if parts else "CAST(NULL AS VARCHAR)"

    def _column_of(self, key: str) -> str:
        if key.startswith("s") and key[1:].isdigit():
            return self.mapping.strata[int(key[1:])]
        return self.mapping.columns()[_FIELD_OF.get(key, key)]

    def _suffix(self, key: str) -> str:
        field = _FIELD_OF.get(key, key)
        if (key.startswith("s") and key[1:].isdigit()) or self._column_of(key) == field:
            return ""
        return f" || {literal(f' (the {field})')}"

    def strata_names(self) -> list[str]:
        return [f"s{index}" for index in range(len(self.mapping.strata))]

    def values(self, names: Sequence[str]) -> str:
        return ", ".join(f"{self.exprs[name].value} AS {name}" for name in names)
