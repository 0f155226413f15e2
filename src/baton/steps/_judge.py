"""Judging over a study's store: run the configured judges (``baton judge``), price a run
(``--dry-run``) and read how each agrees with the human labels so far (``baton judges``)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from baton.analysis import human_by_response
from baton.domain import Label, Verdict
from baton.errors import NotReadyError, StepInterruptedError
from baton.judges import (
    BUILTIN_TEMPLATES,
    Judge,
    JudgeSpend,
    JudgeSummary,
    LLMJudge,
    build_judges,
    builtin_template,
    judge_in_batches,
    judge_responses,
    pending_cases,
)
from baton.providers import BatchClient, Provider, create_batch_client
from baton.replay import (
    BATCH_DISCOUNT,
    BatchOptions,
    BatchTally,
    ModelPlan,
    ReplayPlan,
    RetryPolicy,
    batch_token_cost,
    cache_key,
    estimated_tokens,
    token_cost,
)
from baton.steps._failures import DEFAULT_MAX_FAILURES, Failures, judge_failures
from baton.steps._open import StudyStore, recorded_step, study_store
from baton.steps._replay import BatchSettings
from baton.steps._versions import StudyChanges, record_version
from baton.storage import Store
from baton.study import DimensionSpec, ModelSpec, Study

__all__ = [
    "JudgeAgreement",
    "JudgeRun",
    "batch_priced_judges",
    "judge",
    "judge_agreement",
    "judge_dry_run",
    "judge_study",
    "judges",
    "plan_judging",
    "write_templates",
]


@dataclass(frozen=True)
class JudgeRun:
    """What ``judge_study`` did: the verdicts' summary, each judge model's calls, what
    changed in the study since the store last saw it, and the failures and abstentions
    against the threshold."""

    summary: JudgeSummary
    spend: dict[str, JudgeSpend]
    changes: StudyChanges
    failures: Failures
    batches: BatchTally | None = None


Rejudge = Literal["abstained"]
"""What ``baton judge --rejudge`` judges again, bypassing the cache."""


def judge_study(
    opened: StudyStore,
    *,
    base_dir: Path,
    source: str,
    providers: Mapping[str, Provider] | None = None,
    options: BatchOptions = BatchOptions(),
    retry: RetryPolicy | None = None,
    on_batch: Callable[[int], None] | None = None,
    rejudge: Rejudge | None = None,
    max_failures: float = DEFAULT_MAX_FAILURES,
    resume: str = "baton judge",
    batch: BatchSettings | None = None,
) -> JudgeRun:
    """Run every judge the study configures on every response without a current verdict,
    recorded as a ``judge`` run. ``providers`` replaces judge models' providers by name.
    ``rejudge="abstained"`` judges only the current abstentions again, without the cache.
    With ``batch``, the judge models' first questions go through their batch APIs (the
    verdicts are then made from their answers, at batch prices; see ``judge_in_batches``).
    Interrupted (Ctrl-C), it raises ``StepInterruptedError`` naming ``resume``."""
    study, store = opened.study, opened.store
    changes = record_version(store, study)
    judges = build_judges(
        study if batch is None else batch_priced_judges(study),
        base_dir=base_dir,
        store=store,
        providers=providers,
        source=source,
        retry=retry,
        refresh=rejudge == "abstained",
    )
    done = [0, 0]

    def counted(batch: int) -> None:
        done[0] += batch
        if on_batch is not None:
            on_batch(batch)

    async def run() -> tuple[JudgeSummary, BatchTally | None]:
        try:
            tally = None
            if batch is not None:
                tally = await _batches(study, judges.by_dimension, store, batch)
            summary = await judge_responses(
                study,
                store.items(),
                judges.by_dimension,
                store,
                options=options,
                cache=judges.drain,
                on_batch=counted,
                rejudge_abstained=rejudge == "abstained",
            )
            return summary, tally
        finally:
            await judges.aclose()

    try:
        with recorded_step(store, "judge", changes.fingerprint, {}, exclusive=True) as recorded:
            summary, tally = asyncio.run(run())
            recorded.update(asdict(summary))
            if tally is not None:
                recorded.update(batches=asdict(tally))
    except KeyboardInterrupt:
        pending = len(pending_cases(study, store.items(), judges.by_dimension, store)[0])
        raise StepInterruptedError(
            "judge", done=done[0], pending=done[0] + pending, resume=resume
        ) from None
    failures = judge_failures(summary, max_failures)
    return JudgeRun(summary, judges.spend, changes, failures, tally)


async def _batches(
    study: Study,
    by_dimension: Mapping[str, Sequence[Judge]],
    store: Store,
    batch: BatchSettings,
) -> BatchTally:
    """The judge models' first questions through their batch APIs, into the judge cache."""
    models = {
        judge.client.spec.name: judge.client.spec
        for judges in by_dimension.values()
        for judge in judges
        if isinstance(judge, LLMJudge)
    }
    clients: dict[str, BatchClient] = (
        dict(batch.clients)
        if batch.clients is not None
        else {name: create_batch_client(spec) for name, spec in models.items()}
    )
    try:
        return await judge_in_batches(
            study,
            store.items(),
            by_dimension,
            store,
            clients,
            mode=batch.mode,
            on_event=batch.on_event,
        )
    finally:
        for client in clients.values():
            await client.aclose()


