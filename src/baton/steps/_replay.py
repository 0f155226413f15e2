"""Replay over a study's store: send its items to every model (``baton replay``), or price
that first (``--dry-run``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from baton.domain import Item, Response
from baton.errors import InputError, StepInterruptedError
from baton.providers import (
    BatchClient,
    Provider,
    close_providers,
    create_batch_client,
    create_providers,
)
from baton.replay import (
    BatchMode,
    BatchTally,
    ReplayOptions,
    ReplayPlan,
    ReplayProgress,
    ReplaySummary,
    plan_replay,
    replay_in_batches,
    replay_responses,
)
from baton.steps._failures import DEFAULT_MAX_FAILURES, Failures, replay_failures
from baton.steps._open import StudyStore, recorded_step, study_store
from baton.steps._versions import StudyChanges, record_version, study_changes
from baton.study import Study

__all__ = [
    "BatchSettings",
    "ReplayDryRun",
    "ReplayRun",
    "replay",
    "replay_dry_run",
    "replay_study",
]


@dataclass(frozen=True)
class ReplayRun:
    """What ``replay`` did, every response now in the store, what changed in the study
    since the store last saw it, and the failures against the threshold."""

    study: Study
    summary: ReplaySummary
    responses: tuple[Response, ...]
    changes: StudyChanges
    failures: Failures
    batches: BatchTally | None = None


@dataclass(frozen=True)
class ReplayDryRun:
    """What ``replay --dry-run`` says: the plan, and what changed in the study."""

    plan: ReplayPlan
    changes: StudyChanges


def _items(opened: StudyStore, limit: int | None) -> list[Item]:
    items = opened.store.items()
    if not items:
        raise InputError(
            "the store holds no items to replay; run baton ingest first",
            source=opened.store.url,
        )
    return items if limit is None else items[:limit]


class _Counted:
    """Counts the responses stored, passing the news on to ``progress``."""

    def __init__(self, progress: ReplayProgress | None) -> None:
        self.progress = progress
        self.total = self.stored = 0

    def start(self, total: int) -> None:
        self.total = total
        if self.progress is not None:
            self.progress.start(total)

    def advance(self, responses: int, errors: int) -> None:
        self.stored += responses
        if self.progress is not None:
            self.progress.advance(responses, errors)


async def _send(
    study: Study,
    items: list[Item],
    providers: Mapping[str, Provider],
    opened: StudyStore,
    *,
    options: ReplayOptions,
    progress: ReplayProgress | None,
    on_down: Callable[[str], None] | None,
) -> ReplaySummary:
    try:
        return await replay_responses(
            study,
            items,
            providers,
            opened.store,
            options=options,
            progress=progress,
            on_down=on_down,
        )
    finally:
        await close_providers(providers)


@dataclass(frozen=True)
class BatchSettings:
    """``--batch`` of ``baton replay`` and ``baton judge``: how the batches run (``mode``),
    the batch clients to use instead of the study's (by model name), and ``on_event``, told
    a line per batch submitted, found again or stored."""

    mode: BatchMode = field(default_factory=BatchMode)
    clients: Mapping[str, BatchClient] | None = None
    on_event: Callable[[str], None] | None = None


async def _send_batches(
    study: Study,
    items: list[Item],
    opened: StudyStore,
    batch: BatchSettings,
    progress: ReplayProgress,
    *,
    failed_only: bool,
) -> tuple[ReplaySummary, BatchTally]:
    clients = (
        dict(batch.clients)
        if batch.clients is not None
        else {spec.name: create_batch_client(spec) for spec in study.models}
    )
    try:
        return await replay_in_batches(
            study,
            items,
            clients,
            opened.store,
            mode=batch.mode,
            progress=progress,
            on_event=batch.on_event,
            failed_only=failed_only,
        )
    finally:
        for client in clients.values():
            await client.aclose()


def _merged(batched: ReplaySummary, asked: ReplaySummary) -> ReplaySummary:
    """A batch replay's summary after its failures were asked interactively."""
    return ReplaySummary(
        pending=batched.pending,
        written=batched.written + asked.written,
        errors=asked.errors,
        called=batched.called + asked.called,
        attempts=batched.attempts + asked.attempts,
        input_tokens=batched.input_tokens + asked.input_tokens,
        output_tokens=batched.output_tokens + asked.output_tokens,
        cost_usd=batched.cost_usd + asked.cost_usd,
        spent_usd=batched.spent_usd + asked.spent_usd,
        elapsed_s=batched.elapsed_s + asked.elapsed_s,
        errors_by_cause=asked.errors_by_cause,
        stale=batched.stale,
        error_examples=asked.error_examples,
        down=asked.down,
    )


