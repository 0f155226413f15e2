"""``baton ingest``: production logs in, a redacted stratified sample of items out.

``read_logs`` reads the files (JSONL, CSV, Parquet; plain or gzip; paths or globs) through
DuckDB with the study's field map, checks every record, draws the sample (``_draw``) and
turns each drawn record into an ``Item`` (plus, when the log has it, the incumbent's logged
answer as a ``Response`` with ``source="logged"``), redacting personal data on the way.
Nothing is written until all of that succeeded; ``ingest_logs`` then stores the items, the
logged responses and the run record in one transaction: an ingest commits completely or
not at all.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlparse

from baton.data._draw import Drawn, DrawSettings, draw_sample
from baton.data._duck import FieldMap, connect, log_columns
from baton.data._fields import FieldResolution, resolve_fields
from baton.data._logfiles import RejectLog, discover, scan_text
from baton.data._redaction import Redactor, redactor_for
from baton.data._spark import (
    SparkSettings,
    spark_columns,
    spark_draw,
    spark_session,
    spark_sources,
)
from baton.domain import ExpectedBehaviour, Item, Message, Response, Role
from baton.errors import InputError, StudyError
from baton.storage import Store
from baton.study import IngestFields, IngestSpec, ModelSpec, Study, study_fingerprint

__all__ = [
    "IngestOptions",
    "IngestReport",
    "IngestResult",
    "IngestSummary",
    "LogFileSummary",
    "RegionCounts",
    "ingest_logs",
    "read_logs",
]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class IngestOptions:
    """How one ingest runs (the study says what to read and draw)."""

    skip_invalid: bool = False
    rejects_path: Path | None = None
    where: str | None = None
    seed: int | None = None
    threads: int | None = None
    memory_limit: str = "1GB"
    study_source: str = "study.yaml"
    engine: Literal["duckdb", "spark"] | None = None
    spark_remote: str | None = None
    spark_master: str | None = None
    spark_session: Any = None
    """With the spark engine: a SparkSession of the caller's to draw on (Python only)."""


@dataclass(frozen=True)
class LogFileSummary:
    """One log file read: its name, format and records."""

    path: str
    format: str
    records: int


@dataclass(frozen=True)
class RegionCounts:
    """One study region in the logs: records, distinct units (prompts), items asked for
    (``allocated``) and drawn."""

    records: int
    units: int
    allocated: int
    drawn: int


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest read, drew and (unless a dry run) stored.

    ``fields``: each item field and the log column it was read from; ``auto_fields``: those
    found under a common name (the study named no column for them); ``ignored_columns``:
    the log's columns nothing read. ``to_dict`` is the run's summary in the store and the
    ``--json`` output."""

    files: tuple[LogFileSummary, ...]
    records: int
    rejected: int
    rejects_file: str | None
    where: str | None
    where_filtered: int
    outside_window: int
    outside_regions: dict[str, int]
    duplicates: int
    regions: dict[str, RegionCounts]
    allocation: str
    strata: tuple[str, ...]
    dedup: bool
    seed: int
    redaction: bool
    fields: dict[str, str]
    auto_fields: tuple[str, ...]
    ignored_columns: tuple[str, ...]
    sampled: int = 0
    logged_responses: int = 0
    redactions: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    dry_run: bool = False
    items_written: int | None = None
    responses_written: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (lists for tuples)."""
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


@dataclass(frozen=True)
class IngestResult:
    """What an ingest read and drew, before anything is stored."""

    items: tuple[Item, ...]
    responses: tuple[Response, ...]
    summary: IngestSummary


@dataclass(frozen=True)
class IngestReport:
    """What an ingest stored (nothing for a dry run); ``summary.to_dict()`` is also the
    ingest run's summary in the store."""

    summary: IngestSummary
    items_written: int
    responses_written: int