def batch_priced_judges(study: Study) -> Study:
    """``study`` with every judge model priced at its batch prices (its own, else
    ``BATCH_DISCOUNT`` of the interactive ones), so verdicts cost what batches charge."""

    def priced(spec: ModelSpec | None) -> ModelSpec | None:
        if spec is None:
            return None
        price_in = spec.batch_price_per_mtok_input
        price_out = spec.batch_price_per_mtok_output
        return spec.model_copy(
            update={
                "price_per_mtok_input": spec.price_per_mtok_input * BATCH_DISCOUNT
                if price_in is None
                else price_in,
                "price_per_mtok_output": spec.price_per_mtok_output * BATCH_DISCOUNT
                if price_out is None
                else price_out,
            }
        )

    def dimension(spec: DimensionSpec) -> DimensionSpec:
        judge = spec.judge.model_copy(update={"model": priced(spec.judge.model)})
        checks = [j.model_copy(update={"model": priced(j.model)}) for j in spec.checks]
        return spec.model_copy(update={"judge": judge, "checks": checks})

    return study.model_copy(
        update={
            "judge_model": priced(study.judge_model),
            "dimensions": [dimension(d) for d in study.dimensions],
        }
    )


def plan_judging(
    opened: StudyStore,
    *,
    base_dir: Path,
    source: str,
    providers: Mapping[str, Provider] | None = None,
) -> ReplayPlan:
    """A dry run of ``judge_study``, per judge model: the judgments pending, the calls the
    cache answers, and the calls left with their estimated tokens and cost (output at most
    ``max_tokens``; a retry after an unparseable answer comes on top). Calls nothing."""
    study, store = opened.study, opened.store
    judges = build_judges(
        study, base_dir=base_dir, store=None, providers=providers or {}, source=source
    )
    rows: dict[str, list[int]] = {}
    specs = {}
    seen: set[str] = set()
    for case, judge in pending_cases(study, store.items(), judges.by_dimension, store)[0]:
        if not isinstance(judge, LLMJudge):
            continue
        spec = judge.client.spec
        specs[spec.name] = spec
        row = rows.setdefault(spec.name, [0, 0, 0, 0, 0])  # pending, cached, calls, in, out
        row[0] += 1
        for request in judge.requests(case):
            key = cache_key(spec, request)
            if key in seen or store.cached([key]):
                row[1] += 1
                continue
            seen.add(key)
            tokens_in, tokens_out = estimated_tokens(request)
            row[2] += 1
            row[3] += tokens_in
            row[4] += tokens_out
    plans = []
    for name, (pending, cached, calls, tokens_in, tokens_out) in rows.items():
        cost = token_cost(specs[name], tokens_in, tokens_out)
        batch_cost = batch_token_cost(specs[name], tokens_in, tokens_out)
        plans.append(
            ModelPlan(
                name,
                pending,
                cached,
                calls,
                tokens_in,
                tokens_out,
                cost,
                batch_cost_usd=batch_cost,
            )
        )
    return ReplayPlan(tuple(plans))


