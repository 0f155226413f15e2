"""The pipeline's state over a study's store (``baton status``): what is there, what failed,
what an edit of the study made stale, and the command that refreshes it. A read: writes
nothing, calls nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from baton.domain import Item, Verdict
from baton.errors import BatonError, ProviderFatalError
from baton.judges import build_judges, pending_cases
from baton.providers import Completion, CompletionRequest
from baton.replay import pending_pairs
from baton.steps._open import StudyStore, study_store
from baton.steps._versions import StudyChanges, study_changes

__all__ = [
    "JudgeStatus",
    "ModelStatus",
    "StaleWork",
    "StratumLabels",
    "StudyStatus",
    "status",
    "status_study",
]

_TOP_REASONS = 3


@dataclass(frozen=True)
class ModelStatus:
    """One model's responses: ``answered`` successfully with what the study asks now,
    ``stale`` answered what an older version asked, ``failed`` (by cause), ``missing``."""

    model: str
    answered: int
    stale: int
    failed: int
    missing: int
    errors_by_cause: dict[str, int]


@dataclass(frozen=True)
class JudgeStatus:
    """One judge on one dimension: its current ``verdicts``, ``abstentions`` among them
    with their top reasons (``model_abstentions`` those of a judge model asked, which
    ``--rejudge abstained`` may turn into verdicts; the rest abstain by design), and the
    responses ``pending`` (no current verdict; None when the judges could not be built)."""

    dimension: str
    judge: str
    verdicts: int
    abstentions: int
    model_abstentions: int
    top_reasons: dict[str, int]
    pending: int | None


@dataclass(frozen=True)
class StratumLabels:
    """Human labels in one (dimension, region) stratum."""

    dimension: str
    region: str
    labels: int


@dataclass(frozen=True)
class StaleWork:
    """Something to redo: what, how many, and the command that does it."""

    what: str
    count: int
    command: str


@dataclass(frozen=True)
class Decision:
    """A call of the label loop as last recorded."""

    candidate: str
    dimension: str
    region: str
    outcome: str
    p_noninferior: float
    threshold: float


@dataclass(frozen=True)
class StudyStatus:
    """``baton status``: the study's pipeline over its store."""

    study: str
    store: str
    changes: StudyChanges
    items: int
    items_by_region: dict[str, int]
    models: tuple[ModelStatus, ...]
    judges: tuple[JudgeStatus, ...]
    labels: tuple[StratumLabels, ...]
    looks: int
    decisions: tuple[Decision, ...]
    todo: tuple[StaleWork, ...]
    judges_note: str = ""


def _models(opened: StudyStore, items: list[Item]) -> tuple[ModelStatus, ...]:
    study, store = opened.study, opened.store
    pending = pending_pairs(study, items, store)
    ids = {item.item_id for item in items}
    out = []
    for spec in study.models:
        own = [r for r in store.responses(model=spec.name) if r.item_id in ids]
        causes = Counter(str(r.error).split(":", 1)[0] for r in own if r.error is not None)
        stale = pending.stale[spec.name]
        out.append(
            ModelStatus(
                spec.name,
                answered=sum(r.error is None for r in own) - stale,
                stale=stale,
                failed=pending.failed[spec.name],
                missing=pending.unanswered[spec.name],
                errors_by_cause=dict(causes.most_common()),
            )
        )
    return tuple(out)


class _Uncalled:
    """The judge models' provider while judges are built only to read their versions."""

    name = "uncalled"

    async def complete(self, request: CompletionRequest) -> Completion:
        raise ProviderFatalError("baton status calls no model", cause="rejected")


def _pending_judgments(
    opened: StudyStore, items: list[Item], base_dir: Path, source: str
) -> tuple[Counter[tuple[str, str]] | None, set[tuple[str, str]], str]:
    """Pending judgments by (dimension, judge), the judges' current versions, and a note
    when the judges could not be built (a template missing, a provider not installed)."""
    study = opened.study
    unused = _Uncalled()
    models = [study.judge_model, *(j.model for d in study.dimensions for j in d.judges)]
    providers = {model.name: unused for model in models if model is not None}
    try:
        judges = build_judges(
            study, base_dir=base_dir, store=None, providers=providers, source=source
        )
    except BatonError as error:
        return None, set(), f"pending verdicts unknown: {error}"
    tasks, _ = pending_cases(study, items, judges.by_dimension, opened.store)
    pending = Counter((case.dimension.name, judge.name) for case, judge in tasks)
    current = {
        (dimension, judge.version)
        for dimension, built in judges.by_dimension.items()
        for judge in built
    }
    return pending, current, ""


