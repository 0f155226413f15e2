"""Judging over a study's store: run the configured judges (``baton judge``) and read how
each agrees with the human labels so far (``baton judges``)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from baton._analyse_evidence import human_by_response
from baton._batches import BatchOptions
from baton.domain import Label, Verdict
from baton.judges import JudgeSpend, JudgeSummary, build_judges, judge_responses
from baton.labelling import StudyStore
from baton.providers import Provider
from baton.replay import RetryPolicy
from baton.study import JudgeSpec, Study
from baton.workflow import check_fingerprint, recorded_step

__all__ = ["JudgeAgreement", "JudgeRun", "judge_agreement", "judge_study"]


@dataclass(frozen=True)
class JudgeRun:
    """What ``judge_study`` did: the verdicts' summary and each judge model's calls."""

    summary: JudgeSummary
    spend: dict[str, JudgeSpend]


def judge_study(
    opened: StudyStore,
    *,
    base_dir: Path,
    source: str,
    providers: Mapping[str, Provider] | None = None,
    options: BatchOptions = BatchOptions(),
    retry: RetryPolicy | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> JudgeRun:
    """Run every judge the study configures on every response without a current verdict,
    recorded as a ``judge`` run. ``providers`` replaces judge models' providers by name."""
    study, store = opened.study, opened.store
    fingerprint = check_fingerprint(store, study)
    judges = build_judges(
        study, base_dir=base_dir, store=store, providers=providers, source=source, retry=retry
    )

    async def run() -> JudgeSummary:
        try:
            return await judge_responses(
                study,
                store.items(),
                judges.by_dimension,
                store,
                options=options,
                cache=judges.drain,
                on_batch=on_batch,
            )
        finally:
            await judges.aclose()

    with recorded_step(store, "judge", fingerprint, {}) as recorded:
        summary = asyncio.run(run())
        recorded.update(asdict(summary))
    return JudgeRun(summary, judges.spend)


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
            (_passes(spec, v.category), human[(v.item_id, v.model, v.dimension)][0] >= 1)
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


def _passes(spec: JudgeSpec, category: int) -> bool:
    low, high = spec.categories[0], spec.categories[-1]
    return category > (low + high) / 2


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None
