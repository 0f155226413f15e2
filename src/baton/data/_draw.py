"""The draw, in DuckDB: load the logs' light columns, check every record, deduplicate,
stratify by region and secondary strata, and draw a seeded sample without replacement.

The design (unit keys, strata sizes, the ranking that draws, inclusion probabilities, the
representative of a deduplicated unit) is ``_design``'s, which the Spark engine draws too;
this module only evaluates it. A record's unit key is computed once, when it is loaded;
the units per stratum are counted from those keys, and only the units ranked below their
stratum's cutoff (``_design.cutoff``; the whole stratum in the rare case one falls short)
are grouped and ordered. Only the drawn units' records are read into Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from baton.data._design import (
    StratumCount,
    cutoff,
    key_sql,
    plan_draw,
    rank_sql,
    unit_fields,
)
from baton.data._duck import (
    SEP,
    FieldMap,
    Normaliser,
    describe,
    duck_errors,
    literal,
    reader_sql,
    schema_problem,
)
from baton.data._logfiles import LogFile, Reject, RejectLog
from baton.study import IngestSampling

__all__ = ["DrawSettings", "Drawn", "draw_sample"]

_ROW_BITS = 1 << 40  # a record's key: file index * 2**40 + its number in the file
_CONTENT = ("region", "prompt", "messages", "ts", "segment", "answer", "reference", "expected")
_FETCH_BATCH = 10_000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DrawSettings:
    """What the draw needs from the study and the command line."""

    mapping: FieldMap
    regions: tuple[str, ...]
    sampling: IngestSampling
    seed: int
    where: str | None = None


@dataclass(frozen=True)
class Drawn:
    """One drawn record: its fields as read, and its place in the design."""

    source: str
    row: int | None
    fields: dict[str, Any]
    strata: tuple[str | None, ...]
    frequency: int
    inclusion_prob: float


@dataclass
class _Stats:
    records: int = 0
    where_filtered: int = 0
    invalid: int = 0
    outside_window: int = 0
    outside_regions: dict[str, int] = field(default_factory=dict)
    regions: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class _Prepared:
    log: LogFile
    reader: str
    norm: Normaliser


def draw_sample(
    connection: duckdb.DuckDBPyConnection,
    files: list[LogFile],
    settings: DrawSettings,
    rejects: RejectLog,
    progress: Progress,
) -> tuple[list[Drawn], dict[str, Any]]:
    """Draw the sample; return the drawn records and the draw's figures for the summary."""
    stats = _Stats()
    prepared = [p for p in (_prepare(connection, f, settings, rejects) for f in files) if p]
    stats.records = sum(p.log.records for p in prepared)
    progress(f"checking {stats.records:,} records")
    _load(connection, prepared, settings)
    stats.invalid = _check(connection, prepared, rejects)
    loaded = _scalar(connection, "SELECT count(*) FROM rows_")
    stats.where_filtered = stats.records - loaded
    progress("deduplicating and stratifying")
    _count_regions(connection, settings, stats)
    _allocate(connection, settings, stats)
    progress("drawing the sample")
    drawn = _fetch(connection, prepared, settings, progress)
    figures = {
        "records": stats.records,
        "where_filtered": stats.where_filtered,
        "invalid": stats.invalid,
        "outside_window": stats.outside_window,
        "outside_regions": stats.outside_regions,
        "regions": stats.regions,
    }
    return drawn, figures


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = connection.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _prepare(
    connection: duckdb.DuckDBPyConnection, log: LogFile, settings: DrawSettings, rejects: RejectLog
) -> _Prepared | None:
    """The file's reader and normaliser, or None when the file is rejected as a whole."""
    wanted = settings.mapping.all_columns()
    if log.format == "parquet":
        with duck_errors(log.name):
            log.records = _scalar(connection, f"SELECT count(*) FROM {reader_sql(log)}")
        if log.records == 0:
            rejects.add(Reject(log.name, None, None, "the file holds no records"))
            return None
    elif log.records == 0:
        return None
    if log.format == "jsonl":
        sniffed = describe(connection, reader_sql(log), log.name)
        columns = {**sniffed, **dict.fromkeys(sorted(wanted), "JSON")}
        reader, types = reader_sql(log, columns), dict.fromkeys(wanted, "JSON")
    else:
        reader = reader_sql(log)
        types = describe(connection, reader, log.name)
        if _schema_rejected(log, types, settings.mapping, rejects):
            return None
    if settings.where:
        with duck_errors("--where"):
            connection.execute(f"SELECT 1 FROM {_source(reader)} WHERE ({settings.where}) LIMIT 0")
    return _Prepared(log, reader, Normaliser(settings.mapping, types))


