"""The draw on Spark, for logs where a single machine should not pull them: a data lake's
Parquet, Delta or JSON Lines, or a warehouse table, read by the user's Spark session or
cluster (Spark Connect) or by a local session.

The same design as the DuckDB draw (``_design``: unit keys, strata sizes, ranks, inclusion
probabilities, representatives), evaluated as Spark SQL in three passes over the logs: the
counts per source, stratum and unit (one aggregation), the drawn units (the ranks below a
cutoff, then a window per stratum), and the drawn units' representatives. Only counts and
the drawn records (the sample's size) reach the driver, so its memory does not grow with
the logs. The checks are DuckDB's, as far as Spark's readers let them be: a record's field
that cannot be read (missing, not text, not a time, a malformed conversation) is rejected
by name; Spark does not know a JSON or CSV record's line, so a reject names the file and
the field.

A log is a path, a glob or a URL Spark can read (``s3a://``, ``abfss://``, ``hdfs://``),
its format told by its suffix (``.parquet``, ``.jsonl``/``.json``/``.ndjson``, ``.csv``,
plain or ``.gz``) or by a prefix: ``parquet:``, ``jsonl:``, ``csv:``, ``delta:PATH`` (with
the Delta connector on the session), ``table:NAME`` (a table the session knows). A local
directory holding ``_delta_log`` is Delta; another directory is Parquet.

pyspark is imported only here, and only when the engine is used.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from baton.data._design import (
    StratumCount,
    cutoff,
    key_sql,
    plan_draw,
    rank_sql,
    unit_fields,
)
from baton.data._draw import Drawn, DrawSettings
from baton.data._duck import SEP, scrub
from baton.data._logfiles import Reject, RejectLog
from baton.data._spark_fields import CORRUPT as _CORRUPT
from baton.data._spark_fields import normalise
from baton.data._spark_fields import spark_literal as _lit
from baton.errors import InputError

__all__ = ["INSTALL_HINT", "SparkSettings", "SparkSource", "spark_draw", "spark_session"]

INSTALL_HINT = (
    "the spark engine needs pyspark (and a Java runtime): pip install 'baton-migrate[spark]'"
)
_PREFIXES = {"parquet": "parquet", "jsonl": "jsonl", "csv": "csv", "delta": "delta"}
_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
}
_VALUES = ("region", "prompt", "messages", "ts", "segment", "answer", "reference", "expected", "id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SparkSettings:
    """Which session draws: ``session`` (a SparkSession object of the caller), else a Spark
    Connect ``remote`` (sc://...), else a session of this process on ``master``."""

    remote: str | None = None
    master: str = "local[*]"
    conf: tuple[tuple[str, str], ...] = ()
    session: Any = None


@dataclass(frozen=True)
class SparkSource:
    """One log as Spark reads it: as written, the format, and the path, URL or table."""

    index: int
    name: str
    format: str
    location: str


def _import_pyspark() -> Any:
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415 (only when the engine runs)
    except ImportError:
        raise InputError(INSTALL_HINT, source="--engine spark") from None
    return SparkSession


@contextmanager
def spark_session(settings: SparkSettings) -> Iterator[Any]:
    """The session to draw on, its times read as UTC while the draw runs; a session this
    function started is stopped at the end, the caller's is left as it was."""
    session_class = _import_pyspark()
    started = False
    if settings.session is not None:
        spark = settings.session
    elif settings.remote is not None:
        with spark_errors(settings.remote):
            spark = session_class.builder.remote(settings.remote).getOrCreate()
    else:
        started = session_class.getActiveSession() is None
        builder = session_class.builder.master(settings.master).appName("baton-ingest")
        quiet = (("spark.ui.enabled", "false"), ("spark.ui.showConsoleProgress", "false"))
        for key, value in (*quiet, *settings.conf):
            builder = builder.config(key, value)
        with spark_errors(f"spark master {settings.master}"):
            spark = builder.getOrCreate()
        if started:
            spark.sparkContext.setLogLevel("ERROR")
    wanted = {"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "false"}
    before = {key: spark.conf.get(key, None) for key in wanted}
    for key, value in wanted.items():
        spark.conf.set(key, value)
    try:
        yield spark
    finally:
        if started:
            spark.stop()
        else:
            for key, value in before.items():
                if value is None:
                    spark.conf.unset(key)
                else:
                    spark.conf.set(key, value)


def _storage_level() -> Any:
    """Where the distinct prompts are kept between the count and the draw: on disk only.
    With memory first, a local session read spilled blocks back into its heap and ran out
    of it at 50M rows (768 MB heap); a cluster's executors keep the same blocks on disk."""
    from pyspark import StorageLevel  # noqa: PLC0415 (only when the engine runs)

    return StorageLevel.DISK_ONLY


def _sql() -> tuple[Any, Any]:
    """pyspark's SQL functions and ``Window``."""
    from pyspark.sql import Window, functions  # noqa: PLC0415 (only when the engine runs)

    return functions, Window


def _error_text(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)
    text = str(java.getMessage()) if java is not None else str(exc)
    text = re.sub(r"^\[[A-Z_.]+\]\s*", "", text.strip())
    return scrub(text.split(" SQLSTATE")[0])


@contextmanager
def spark_errors(source: str, *, field: str | None = None) -> Iterator[None]:
    """Spark's errors as an ``InputError`` on ``source``: one line, without the data."""
    from pyspark.errors import PySparkException  # noqa: PLC0415 (only when the engine runs)

    try:
        from py4j.protocol import Py4JError  # noqa: PLC0415 (not with Spark Connect alone)
    except ImportError:
        Py4JError = PySparkException
    try:
        yield
    except (PySparkException, Py4JError) as exc:
        text = _error_text(exc)
        if "delta" in text.lower() and ("DATA_SOURCE_NOT_FOUND" in str(exc) or "find" in text):
            text = (
                "reading Delta needs the Delta connector on the session: pip install "
                "delta-spark and configure the session for it"
            )
        raise InputError(text, source=source, field=field) from None


def spark_sources(logs: list[str]) -> list[SparkSource]:
    """The logs named on the command line, as Spark sources."""
    if not logs:
        raise InputError("name at least one log", source="LOGS")
    return [_source(index, text) for index, text in enumerate(logs)]


def _source(index: int, text: str) -> SparkSource:
    prefix, colon, rest = text.partition(":")
    if colon and prefix == "table":
        return SparkSource(index, text, "table", rest)
    if colon and prefix in _PREFIXES:
        _check_local(rest)
        return SparkSource(index, text, _PREFIXES[prefix], rest)
    _check_local(text)
    local = Path(text)
    if "://" not in text and local.is_dir():
        return SparkSource(
            index, text, "delta" if (local / "_delta_log").is_dir() else "parquet", text
        )
    suffixes = [s.lower() for s in Path(urlparse(text).path or text).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    found = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise InputError(
            "unknown log format: name it .jsonl, .csv or .parquet (optionally .gz), or write "
            "parquet:, jsonl:, csv:, delta: or table: before it",
            source=text,
        )
    return SparkSource(index, text, found, text)


def _check_local(location: str) -> None:
    """A local path (no scheme) must exist; a glob must match."""
    if "://" in location or location.startswith("file:"):
        return
    if set("*?[") & set(location):
        if not glob.glob(location, recursive=True):
            raise InputError("no file matches this pattern", source=location)
    elif not Path(location).exists():
        raise InputError("no such file", source=location)


def _read(spark: Any, source: SparkSource) -> Any:
    with spark_errors(source.name):
        reader = spark.read
        if source.format == "parquet":
            frame = reader.parquet(source.location)
        elif source.format == "jsonl":
            frame = reader.options(mode="PERMISSIVE", columnNameOfCorruptRecord=_CORRUPT)
            frame = frame.json(source.location)
        elif source.format == "csv":
            options = {"header": "true", "multiLine": "true", "escape": '"', "mode": "FAILFAST"}
            frame = reader.options(**options).csv(source.location)
        elif source.format == "delta":
            frame = reader.format("delta").load(source.location)
        else:
            frame = spark.table(source.location)
        frame.schema  # noqa: B018 -- Spark Connect reads the schema only when asked
    return frame


def spark_columns(spark: Any, sources: list[SparkSource]) -> tuple[list[Any], list[str]]:
    """Each source's DataFrame, and the columns of all of them in order of appearance."""
    frames = [_read(spark, source) for source in sources]
    columns: dict[str, None] = {}
    for frame in frames:
        columns.update(dict.fromkeys(c for c in frame.columns if c != _CORRUPT))
    return frames, list(columns)


def spark_draw(
    spark: Any,
    sources: list[SparkSource],
    frames: list[Any],
    *,
    settings: DrawSettings,
    rejects: RejectLog,
    progress: Callable[[str], None],
) -> tuple[list[Drawn], dict[str, Any], dict[int, int]]:
    """Draw the sample on Spark: the drawn records, the draw's figures (as DuckDB's) and
    the records of each source."""
    F, _window_class = _sql()

    width = len(settings.mapping.strata)
    strata = [f"s{i}" for i in range(width)]
    logs = _logs_frame(spark, sources, frames, settings)
    regions = ", ".join(_lit(region) for region in settings.regions)
    ok = f"_kept AND _error IS NULL AND {_window(settings)} AND region IN ({regions})"
    logs = logs.withColumn("_ok", F.expr(ok)).withColumn("_ts_us", F.expr("unix_micros(ts)"))
    logs = logs.withColumn(
        "_unit", F.expr(key_sql(unit_fields(width, dedup=settings.sampling.dedup)))
    )
    progress("counting records and strata")
    names = ", ".join(source.name for source in sources)
    stats, counts = _count(logs, settings, strata, names)
    stats.invalid = _report_invalid(logs, names, rejects, stats.invalid)
    valid = logs.where("_ok")
    if settings.sampling.dedup:  # distinct prompts: one pass, kept on disk for the draw
        progress("counting distinct prompts")
        firsts = [F.first(name).alias(name) for name in ("region", *strata)]
        units = valid.groupBy("_unit").agg(F.count("*").alias("_freq"), *firsts)
        units = units.persist(_storage_level())
        counts = _distinct_units(units, strata, names)
    else:
        units = valid.withColumn("_freq", F.lit(1).cast("long"))
    plan = plan_draw(settings.sampling, settings.regions, counts)
    progress("drawing the sample")
    try:
        with spark_errors(names):
            picked = _pick(spark, units, settings, strata, plan.sizes)
            if settings.sampling.dedup:
                picked = _representatives(spark, valid, picked, strata)
    finally:
        if settings.sampling.dedup:
            units.unpersist()
    drawn = [_drawn(row, strata) for row in picked]
    outside = stats.outside_regions
    figures = {
        "records": sum(stats.records.values()),
        "where_filtered": stats.where_filtered,
        "invalid": stats.invalid,
        "outside_window": stats.outside_window,
        "outside_regions": outside,
        "regions": plan.regions,
    }
    return drawn, figures, stats.records


def _window(settings: DrawSettings) -> str:
    sampling, parts = settings.sampling, []
    for bound, op in ((sampling.since, ">="), (sampling.until, "<")):
        if bound is not None:
            micros = int((bound - _EPOCH) / timedelta(microseconds=1))
            parts.append(f"ts {op} timestamp_micros({micros})")
    return f"coalesce({' AND '.join(parts)}, false)" if parts else "true"


def _logs_frame(
    spark: Any, sources: list[SparkSource], frames: list[Any], settings: DrawSettings
) -> Any:
    """Every source's records as the draw's fields, one DataFrame."""
    F, _window_class = _sql()

    normalised = None
    for source, frame in zip(sources, frames, strict=True):
        norm = normalise(frame, settings, source.name)
        kept = "true"
        if settings.where:
            with spark_errors("--where"):
                frame.where(settings.where).schema  # noqa: B018 -- checks the condition
            kept = f"coalesce(({settings.where}), false)"
        path = F.lit(source.location) if source.format == "table" else F.input_file_name()
        columns = [
            F.lit(source.index).alias("_src"),
            path.alias("_path"),
            F.expr(kept).alias("_kept"),
            *(F.expr(norm.columns[name]).alias(name) for name in norm.columns),
            F.expr(norm.error).alias("_error"),
        ]
        with spark_errors(source.name):
            one = frame.select(*columns)
        normalised = one if normalised is None else normalised.unionByName(one)
    return normalised


@dataclass
class _Stats:
    records: dict[int, int]
    where_filtered: int = 0
    invalid: int = 0
    outside_window: int = 0
    outside_regions: dict[str, int] | None = None


def _count(
    logs: Any, settings: DrawSettings, strata: list[str], names_of_logs: str
) -> tuple[_Stats, dict[tuple[str | None, ...], StratumCount]]:
    """Records per source and state, and per stratum (a small aggregation, no unit keys)."""
    F, _window_class = _sql()

    good = "_kept AND _error IS NULL"
    keys = [
        F.col("_src"),
        F.col("_kept"),
        F.expr("_error IS NOT NULL").alias("_bad"),
        F.expr(f"{good} AND {_window(settings)}").alias("_inside"),
        F.expr(f"CASE WHEN {good} THEN region END").alias("region"),
        *(F.expr(f"CASE WHEN _ok THEN {s} END").alias(s) for s in strata),
    ]
    with spark_errors(names_of_logs):
        rows = logs.groupBy(*keys).count().collect()
    stats = _Stats(records={}, outside_regions={})
    counts: dict[tuple[str | None, ...], StratumCount] = {}
    assert stats.outside_regions is not None
    for row in rows:
        records = int(row["count"])
        stats.records[int(row["_src"])] = stats.records.get(int(row["_src"]), 0) + records
        if not row["_kept"]:
            stats.where_filtered += records
        elif row["_bad"]:
            stats.invalid += records
        elif not row["_inside"]:
            stats.outside_window += records
        elif row["region"] not in settings.regions:
            region = str(row["region"])
            stats.outside_regions[region] = stats.outside_regions.get(region, 0) + records
        else:
            key = (str(row["region"]), *(row[s] for s in strata))
            before = counts.get(key, StratumCount(0, 0))
            counts[key] = StratumCount(before.units + records, before.records + records)
    return stats, counts


def _distinct_units(
    units: Any, strata: list[str], names_of_logs: str
) -> dict[tuple[str | None, ...], StratumCount]:
    """Distinct units and records per stratum, from the units' frame."""
    F, _window_class = _sql()

    with spark_errors(names_of_logs):
        rows = (
            units.groupBy("region", *strata)
            .agg(F.count("*").alias("_units"), F.sum("_freq").alias("_records"))
            .collect()
        )
    return {
        (str(row["region"]), *(row[s] for s in strata)): StratumCount(
            int(row["_units"]), int(row["_records"])
        )
        for row in rows
    }


def _local(path: str) -> str:
    """A file: URI as a local path; anything else as it is."""
    return unquote(urlparse(path).path) if path.startswith("file:") else path


def _report_invalid(logs: Any, names: str, rejects: RejectLog, count: int) -> int:
    """Send the invalid records to ``rejects`` (the first raises unless skipping)."""
    if count == 0:
        return 0
    bad = logs.where("_kept AND _error IS NOT NULL").select("_path", "_error")
    with spark_errors(names):
        rows = bad.limit(1).collect() if not rejects.skip else bad.toLocalIterator()
        for row in rows:
            column, _, reason = str(row["_error"]).partition(SEP)
            rejects.add(Reject(_local(str(row["_path"])), None, column or None, reason))
    return count


def _pick(
    spark: Any,
    units: Any,
    settings: DrawSettings,
    strata: list[str],
    sizes: dict[tuple[str | None, ...], tuple[int, int]],
) -> list[Any]:
    """The drawn units: each stratum's ``n`` of smallest rank (records without dedup)."""
    F, Window = _sql()

    if not sizes:
        return []
    schema = ", ".join(
        [
            "_a_region string",
            *(f"_a_{s} string" for s in strata),
            *("_n long", "_units long", "_prob double", "_cut string"),
        ]
    )
    ranked = units.withColumn("_rank", F.expr(rank_sql(settings.seed, "_unit")))
    window = Window.partitionBy("region", *strata).orderBy("_rank", "_unit")
    for cut in (True, False):  # without the cutoffs only if one left a stratum short
        plan = [
            (*key, n, total, n / total, cutoff(n, total) if cut else None)
            for key, (n, total) in sizes.items()
        ]
        alloc = F.broadcast(spark.createDataFrame(plan, schema))
        same = [F.col("region") == F.col("_a_region")]
        same += [F.col(s).eqNullSafe(F.col(f"_a_{s}")) for s in strata]
        rows = (
            ranked.join(alloc, same)
            .where("_cut IS NULL OR _rank < _cut")
            .withColumn("_rk", F.row_number().over(window))
            .where("_rk <= _n")
            .drop(*(c for c in alloc.columns if c.startswith("_a_")), "_cut", "_n", "_units")
            .collect()
        )
        if len(rows) == sum(n for n, _total in sizes.values()):
            return list(rows)
    raise AssertionError("the draw came short of the plan")  # the plan never asks too much


def _representatives(spark: Any, valid: Any, picked: list[Any], strata: list[str]) -> list[Any]:
    """Each drawn unit's record of smallest record key, with the unit's design."""
    F, _window_class = _sql()

    design = [(r["_unit"], int(r["_freq"]), float(r["_prob"]), str(r["_rank"])) for r in picked]
    schema = "_unit string, _freq long, _prob double, _rank string"
    picks = F.broadcast(spark.createDataFrame(design, schema))
    record = key_sql(unit_fields(len(strata), dedup=False))
    kept = ["_path", *_VALUES, "_ts_us", *strata, "_freq", "_prob", "_rank"]
    return list(
        valid.join(picks, "_unit")
        .withColumn("_record", F.expr(record))
        .groupBy("_unit")
        .agg(F.expr(f"min_by(struct({', '.join(kept)}), _record)").alias("r"))
        .select("r.*")
        .collect()
    )


def _drawn(row: Any, strata: list[str]) -> Drawn:
    values = {name: row[name] for name in _VALUES}
    micros = row["_ts_us"]  # not the timestamp: pyspark would read it in the local time zone
    values["ts"] = None if micros is None else (_EPOCH + timedelta(microseconds=micros)).isoformat()
    strata_values = tuple(row[s] for s in strata)
    path = _local(str(row["_path"]))
    return Drawn(path, None, values, strata_values, int(row["_freq"]), float(row["_prob"]))
