"""Replay over a study's store: send its items to every model (``baton replay``), or price
that first (``--dry-run``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from baton.domain import Item, Response
from baton.errors import InputError, StepInterruptedError
from baton.providers import Provider, close_providers, create_providers
from baton.replay import (
    ReplayOptions,
    ReplayPlan,
    ReplayProgress,
    ReplaySummary,
    plan_replay,
    replay_responses,
)
from baton.steps._failures import DEFAULT_MAX_FAILURES, Failures, replay_failures
from baton.steps._open import StudyStore, recorded_step, study_store
from baton.steps._versions import StudyChanges, record_version, study_changes
from baton.study import Study

__all__ = ["ReplayDryRun", "ReplayRun", "replay", "replay_dry_run", "replay_study"]


@dataclass(frozen=True)
class ReplayRun:
    """What ``replay`` did, every response now in the store, what changed in the study
    since the store last saw it, and the failures against the threshold."""

    study: Study
    summary: ReplaySummary
    responses: tuple[Response, ...]
    changes: StudyChanges
    failures: Failures


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
    progress: ReplayProgress,
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
) -> ReplayRun:
    """Every item (the first ``limit``) to every model without a current successful
    response, recorded as a ``replay`` run. ``providers`` replaces the study's, by model
    name. Interrupted (Ctrl-C), it raises ``StepInterruptedError`` saying how far it got
    and that ``resume`` goes on."""
    study = opened.study
    items = _items(opened, limit)
    changes = record_version(opened.store, study)
    chosen = dict(providers) if providers is not None else create_providers(study)
    counted = _Counted(progress)
    try:
        with recorded_step(
            opened.store, "replay", changes.fingerprint, {}, exclusive=True
        ) as recorded:
            summary = asyncio.run(
                _send(
                    study,
                    items,
                    chosen,
                    opened,
                    options=options,
                    progress=counted,
                    on_down=on_down,
                )
            )
            recorded.update(asdict(summary))
    except KeyboardInterrupt:
        raise StepInterruptedError(
            "replay", done=counted.stored, pending=counted.total, resume=resume
        ) from None
    failures = replay_failures(summary, max_failures)
    return ReplayRun(study, summary, tuple(opened.store.responses()), changes, failures)


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
) -> ReplayRun:
    """``baton replay``: send the study's items to the incumbent and every candidate and
    store each response once (resumable; identical requests come from the cache; after an
    edit of the study, only the models whose requests changed are asked again)."""
    with study_store(study, store=store) as opened:
        return replay_study(
            opened,
            limit=limit,
            options=options,
            providers=providers,
            progress=progress,
            max_failures=max_failures,
            on_down=on_down,
            resume=_resume_command("replay", study, store),
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
