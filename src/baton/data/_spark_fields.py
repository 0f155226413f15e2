"""Spark SQL reading a log's columns as the draw's fields, checked as DuckDB checks them
(``_duck``): a missing or blank region or prompt, a value that is not text or not a time, a
malformed conversation, an expected behaviour that is neither answer nor refuse. A column
Spark reads with a type that cannot hold its field rejects the source at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baton.data._draw import DrawSettings
from baton.data._duck import REFUSE_FLAGS, SEP, schema_problem
from baton.errors import InputError

__all__ = ["CORRUPT", "Normalised", "normalise", "spark_literal"]

CORRUPT = "_baton_corrupt_record"
"""The column Spark's JSON reader puts a line it cannot parse in."""
_TYPES = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "timestamp_ntz": "TIMESTAMP",
    "date": "DATE",
}
_TURNS = "array<struct<role:string,content:string>>"
_ROLES = "('system', 'user', 'assistant')"
_FIELD_OF = {"ts": "timestamp", "answer": "incumbent_answer", "expected": "expected_behaviour"}


def _kind(frame: Any, column: str) -> str:
    name = str(frame.schema[column].dataType.simpleString())
    if name.startswith("decimal"):
        return "DECIMAL"
    if name.startswith("array"):
        return f"{name.upper()}[]"
    if name.startswith("struct"):
        return "STRUCT"
    return _TYPES.get(name, name.upper())