@dataclass(frozen=True)
class JudgeAgreement:
    """One judge on one model's answers on one dimension, against the human labels so far.

    ``verdicts`` judged answers, ``abstentions`` among them; ``labelled`` answers with both a
    human label (the raters' majority) and a verdict with a category; ``agreement`` the share
    where the judge's pass (the upper half of its scale) matches the human's, and sensitivity
    / specificity its pass rate on human passes / fail rate on human fails (None without any).
    """

    dimension: str
    judge: str
    model: str
    verdicts: int
    abstentions: int
    labelled: int
    agreement: float | None
    sensitivity: float | None
    specificity: float | None


def judge_agreement(
    study: Study, verdicts: Sequence[Verdict], labels: Sequence[Label]
) -> list[JudgeAgreement]:
    """Every judge's agreement with the human labels, per dimension and model."""
    human = human_by_response(labels)
    specs = {(d.name, j.name): j for d in study.dimensions for j in d.judges}
    grouped: dict[tuple[str, str, str], list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        if (verdict.dimension, verdict.judge) in specs:
            grouped[(verdict.dimension, verdict.judge, verdict.model)].append(verdict)
    order = {name: i for i, name in enumerate(m.name for m in study.models)}
    out = []
    for (dimension, judge, model), group in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], kv[0][1], order.get(kv[0][2], len(order)))
    ):
        spec = specs[(dimension, judge)]
        pairs = [
            (spec.passes(v.category), human[(v.item_id, v.model, v.dimension)][0] >= 1)
            for v in group
            if v.category is not None and (v.item_id, v.model, v.dimension) in human
        ]
        out.append(
            JudgeAgreement(
                dimension,
                judge,
                model,
                verdicts=len(group),
                abstentions=sum(v.category is None for v in group),
                labelled=len(pairs),
                agreement=_share([says == truth for says, truth in pairs]),
                sensitivity=_share([says for says, truth in pairs if truth]),
                specificity=_share([not says for says, truth in pairs if not truth]),
            )
        )
    return out


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _require_responses(opened: StudyStore) -> None:
    if not opened.store.responses():
        raise NotReadyError("nothing to judge: the store holds no responses; run baton replay")


def judge(
    study: str | Path,
    *,
    store: str | None = None,
    options: BatchOptions = BatchOptions(),
    providers: Mapping[str, Provider] | None = None,
    on_batch: Callable[[int], None] | None = None,
    rejudge: Rejudge | None = None,
    max_failures: float = DEFAULT_MAX_FAILURES,
    batch: BatchSettings | None = None,
) -> JudgeRun:
    """``baton judge``: every configured judge on every response without a current verdict
    (rubric templates named in the study are found beside it); ``rejudge="abstained"``
    judges the abstentions again instead, without the cache. With ``batch`` (``baton judge
    --batch``), the judge models are asked through their batch APIs first, at batch prices;
    a run stopped while batches were open polls the same batches when run again."""
    path = Path(study)
    where = f" --store {store}" if store else ""
    with study_store(path, store=store) as opened:
        _require_responses(opened)
        return judge_study(
            opened,
            base_dir=path.resolve().parent,
            source=str(path),
            providers=providers,
            options=options,
            on_batch=on_batch,
            rejudge=rejudge,
            max_failures=max_failures,
            resume=f"baton judge {path}{where}" + (" --batch" if batch else ""),
            batch=batch,
        )


def judge_dry_run(study: str | Path, *, store: str | None = None) -> ReplayPlan:
    """``baton judge --dry-run``: the judge calls a run would make now and their cost."""
    path = Path(study)
    with study_store(path, store=store) as opened:
        _require_responses(opened)
        return plan_judging(opened, base_dir=path.resolve().parent, source=str(path))


def judges(study: str | Path, *, store: str | None = None) -> list[JudgeAgreement]:
    """``baton judges``: each judge's agreement with the human labels so far."""
    with study_store(study, store=store) as opened:
        return judge_agreement(opened.study, opened.store.verdicts(), opened.store.labels())


def write_templates(folder: Path) -> list[Path]:
    """``baton judges --templates``: the built-in rubric templates written into ``folder``
    (to edit, then name in a judge's ``template:``)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (*BUILTIN_TEMPLATES.values(), "pairwise.j2", "_conversation.j2"):
        (folder / name).write_text(builtin_template(name), encoding="utf-8")
        written.append(folder / name)
    return written