def _run(
    study: Study,
    items: list[Item],
    opened: StudyStore,
    *,
    options: ReplayOptions,
    providers: Mapping[str, Provider] | None,
    progress: _Counted,
    on_down: Callable[[str], None] | None,
    batch: BatchSettings | None,
) -> tuple[ReplaySummary, BatchTally | None]:
    """The replay itself: interactive, or in batches (then, with ``retry="interactive"``,
    what the batches could not answer asked interactively)."""
    tally = None
    if batch is not None:
        summary, tally = asyncio.run(
            _send_batches(study, items, opened, batch, progress, failed_only=options.failed_only)
        )
        if batch.mode.retry != "interactive" or not summary.errors:
            return summary, tally
        options = replace(options, failed_only=True)
    chosen = dict(providers) if providers is not None else create_providers(study)
    shown = None if batch is not None else progress  # the batches' bar counted these
    asked = asyncio.run(
        _send(study, items, chosen, opened, options=options, progress=shown, on_down=on_down)
    )
    return (asked, None) if batch is None else (_merged(summary, asked), tally)


def replay_study(
    opened: StudyStore,
    *,
    limit: int | None = None,
    options: ReplayOptions = ReplayOptions(),
    providers: Mapping[str, Provider] | None = None,
    progress: ReplayProgress | None = None,
    max_failures: float = DEFAULT_MAX_FAILURES,
    on_down: Callable[[str], None] | None = None,
    resume: str = "baton replay",
    batch: BatchSettings | None = None,
) -> ReplayRun:
    """Every item (the first ``limit``) to every model without a current successful
    response, recorded as a ``replay`` run. ``providers`` replaces the study's, by model
    name. With ``batch``, through the providers' batch APIs (resuming the open batches of a
    run that was stopped). Interrupted (Ctrl-C), it raises ``StepInterruptedError`` saying
    how far it got and that ``resume`` goes on."""
    study = opened.study
    items = _items(opened, limit)
    changes = record_version(opened.store, study)
    counted = _Counted(progress)
    try:
        with recorded_step(
            opened.store, "replay", changes.fingerprint, {}, exclusive=True
        ) as recorded:
            summary, tally = _run(
                study,
                items,
                opened,
                options=options,
                providers=providers,
                progress=counted,
                on_down=on_down,
                batch=batch,
            )
            recorded.update(asdict(summary))
            if tally is not None:
                recorded.update(batches=asdict(tally))
    except KeyboardInterrupt:
        raise StepInterruptedError(
            "replay", done=counted.stored, pending=counted.total, resume=resume
        ) from None
    failures = replay_failures(summary, max_failures)
    responses = tuple(opened.store.responses())
    return ReplayRun(study, summary, responses, changes, failures, tally)


def replay(
    study: str | Path,
    *,
    store: str | None = None,
    limit: int | None = None,
    options: ReplayOptions = ReplayOptions(),
    providers: Mapping[str, Provider] | None = None,
    progress: ReplayProgress | None = None,
    max_failures: float = DEFAULT_MAX_FAILURES,
    on_down: Callable[[str], None] | None = None,
    batch: BatchSettings | None = None,
) -> ReplayRun:
    """``baton replay``: send the study's items to the incumbent and every candidate and
    store each response once (resumable; identical requests come from the cache; after an
    edit of the study, only the models whose requests changed are asked again). With
    ``batch`` (``baton replay --batch``), through the providers' batch APIs at batch
    prices; a run stopped while batches were open polls the same batches when run again."""
    with study_store(study, store=store) as opened:
        return replay_study(
            opened,
            limit=limit,
            options=options,
            providers=providers,
            progress=progress,
            max_failures=max_failures,
            on_down=on_down,
            resume=_resume_command("replay", study, store) + (" --batch" if batch else ""),
            batch=batch,
        )


def _resume_command(verb: str, study: str | Path, store: str | None) -> str:
    where = f" --store {store}" if store else ""
    return f"baton {verb} {study}{where}"


def replay_dry_run(
    study: str | Path, *, store: str | None = None, limit: int | None = None, cache: bool = True
) -> ReplayDryRun:
    """``baton replay --dry-run``: the calls a replay would make now and their cost, and
    what changed in the study since the store last saw it. Writes nothing."""
    with study_store(study, store=store) as opened:
        plan = plan_replay(opened.study, _items(opened, limit), opened.store, cache=cache)
        return ReplayDryRun(plan, study_changes(opened.store, opened.study))