def external_models(study: Study) -> list[str]:
    """Models that receive item text and are not on this machine: the incumbent, the
    candidates, ``judge_model`` and every judge's own model (the judges' templates send
    the question, its context and the reference), unless the provider is the fake one or
    the base URL's host is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    names: list[str] = []
    for model in _models_sent_items(study):
        external = model.provider != "fake" and not _is_loopback(model.base_url)
        if external and model.name not in names:
            names.append(model.name)
    return names


def _models_sent_items(study: Study) -> list[ModelSpec]:
    judges = [judge.model for d in study.dimensions for judge in d.judges if judge.model]
    extra = [study.judge_model] if study.judge_model is not None else []
    return [*study.models, *extra, *judges]


def _is_loopback(base_url: str | None) -> bool:
    """Whether ``base_url`` names this machine: by address, or the name ``localhost``
    (a name such as ``127.example.com`` is resolved elsewhere, so it is external)."""
    if not base_url:
        return False
    try:
        host = urlparse(base_url).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host.rstrip(".").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_privacy(study: Study, spec: IngestSpec, source: str) -> None:
    redaction = spec.redaction
    external = external_models(study)
    if redaction.refuse_unredacted_external and not redaction.active and external:
        raise StudyError(
            source,
            [
                (
                    "ingest.redaction",
                    "every redaction is off, and prompts would go unredacted to "
                    f"{', '.join(external)}; turn redaction on, or set "
                    "refuse_unredacted_external: false",
                )
            ],
        )


def read_logs(
    study: Study,
    logs: Sequence[str],
    *,
    options: IngestOptions = IngestOptions(),
    progress: Progress | None = None,
) -> IngestResult:
    """Read, check, sample and redact ``logs`` for ``study``; store nothing."""
    say = progress or (lambda _message: None)
    spec = study.ingest or IngestSpec()
    _check_privacy(study, spec, options.study_source)
    redactor = redactor_for(spec.redaction)
    seed = spec.sampling.seed if options.seed is None else options.seed
    rejects = RejectLog(options.rejects_path, skip=options.skip_invalid)
    draw = _draw_spark if (options.engine or spec.engine) == "spark" else _draw_duckdb
    try:
        drawn, figures, files, mapping = draw(study, logs, options, seed, rejects, say)
    finally:
        rejects.close()
    if figures["records"] - figures["invalid"] <= 0:
        where = f"; see the rejects in {options.rejects_path}" if options.rejects_path else ""
        raise InputError(f"no valid records to draw from{where}", source=", ".join(logs))
    say(f"redacting {len(drawn):,} items")
    items, responses, redactions = _items(
        drawn, mapping.fields, study, redactor, dedup=spec.sampling.dedup
    )
    summary = replace(
        _summary(files, figures, rejects, options, spec=spec, seed=seed, mapping=mapping),
        sampled=len(items),
        logged_responses=len(responses),
        redactions=redactions,
        warnings=tuple(_warnings(figures)),
    )
    return IngestResult(tuple(items), tuple(responses), summary)


_Drawing = tuple[list[Drawn], dict[str, Any], tuple[LogFileSummary, ...], FieldResolution]


def _draw_duckdb(  # noqa: PLR0917 (the two engines' one signature)
    study: Study,
    logs: Sequence[str],
    options: IngestOptions,
    seed: int,
    rejects: RejectLog,
    say: Progress,
) -> _Drawing:
    spec = study.ingest or IngestSpec()
    with tempfile.TemporaryDirectory(prefix="baton-ingest-") as tmp:
        files = discover(list(logs))
        for log in files:
            if log.format != "parquet":
                say(f"checking {log.path} line by line")
                scan_text(log, rejects, Path(tmp))
        connection = connect(Path(tmp), threads=options.threads, memory_limit=options.memory_limit)
        try:
            strata = tuple(spec.sampling.strata)
            mapping = resolve_fields(spec.fields, log_columns(connection, files), strata=strata)
            settings = DrawSettings(
                FieldMap(mapping.fields, strata),
                tuple(r.name for r in study.regions),
                spec.sampling,
                seed,
                options.where,
            )
            drawn, figures = draw_sample(connection, files, settings, rejects, say)
        finally:
            connection.close()
    summaries = tuple(LogFileSummary(f.name, f.format, f.records) for f in files)
    return drawn, figures, summaries, mapping


def _draw_spark(  # noqa: PLR0917 (the two engines' one signature)
    study: Study,
    logs: Sequence[str],
    options: IngestOptions,
    seed: int,
    rejects: RejectLog,
    say: Progress,
) -> _Drawing:
    spec = study.ingest or IngestSpec()
    sources = spark_sources(list(logs))
    say("starting Spark")
    with spark_session(_spark_settings(spec, options)) as spark:
        frames, columns = spark_columns(spark, sources)
        strata = tuple(spec.sampling.strata)
        mapping = resolve_fields(spec.fields, columns, strata=strata)
        settings = DrawSettings(
            FieldMap(mapping.fields, strata),
            tuple(r.name for r in study.regions),
            spec.sampling,
            seed,
            options.where,
        )
        drawn, figures, records = spark_draw(
            spark, sources, frames, settings=settings, rejects=rejects, progress=say
        )
    summaries = tuple(
        LogFileSummary(source.name, source.format, records.get(source.index, 0))
        for source in sources
    )
    return drawn, figures, summaries, mapping


def _spark_settings(spec: IngestSpec, options: IngestOptions) -> SparkSettings:
    """The command line's remote, else its master, else the study's remote, else its
    master."""
    remote = options.spark_remote
    if remote is None and options.spark_master is None:
        remote = spec.spark.remote
    return SparkSettings(
        remote=remote,
        master=options.spark_master or spec.spark.master,
        conf=tuple(spec.spark.conf.items()),
        session=options.spark_session,
    )


def ingest_logs(
    study: Study,
    logs: Sequence[str],
    store: Store,
    *,
    options: IngestOptions = IngestOptions(),
    progress: Progress | None = None,
) -> IngestReport:
    """Read ``logs`` and store the sample, its logged answers and the run, all at once."""
    fingerprint = study_fingerprint(study)
    result = read_logs(study, logs, options=options, progress=progress)
    if progress is not None:
        progress(f"storing {len(result.items):,} items")
    written_items, written_responses = store.add_ingested(
        result.items, result.responses, fingerprint=fingerprint, summary=result.summary.to_dict()
    )
    summary = replace(
        result.summary, items_written=written_items, responses_written=written_responses
    )
    return IngestReport(summary, written_items, written_responses)


def _items(
    drawn: list[Drawn], fields: IngestFields, study: Study, redactor: Redactor, *, dedup: bool
) -> tuple[list[Item], list[Response], dict[str, dict[str, int]]]:
    counts: dict[str, Counter[str]] = {}
    seen: Counter[str] = Counter()
    items, responses = [], []
    done: dict[str, tuple[str, Counter[str]]] = {}

    def clean(field: str, text: str) -> str:
        # each distinct text is redacted once (logs repeat prompts); its matches still
        # count once per record that holds it
        if text not in done:
            done[text] = redactor.redact(text)
        redacted, found = done[text]
        counts.setdefault(field, Counter()).update(found)
        return redacted

    for record in drawn:
        item_id = _item_id(record, fields, dedup=dedup)
        seen[item_id] += 1
        if seen[item_id] > 1:
            item_id = f"{item_id}-{seen[item_id]}"
        item = _item(record, item_id, fields, clean)
        items.append(item)
        answer = record.fields["answer"]
        if answer is not None and answer.strip():
            text = clean("incumbent_answer", answer)
            responses.append(Response(item_id, study.incumbent.name, text, source="logged"))
    redactions = {field: dict(sorted(found.items())) for field, found in sorted(counts.items())}
    return items, responses, redactions


def _item_id(record: Drawn, fields: IngestFields, *, dedup: bool) -> str:
    """The mapped id, else a hash of what makes the record (the prompt, when deduplicated)."""
    values = record.fields
    if fields.id is not None and values["id"] is not None:
        return str(values["id"])
    keys = ["region", "prompt", "messages"]
    if not dedup:
        keys += ["ts", "segment", "answer", "reference", "expected"]
    content = json.dumps([[values[k] for k in keys], list(record.strata)], ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def _item(
    record: Drawn, item_id: str, fields: IngestFields, clean: Callable[[str, str], str]
) -> Item:
    values = record.fields
    turns: list[dict[str, str]] = json.loads(values["messages"]) if values["messages"] else []
    if fields.prompt is not None:
        prompt, before = str(values["prompt"]), turns
    else:
        last = max(i for i, turn in enumerate(turns) if turn["role"] == "user")
        prompt, before = turns[last]["content"], turns[:last]
    context = tuple(
        Message(cast(Role, turn["role"]), clean("context", turn["content"]))
        for turn in before
        if turn["role"] != "system"
    )
    reference = values["reference"]
    return Item(
        item_id=item_id,
        region=str(values["region"]),
        prompt=clean("prompt", prompt),
        context=context,
        segment=values["segment"],
        reference=clean("reference", reference) if reference else None,
        expected_behaviour=cast(ExpectedBehaviour | None, values["expected"]),
        weight=record.frequency / record.inclusion_prob,
        inclusion_prob=record.inclusion_prob,
        frequency=record.frequency,
    )


def _summary(
    files: tuple[LogFileSummary, ...],
    figures: dict[str, Any],
    rejects: RejectLog,
    options: IngestOptions,
    *,
    spec: IngestSpec,
    seed: int,
    mapping: FieldResolution,
) -> IngestSummary:
    regions = {name: RegionCounts(**counts) for name, counts in figures["regions"].items()}
    in_study = sum(r.records for r in regions.values())
    units = sum(r.units for r in regions.values())
    return IngestSummary(
        files=files,
        records=figures["records"],
        rejected=rejects.count,
        rejects_file=str(options.rejects_path) if rejects.skip and options.rejects_path else None,
        where=options.where,
        where_filtered=figures["where_filtered"],
        outside_window=figures["outside_window"],
        outside_regions=dict(figures["outside_regions"]),
        duplicates=in_study - units if spec.sampling.dedup else 0,
        regions=regions,
        allocation=spec.sampling.allocation,
        strata=tuple(spec.sampling.strata),
        dedup=spec.sampling.dedup,
        seed=seed,
        redaction=spec.redaction.active,
        fields=mapping.used,
        auto_fields=mapping.auto,
        ignored_columns=mapping.ignored,
    )


def _warnings(figures: dict[str, Any]) -> list[str]:
    warnings = []
    for region, counts in figures["regions"].items():
        if counts["records"] == 0:
            warnings.append(f"region {region}: no records in the logs")
        elif counts["drawn"] < counts["allocated"]:
            warnings.append(
                f"region {region}: {counts['allocated']} items asked for, only "
                f"{counts['units']} distinct ones in the logs"
            )
    outside = figures["outside_regions"]
    if outside:
        named = ", ".join(f"{region} ({n:,})" for region, n in sorted(outside.items()))
        warnings.append(f"records in regions that are not in the study were left out: {named}")
    return warnings
