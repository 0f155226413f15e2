"""Judging: run every judge of every dimension on every response it has no current verdict for.

A verdict is current when its judge's version is today's: after a rubric, template, model
or option of one judge changes, that judge's verdicts are redone (and replace the old ones)
while every other judge's stand. Each batch of verdicts is stored in one transaction with
the judge-model answers that produced them (the cache), so a killed run resumes where it
stopped and asks nothing twice. A judge that could not be asked at all (its provider failed
after retries) leaves no verdict, to be asked again on the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from baton.domain import Item, Verdict
from baton.errors import ProviderError
from baton.judges._base import Judge, JudgeCase
from baton.replay import BatchOptions, run_in_batches
from baton.storage import CacheEntry, Store
from baton.study import Study

__all__ = ["JudgeSummary", "judge_responses", "pending_cases"]


@dataclass(frozen=True)
class JudgeSummary:
    """What a judging step did: ``pending`` (response, judge) pairs without a current verdict
    when it started, of which ``stale`` had one from an older version of their judge;
    ``written`` verdicts stored, ``abstentions`` among them; ``failed`` pairs whose judge
    could not be asked (by cause in ``errors_by_cause``), left for the next run. Tokens and
    ``cost_usd`` are those of the verdicts written."""

    pending: int
    written: int
    abstentions: int
    failed: int = 0
    stale: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    errors_by_cause: dict[str, int] = field(default_factory=dict)
    by_judge: dict[str, int] = field(default_factory=dict)


_Task = tuple[JudgeCase, Judge]


async def judge_responses(
    study: Study,
    items: Sequence[Item],
    judges: Mapping[str, Sequence[Judge]],
    store: Store,
    *,
    options: BatchOptions = BatchOptions(),
    cache: Callable[[], Sequence[CacheEntry]] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> JudgeSummary:
    """Judge every successful response with every judge of its dimension (``judges`` maps a
    dimension's name to its judges); ``cache`` drains the judge models' new answers."""
    tasks, stale = pending_cases(study, items, judges, store)
    tally: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    by_judge: Counter[str] = Counter()
    spent = [0, 0, 0.0]

    async def work(task: _Task) -> Verdict | None:
        case, judge = task
        try:
            return await judge.judge(case)
        except ProviderError as error:
            causes[error.cause] += 1
            return None

    def commit(results: list[Verdict | None]) -> int:
        verdicts = [v for v in results if v is not None]
        tally["failed"] += len(results) - len(verdicts)
        tally["abstentions"] += sum(v.abstention is not None for v in verdicts)
        by_judge.update(f"{v.dimension}/{v.judge}" for v in verdicts)
        spent[0] += sum(v.input_tokens for v in verdicts)
        spent[1] += sum(v.output_tokens for v in verdicts)
        spent[2] += sum(v.cost_usd for v in verdicts)
        return store.add_verdicts(verdicts, cache=cache() if cache is not None else ())

    written = await run_in_batches(tasks, work, commit, options=options, on_batch=on_batch)
    return JudgeSummary(
        pending=len(tasks),
        written=written,
        abstentions=tally["abstentions"],
        failed=tally["failed"],
        stale=stale,
        input_tokens=int(spent[0]),
        output_tokens=int(spent[1]),
        cost_usd=float(spent[2]),
        errors_by_cause=dict(sorted(causes.items())),
        by_judge=dict(sorted(by_judge.items())),
    )


def pending_cases(
    study: Study, items: Sequence[Item], judges: Mapping[str, Sequence[Judge]], store: Store
) -> tuple[list[tuple[JudgeCase, Judge]], int]:
    """The (case, judge) pairs without a current verdict, and how many of them have a stale one."""
    by_id = {item.item_id: item for item in items}
    versions = {
        (v.item_id, v.model, v.dimension, v.judge): v.judge_version for v in store.verdicts()
    }
    models = {spec.name for spec in study.models}
    responses = [
        r for r in store.responses() if r.error is None and r.item_id in by_id and r.model in models
    ]
    incumbent = {r.item_id: r for r in responses if r.model == study.incumbent.name}
    tasks: list[_Task] = []
    stale = 0
    for dimension in study.dimensions:
        for judge in judges.get(dimension.name, ()):
            for response in responses:
                key = (response.item_id, response.model, dimension.name, judge.name)
                stored = versions.get(key)
                if stored == judge.version:
                    continue
                stale += stored is not None
                baseline = None if response.model == study.incumbent.name else incumbent
                item = by_id[response.item_id]
                case = JudgeCase(
                    study, dimension, item, response, (baseline or {}).get(item.item_id)
                )
                tasks.append((case, judge))
    return tasks, stale
