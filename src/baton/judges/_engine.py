"""Judging: run every judge of every dimension on every response it has no current verdict for.

A verdict is current when its judge's version is today's and it judged the answers stored
now: after a rubric, template, model or option of one judge changes, that judge's verdicts
are redone (and replace the old ones) while every other judge's stand; after a response is
asked again (an edited model), its verdicts are redone, and so are those read against it
(a candidate's, against a new incumbent answer; the judge cache answers unchanged
questions). Each batch of verdicts is stored in one transaction with
the judge-model answers that produced them (the cache), so a killed run resumes where it
stopped and asks nothing twice. A judge that could not be asked at all (its provider failed
after retries) leaves no verdict, to be asked again on the next run. An abstention is a
current verdict (it is not asked again) unless ``rejudge_abstained`` asks for it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from baton.domain import Item, Response, Verdict
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
    could not be asked (by cause in ``errors_by_cause``, one message each in
    ``error_examples``), left for the next run. ``abstention_reasons`` counts abstentions by
    reason (the text before its first colon; one in full in ``abstention_examples``);
    ``model_abstentions`` are those of a judge model that was asked (unparseable, declined),
    not of a judge abstaining by design (a check without a reference, the pairwise
    baseline). Tokens and ``cost_usd`` are those of the verdicts written."""

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
    model_abstentions: int = 0
    abstention_reasons: dict[str, int] = field(default_factory=dict)
    abstention_examples: dict[str, str] = field(default_factory=dict)
    error_examples: dict[str, str] = field(default_factory=dict)


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
    rejudge_abstained: bool = False,
) -> JudgeSummary:
    """Judge every successful response with every judge of its dimension (``judges`` maps a
    dimension's name to its judges); ``cache`` drains the judge models' new answers. With
    ``rejudge_abstained``, judge only the abstentions again (build the judges with
    ``refresh`` so the cache does not give the same answer back)."""
    tasks, stale = pending_cases(study, items, judges, store, abstained=rejudge_abstained)
    tally: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    examples: dict[str, str] = {}
    abstention_examples: dict[str, str] = {}
    by_judge: Counter[str] = Counter()
    spent = [0, 0, 0.0]

    async def work(task: _Task) -> Verdict | None:
        case, judge = task
        try:
            verdict = await judge.judge(case)
        except ProviderError as error:
            causes[error.cause] += 1
            examples.setdefault(error.cause, str(error))
            return None
        return replace(verdict, case_key=answers_key(case.response, case.incumbent))

    def commit(results: list[Verdict | None]) -> int:
        verdicts = [v for v in results if v is not None]
        tally["failed"] += len(results) - len(verdicts)
        for verdict in verdicts:
            if verdict.abstention is None:
                continue
            tally["abstentions"] += 1
            tally["model_abstentions"] += verdict.input_tokens + verdict.output_tokens > 0
            reason = verdict.abstention.split(":", 1)[0]
            reasons[reason] += 1
            abstention_examples.setdefault(reason, verdict.abstention)
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
        model_abstentions=tally["model_abstentions"],
        abstention_reasons=dict(reasons.most_common()),
        abstention_examples=abstention_examples,
        error_examples=dict(sorted(examples.items())),
    )


def pending_cases(
    study: Study,
    items: Sequence[Item],
    judges: Mapping[str, Sequence[Judge]],
    store: Store,
    *,
    abstained: bool = False,
) -> tuple[list[tuple[JudgeCase, Judge]], int]:
    """The (case, judge) pairs without a current verdict, and how many of them have a stale
    one; with ``abstained``, instead, those whose current verdict is an abstention."""
    by_id = {item.item_id: item for item in items}
    stored = {(v.item_id, v.model, v.dimension, v.judge): v for v in store.verdicts()}
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
                held = stored.get(key)
                baseline = None if response.model == study.incumbent.name else incumbent
                against = (baseline or {}).get(response.item_id)
                current = _current(held, judge.version, answers_key(response, against))
                if not _wanted(held, current, abstained=abstained):
                    continue
                stale += held is not None and not current
                case = JudgeCase(study, dimension, by_id[response.item_id], response, against)
                tasks.append((case, judge))
    return tasks, stale


def answers_key(response: Response, incumbent: Response | None) -> str:
    """A hash of what a verdict judges: the answer, and the incumbent's it is read against."""
    shown = [response.text, None if incumbent is None else incumbent.text]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:16]


def _current(held: Verdict | None, version: str, case_key: str) -> bool:
    """A verdict of the judge's version on the same answers (or one stored before verdicts
    kept what they judged)."""
    if held is None or held.judge_version != version:
        return False
    return held.case_key is None or held.case_key == case_key


def _wanted(held: Verdict | None, current: bool, *, abstained: bool) -> bool:
    """Whether a pair with verdict ``held`` is judged: without a current verdict, or with
    ``abstained`` with a current abstention."""
    if not current:
        return not abstained
    return abstained and held is not None and held.abstention is not None