def _schema_rejected(
    log: LogFile, types: dict[str, str], mapping: FieldMap, rejects: RejectLog
) -> bool:
    """Reject the file when a mapped column is absent or (Parquet) of the wrong type."""
    named = [(f, c) for f, c in mapping.columns().items()] + [(c, c) for c in mapping.strata]
    for name, column in named:
        if column not in types:
            found = ", ".join(sorted(types)) or "none"
            missing = f"no such column (the {name}); the columns are: {found}"
            rejects.add(Reject(log.name, None, column, missing))
            return True
        wrong = schema_problem(name, types[column])
        if wrong is not None:
            rejects.add(Reject(log.name, None, column, wrong))
            return True
    return False


def _source(reader: str) -> str:
    return f"(SELECT * FROM {reader} WITH ORDINALITY) AS src"


def _load(
    connection: duckdb.DuckDBPyConnection, prepared: list[_Prepared], settings: DrawSettings
) -> None:
    strata = [f"s{i}" for i in range(len(settings.mapping.strata))]
    columns = ", ".join(f"{name} VARCHAR" for name in strata)
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE rows_ (_file INTEGER, _ord BIGINT, region VARCHAR, "
        f"{columns + ', ' if columns else ''}ts TIMESTAMPTZ, unit VARCHAR, _error VARCHAR)"
    )
    for item in prepared:
        norm = item.norm
        keyed = unit_fields(len(strata), dedup=settings.sampling.dedup)
        unit = key_sql([norm.exprs[name].value for name in keyed])
        where = f"WHERE ({settings.where})" if settings.where else ""
        with duck_errors(item.log.name):
            connection.execute(
                f"INSERT INTO rows_ SELECT {item.log.index}, ordinality, "
                f"{norm.values(['region', *strata])}, {norm.exprs['ts'].value}, {unit}, "
                f"{norm.error()} FROM {_source(item.reader)} {where}"
            )


def _check(
    connection: duckdb.DuckDBPyConnection, prepared: list[_Prepared], rejects: RejectLog
) -> int:
    """Send every invalid record to ``rejects`` (the first raises unless skipping)."""
    logs = {p.log.index: p.log for p in prepared}
    limit = "" if rejects.skip else "LIMIT 1"
    result = connection.execute(
        "SELECT _file, _ord, _error FROM rows_ WHERE _error IS NOT NULL "
        f"ORDER BY _file, _ord {limit}"
    )
    count = 0
    while batch := result.fetchmany(_FETCH_BATCH):
        for file_index, ordinal, error in batch:
            log = logs[file_index]
            column, _, reason = str(error).partition(SEP)
            rejects.add(Reject(log.name, log.row_of(int(ordinal)), column, reason))
            count += 1
    return count


def _window(sampling: IngestSampling) -> str:
    parts = []
    if sampling.since is not None:
        parts.append(f"ts >= {literal(sampling.since.isoformat())}::TIMESTAMPTZ")
    if sampling.until is not None:
        parts.append(f"ts < {literal(sampling.until.isoformat())}::TIMESTAMPTZ")
    return f"coalesce({' AND '.join(parts)}, false)" if parts else "true"


def _count_regions(
    connection: duckdb.DuckDBPyConnection, settings: DrawSettings, stats: _Stats
) -> None:
    rows = connection.execute(
        f"SELECT region, count(*) FILTER (WHERE {_window(settings.sampling)}), count(*) "
        "FROM rows_ WHERE _error IS NULL GROUP BY region"
    ).fetchall()
    for region, inside, total in rows:
        stats.outside_window += int(total) - int(inside)
        if region not in settings.regions and inside:
            stats.outside_regions[str(region)] = int(inside)