def _judges(
    opened: StudyStore, items: list[Item], base_dir: Path, source: str
) -> tuple[tuple[JudgeStatus, ...], str]:
    pending, current, note = _pending_judgments(opened, items, base_dir, source)
    verdicts = opened.store.verdicts()
    out = []
    for dimension in opened.study.dimensions:
        for spec in dimension.judges:
            own = [
                v
                for v in verdicts
                if (v.dimension, v.judge) == (dimension.name, spec.name)
                and (not current or (v.dimension, v.judge_version) in current)
            ]
            out.append(_judge_status(dimension.name, spec.name, own, pending))
    return tuple(out), note


def _judge_status(
    dimension: str, judge: str, own: list[Verdict], pending: Counter[tuple[str, str]] | None
) -> JudgeStatus:
    reasons = Counter(v.abstention.split(":", 1)[0] for v in own if v.abstention is not None)
    return JudgeStatus(
        dimension,
        judge,
        verdicts=len(own),
        abstentions=sum(reasons.values()),
        model_abstentions=sum(
            v.abstention is not None and v.input_tokens + v.output_tokens > 0 for v in own
        ),
        top_reasons=dict(reasons.most_common(_TOP_REASONS)),
        pending=None if pending is None else pending[(dimension, judge)],
    )


def _labels(opened: StudyStore, items: list[Item]) -> tuple[StratumLabels, ...]:
    region = {item.item_id: item.region for item in items}
    counts = Counter(
        (label.dimension, region.get(label.item_id, "?")) for label in opened.store.labels()
    )
    return tuple(
        StratumLabels(dimension.name, r.name, counts[(dimension.name, r.name)])
        for dimension in opened.study.dimensions
        for r in opened.study.regions
    )


def _todo(
    models: tuple[ModelStatus, ...],
    judges: tuple[JudgeStatus, ...],
    changes: StudyChanges,
    *,
    items: int,
) -> tuple[StaleWork, ...]:
    todo = []
    if not items:
        todo.append(StaleWork("no items yet: a sample of the logs", 0, "baton ingest"))
    for m in models:
        if m.stale:
            what = f"{m.model}: responses to what the study asked before"
            todo.append(StaleWork(what, m.stale, "baton replay"))
        if m.missing:
            todo.append(StaleWork(f"{m.model}: items not asked yet", m.missing, "baton replay"))
        if m.failed:
            what = f"{m.model}: failed responses"
            todo.append(StaleWork(what, m.failed, "baton replay --retry-failed"))
    for j in judges:
        if j.pending:
            what = f"{j.dimension}/{j.judge}: responses without a current verdict"
            todo.append(StaleWork(what, j.pending, "baton judge"))
        if j.model_abstentions:
            what = f"{j.dimension}/{j.judge}: the judge model's abstentions"
            todo.append(StaleWork(what, j.model_abstentions, "baton judge --rejudge abstained"))
    if any(c.scope == "decisions" for c in changes.changes):
        todo.append(
            StaleWork("decisions (margins, budget or confidence changed)", 0, "baton decide")
        )
    return tuple(todo)


def status_study(opened: StudyStore, *, base_dir: Path, source: str) -> StudyStatus:
    """The pipeline's state of ``opened`` (see ``status``)."""
    study, store = opened.study, opened.store
    items = store.items()
    models = _models(opened, items)
    judges, note = _judges(opened, items, base_dir, source)
    changes = study_changes(store, study)
    calls = store.look_calls()
    return StudyStatus(
        study=study.name,
        store=store.url,
        changes=changes,
        items=len(items),
        items_by_region=dict(sorted(Counter(item.region for item in items).items())),
        models=models,
        judges=judges,
        labels=_labels(opened, items),
        looks=len(store.looks()),
        decisions=tuple(
            Decision(c.candidate, c.dimension, c.region, c.outcome, c.p_noninferior, c.threshold)
            for c in calls
        ),
        todo=_todo(models, judges, changes, items=len(items)),
        judges_note=note,
    )


def status(study: str | Path, *, store: str | None = None) -> StudyStatus:
    """``baton status``: items; each model's responses (stale, failed by cause, missing);
    each judge's verdicts, abstentions and their top reasons, and what awaits a verdict;
    labels per (dimension, region); the calls of the label loop recorded so far; what the
    last edit of the study changed; and what to redo, with the command for each."""
    path = Path(study)
    with study_store(path, store=store) as opened:
        return status_study(opened, base_dir=path.resolve().parent, source=str(path))
