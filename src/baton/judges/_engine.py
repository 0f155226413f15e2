"""Judging: run each dimension's judge on every response that has no verdict from it yet."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from baton._batches import BatchOptions, run_in_batches
from baton.domain import Item, Response, Verdict
from baton.judges._base import Judge
from baton.storage import Store
from baton.study import DimensionSpec, Study

__all__ = ["JudgeSummary", "judge_responses"]


@dataclass(frozen=True)
class JudgeSummary:
    """What a judging step did."""

    pending: int
    written: int
    abstentions: int


async def judge_responses(
    study: Study,
    items: Sequence[Item],
    judges: Mapping[str, Judge],
    store: Store,
    *,
    options: BatchOptions = BatchOptions(),
    on_batch: Callable[[int], None] | None = None,
) -> JudgeSummary:
    """Judge every successful response on every dimension; ``judges`` maps dimension → judge."""
    by_id = {item.item_id: item for item in items}
    done = {(v.item_id, v.model, v.dimension, v.judge) for v in store.verdicts()}
    responses = [r for r in store.responses() if r.error is None and r.item_id in by_id]
    tasks = [
        (dimension, response)
        for dimension in study.dimensions
        for response in responses
        if (response.item_id, response.model, dimension.name, judges[dimension.name].name)
        not in done
    ]
    abstentions = 0

    def commit(verdicts: list[Verdict]) -> int:
        nonlocal abstentions
        abstentions += sum(v.abstention is not None for v in verdicts)
        return store.add_verdicts(verdicts)

    async def work(task: tuple[DimensionSpec, Response]) -> Verdict:
        dimension, response = task
        judge = judges[dimension.name]
        return await judge.judge(by_id[response.item_id], response, dimension)

    written = await run_in_batches(tasks, work, commit, options=options, on_batch=on_batch)
    return JudgeSummary(pending=len(tasks), written=written, abstentions=abstentions)