def _keep(settings: DrawSettings) -> str:
    """SQL: a loaded record is valid, in the time window and in a study region."""
    regions = ", ".join(literal(region) for region in settings.regions)
    return f"_error IS NULL AND {_window(settings.sampling)} AND region IN ({regions})"


def _allocate(connection: duckdb.DuckDBPyConnection, settings: DrawSettings, stats: _Stats) -> None:
    """Sizes and rank cutoffs per region and stratum into the ``alloc`` table; figures into
    ``stats``. A unit hashes its region and strata, so counting distinct keys per stratum
    counts its units."""
    width = len(settings.mapping.strata)
    strata = "".join(f", s{i}" for i in range(width))
    units = "count(DISTINCT unit)" if settings.sampling.dedup else "count(*)"
    rows = connection.execute(
        f"SELECT region{strata}, {units}, count(*) FROM rows_ WHERE {_keep(settings)} GROUP BY ALL"
    ).fetchall()
    counts = {tuple(row[: 1 + width]): StratumCount(int(row[-2]), int(row[-1])) for row in rows}
    plan = plan_draw(settings.sampling, settings.regions, counts)
    stats.regions.update(plan.regions)
    columns = "".join(f", s{i} VARCHAR" for i in range(width))
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE alloc (region VARCHAR{columns}, n BIGINT, units BIGINT, "
        "below VARCHAR)"
    )
    if plan.sizes:
        rows_in = [(*key, n, units, cutoff(n, units)) for key, (n, units) in plan.sizes.items()]
        marks = ", ".join("?" for _ in rows_in[0])
        connection.executemany(f"INSERT INTO alloc VALUES ({marks})", rows_in)


def _candidates(connection: duckdb.DuckDBPyConnection, settings: DrawSettings, *, cut: bool) -> int:
    """Each allocated stratum's units (ranked below its cutoff when ``cut``) with their
    records into ``candidates``; the number of strata left with fewer than ``n``."""
    width = len(settings.mapping.strata)
    names = "".join(f", s{i}" for i in range(width))
    strata = "".join(f", r.s{i}" for i in range(width))
    same = "".join(f" AND a.s{i} IS NOT DISTINCT FROM r.s{i}" for i in range(width))
    record = f"CAST(r._file AS BIGINT) * {_ROW_BITS} + r._ord"
    below = "WHERE a.below IS NULL OR r.rank < a.below" if cut else ""
    outer = ""
    if cut:  # below the largest cutoff only: most records fall before the join
        bound = connection.execute(
            "SELECT max(below) FROM alloc HAVING count(*) FILTER (WHERE below IS NULL) = 0"
        ).fetchone()
        outer = f"WHERE rank < {literal(bound[0])}" if bound and bound[0] else ""
    ranked = (
        f"(SELECT * FROM (SELECT region{names}, unit, _file, _ord, "
        f"{rank_sql(settings.seed, 'unit')} AS rank FROM rows_ WHERE {_keep(settings)}) {outer}) "
        f"AS r JOIN alloc AS a ON a.region = r.region{same} {below}"
    )
    if settings.sampling.dedup:  # a unit's records share its stratum and rank
        select = (
            f"SELECT r.region{strata}, r.unit, any_value(r.rank) AS rank, count(*) AS frequency, "
            f"list({record}) AS records, any_value(a.n) AS n, "
            f"any_value(CAST(a.n AS DOUBLE) / a.units) AS inclusion_prob FROM {ranked} "
            f"GROUP BY r.region{strata}, r.unit"
        )
    else:
        select = (
            f"SELECT r.region{strata}, r.unit, r.rank, 1 AS frequency, [{record}] AS records, "
            f"a.n, CAST(a.n AS DOUBLE) / a.units AS inclusion_prob FROM {ranked}"
        )
    connection.execute(f"CREATE OR REPLACE TEMP TABLE candidates AS {select}")
    found = "".join(f" AND a.s{i} IS NOT DISTINCT FROM c.s{i}" for i in range(width))
    groups = "region" + "".join(f", s{i}" for i in range(width))
    return _scalar(
        connection,
        f"SELECT count(*) FROM alloc AS a LEFT JOIN (SELECT {groups}, count(*) AS units "
        f"FROM candidates GROUP BY ALL) AS c ON a.region = c.region{found} "
        "WHERE coalesce(c.units, 0) < a.n",
    )