def _ident(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def spark_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_BLANK = r"NOT {0} RLIKE '\\S'"


def _text(column: str, *, required: bool) -> tuple[str, str]:
    missing = f"CASE WHEN {column} IS NULL OR {_BLANK.format(column)} THEN 'missing' END"
    return column, missing if required else "NULL"


def _category(column: str, *, required: bool) -> tuple[str, str]:
    value = f"CAST({column} AS STRING)"
    missing = f"CASE WHEN {value} IS NULL OR {_BLANK.format(value)} THEN 'missing' END"
    return value, missing if required else "NULL"


def _messages(column: str, kind: str, *, needs_user: bool) -> tuple[str, str]:
    if kind == "VARCHAR":
        parsed = f"from_json({column}, '{_TURNS}')"
        unparsable = f"WHEN {column} IS NOT NULL AND {parsed} IS NULL THEN 'not valid JSON'"
    else:
        parsed, unparsable = column, ""
    turns = f"transform({parsed}, t -> named_struct('role', t.role, 'content', t.content))"
    turn_ok = (
        f"coalesce(forall({parsed}, t -> t.role IN {_ROLES} AND t.content IS NOT NULL), false)"
    )
    user = (
        f"WHEN NOT coalesce(exists({parsed}, t -> t.role = 'user'), false) THEN 'has no user turn'"
        if needs_user
        else ""
    )
    problem = (
        f"CASE {unparsable} WHEN {parsed} IS NULL THEN {'missing' if needs_user else 'NULL'} "
        f"WHEN NOT {turn_ok} THEN 'each turn needs a role (system, user or assistant) and text "
        f"content' {user} END"
    ).replace("THEN missing", "THEN 'missing'")
    return f"CASE WHEN {parsed} IS NOT NULL THEN to_json({turns}) END", problem


def _time(column: str, kind: str) -> tuple[str, str]:
    if kind == "VARCHAR":
        value, present = f"CAST({column} AS TIMESTAMP)", f"NOT {_BLANK.format(column)}"
    elif kind in {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "DECIMAL"}:
        value, present = f"timestamp_seconds({column})", "true"
    else:
        value, present = f"CAST({column} AS TIMESTAMP)", "true"
    problem = (
        f"CASE WHEN {column} IS NOT NULL AND {present} AND {value} IS NULL "
        "THEN 'not a time (ISO 8601 text or epoch seconds)' END"
    )
    return value, problem


def _expected(column: str, *, flag: bool) -> tuple[str, str]:
    if flag:
        raw = f"lower(trim(CAST({column} AS STRING)))"
        value = (
            f"CASE WHEN {raw} IN ('true', '1', 'yes', 'refuse') THEN 'refuse' "
            f"WHEN {raw} IN ('false', '0', 'no', 'answer') THEN 'answer' END"
        )
        bad = (
            f"CASE WHEN {column} IS NOT NULL AND {value} IS NULL "
            "THEN 'must be true or false (refuse or not)' END"
        )
        return value, bad
    value = f"lower(trim({column}))"
    return (
        value,
        f"CASE WHEN {value} NOT IN ('answer', 'refuse') THEN 'must be answer or refuse' END",
    )


def _category_problem(name: str, kind: str) -> str | None:
    if kind == "STRUCT" or kind.endswith("[]") or kind.startswith("MAP"):
        return f"the column holds {kind}, expected a single value"
    return None


@dataclass(frozen=True)
class Normalised:
    columns: dict[str, str]
    error: str


def normalise(frame: Any, settings: DrawSettings, source: str) -> Normalised:
    """The source's columns as the draw's fields (SQL), and the SQL of a record's error."""
    fields = settings.mapping.fields
    named = dict(settings.mapping.columns())
    for column in [*named.values(), *settings.mapping.strata]:
        if column not in frame.columns:
            found = ", ".join(sorted(c for c in frame.columns if c != CORRUPT)) or "none"
            which = next((f for f, c in named.items() if c == column), column)
            raise InputError(
                f"no such column (the {which}); the columns are: {found}",
                source=source,
                field=column,
            )
    kinds = {column: _kind(frame, column) for column in frame.columns}
    for name, column in [*named.items(), *((c, c) for c in settings.mapping.strata)]:
        wrong = schema_problem(name, kinds[column])
        if name in {"segment", "id"} or name == column:
            wrong = wrong or _category_problem(name, kinds[column])
        if wrong is not None:
            raise InputError(wrong, source=source, field=column)
    exprs: dict[str, tuple[str, str]] = {}
    col = _ident
    exprs["region"] = _text(col(fields.region), required=True)
    exprs["prompt"] = (
        _text(col(fields.prompt), required=True)
        if fields.prompt
        else ("CAST(NULL AS STRING)", "NULL")
    )
    exprs["messages"] = (
        _messages(col(fields.messages), kinds[fields.messages], needs_user=fields.prompt is None)
        if fields.messages
        else ("CAST(NULL AS STRING)", "NULL")
    )
    exprs["ts"] = (
        _time(col(fields.timestamp), kinds[fields.timestamp])
        if fields.timestamp
        else ("CAST(NULL AS TIMESTAMP)", "NULL")
    )
    for key, mapped in (("segment", fields.segment), ("id", fields.id)):
        exprs[key] = (
            _category(col(mapped), required=key == "id")
            if mapped
            else ("CAST(NULL AS STRING)", "NULL")
        )
    for key, mapped in (("answer", fields.incumbent_answer), ("reference", fields.reference)):
        exprs[key] = (
            _text(col(mapped), required=False) if mapped else ("CAST(NULL AS STRING)", "NULL")
        )
    behaviour = fields.expected_behaviour
    exprs["expected"] = (
        _expected(col(behaviour), flag=behaviour.lower() in REFUSE_FLAGS)
        if behaviour
        else ("CAST(NULL AS STRING)", "NULL")
    )
    for index, name in enumerate(settings.mapping.strata):
        exprs[f"s{index}"] = _category(col(name), required=False)
    problems = []
    if CORRUPT in frame.columns:
        problems.append(f"CASE WHEN {CORRUPT} IS NOT NULL THEN '{SEP}not a JSON object' END")
    for key, (_value, problem) in exprs.items():
        if problem != "NULL":
            column = _column_of(settings, key)
            field = _FIELD_OF.get(key, key)
            suffix = (
                ""
                if (key.startswith("s") and key[1:].isdigit()) or column == field
                else f" (the {field})"
            )
            problems.append(
                f"concat({spark_literal(column + SEP)}, {problem}, {spark_literal(suffix)})"
            )
    error = f"coalesce({', '.join(problems)})" if problems else "CAST(NULL AS STRING)"
    return Normalised({key: value for key, (value, _p) in exprs.items()}, error)


def _column_of(settings: DrawSettings, key: str) -> str:
    if key.startswith("s") and key[1:].isdigit():
        return settings.mapping.strata[int(key[1:])]
    return settings.mapping.columns()[_FIELD_OF.get(key, key)]
