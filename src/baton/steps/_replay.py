"""Replay over a study's store: send its items to every model (``baton replay``), or price
that first (``--dry-run``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from baton.domain import Item, Response
from baton.errors import InputError
from baton.providers import Provider, close_providers, create_providers
from baton.replay import (
    ReplayOptions,
    ReplayPlan,
    ReplayProgress,
    ReplaySummary,
    plan_replay,
    replay_responses,
)
from baton.steps._open import StudyStore, check_fingerprint, recorded_step, study_store
from baton.study import Study

__all__ = ["ReplayRun", "replay", "replay_dry_run", "replay_study"]


@dataclass(frozen=True)
class ReplayRun:
    """What ``replay`` did, and every response now in the store."""

    study: Study
    summary: ReplaySummary
    responses: tuple[Response, ...]


def _items(opened: StudyStore, limit: int | None) -> list[Item]:
    items = opened.store.items()
    if not items:
        raise InputError(
            "the store holds no items to replay; run baton ingest first",
            source=opened.store.url,
        )
    return items if limit is None else items[:limit]


async def _send(
    study: Study,
    items: list[Item],
    providers: Mapping[str, Provider],
    opened: StudyStore,
    *,
    options: ReplayOptions,
    progress: ReplayProgress | None,
) -> ReplaySummary:
    try:
        return await replay_responses(
            study, items, providers, opened.store, options=options, progress=progress
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
) -> ReplayRun:
    """Every item (the first ``limit``) to every model without a successful response,
    recorded as a ``replay`` run. ``providers`` replaces the study's, by model name."""
    study = opened.study
    items = _items(opened, limit)
    fingerprint = check_fingerprint(opened.store, study)
    chosen = dict(providers) if providers is not None else create_providers(study)
    with recorded_step(opened.store, "replay", fingerprint, {}, exclusive=True) as recorded:
        summary = asyncio.run(
            _send(study, items, chosen, opened, options=options, progress=progress)
        )
        recorded.update(asdict(summary))
    return ReplayRun(study, summary, tuple(opened.store.responses()))


def replay(
    study: str | Path,
    *,
    store: str | None = None,
    limit: int | None = None,
    options: ReplayOptions = ReplayOptions(),
    providers: Mapping[str, Provider] | None = None,
    progress: ReplayProgress | None = None,
) -> ReplayRun:
    """``baton replay``: send the study's items to the incumbent and every candidate and
    store each response once (resumable; identical requests come from the cache)."""
    with study_store(study, store=store) as opened:
        return replay_study(
            opened, limit=limit, options=options, providers=providers, progress=progress
        )


def replay_dry_run(
    study: str | Path, *, store: str | None = None, limit: int | None = None, cache: bool = True
) -> ReplayPlan:
    """``baton replay --dry-run``: the calls a replay would make now and their cost."""
    with study_store(study, store=store) as opened:
        return plan_replay(opened.study, _items(opened, limit), opened.store, cache=cache)