def _fetch(
    connection: duckdb.DuckDBPyConnection,
    prepared: list[_Prepared],
    settings: DrawSettings,
    progress: Progress,
) -> list[Drawn]:
    width = len(settings.mapping.strata)
    groups = "region" + "".join(f", s{i}" for i in range(width))
    # the ranks below each stratum's cutoff; the whole stratum only if one was left short
    if _candidates(connection, settings, cut=True):
        _candidates(connection, settings, cut=False)
    connection.execute("DROP TABLE rows_")
    connection.execute(  # each stratum's n units of smallest rank (ties: unit key, record)
        "CREATE OR REPLACE TEMP TABLE members AS SELECT "
        f"CAST(record // {_ROW_BITS} AS INTEGER) AS _file, record % {_ROW_BITS} AS _ord, "
        "unit, frequency, inclusion_prob FROM (SELECT unnest(records) AS record, unit, "
        "frequency, inclusion_prob FROM (SELECT *, row_number() OVER (PARTITION BY "
        f"{groups} ORDER BY rank, unit, records[1]) AS rk FROM candidates) WHERE rk <= n)"
    )
    progress("reading the drawn records")
    found: list[tuple[str, str, Drawn]] = []
    for item in prepared:
        found += _fetch_file(connection, item, width)
    if not settings.sampling.dedup:
        return [drawn for _unit, _key, drawn in found]
    return _representatives(found)


def _representatives(found: list[tuple[str, str, Drawn]]) -> list[Drawn]:
    """Each unit's record of smallest record key (the first in file order on a tie)."""
    best: dict[str, tuple[str, Drawn]] = {}
    for unit, record_key, drawn in found:
        if unit not in best or record_key < best[unit][0]:
            best[unit] = (record_key, drawn)
    chosen = {id(drawn) for _key, drawn in best.values()}
    return [drawn for _unit, _key, drawn in found if id(drawn) in chosen]


def _fetch_file(
    connection: duckdb.DuckDBPyConnection, item: _Prepared, width: int
) -> list[tuple[str, str, Drawn]]:
    """The file's records of drawn units: (unit, record key, record), in file order."""
    index = item.log.index
    design = {
        int(ordinal): (str(unit), int(frequency), float(prob))
        for ordinal, unit, frequency, prob in connection.execute(
            f"SELECT _ord, unit, frequency, inclusion_prob FROM members WHERE _file = {index}"
        ).fetchall()
    }
    if not design:
        return []
    names = [*_CONTENT, "id", *(f"s{i}" for i in range(width))]
    record_key = key_sql([item.norm.exprs[n].value for n in unit_fields(width, dedup=False)])
    with duck_errors(item.log.name):
        rows = connection.execute(
            f"SELECT ordinality, {record_key}, {item.norm.values(names)} FROM (SELECT * FROM "
            f"{_source(item.reader)} WHERE ordinality IN "
            f"(SELECT _ord FROM members WHERE _file = {index})) AS src ORDER BY ordinality"
        ).fetchall()
    found = []
    for row in rows:
        values = dict(zip(names, row[2:], strict=True))
        strata = tuple(values.pop(f"s{i}") for i in range(width))
        ts = values.get("ts")
        values["ts"] = ts.isoformat() if isinstance(ts, datetime) else None
        unit, frequency, prob = design[int(row[0])]
        row_number = item.log.row_of(int(row[0]))
        drawn = Drawn(item.log.name, row_number, values, strata, frequency, prob)
        found.append((unit, str(row[1]), drawn))
    return found
