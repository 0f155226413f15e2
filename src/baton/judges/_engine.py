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
from baton.judges._llm import LLMJudge
from baton.providers import BatchClient, BatchOutcome, key_redactor
from baton.replay import (
    BatchJob,
    BatchMode,
    BatchOptions,
    BatchTally,
    cache_key,
    max_stored_chars,
    run_in_batches,
    run_provider_batches,
    stored_completion,
)
from baton.storage import CacheEntry, Store
from baton.study import ModelSpec, Study

__all__ = ["JudgeSummary", "judge_in_batches", "judge_responses", "pending_cases"]

BATCH_STEP = "judge"


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


async def judge_in_batches(
    study: Study,
    items: Sequence[Item],
    judges: Mapping[str, Sequence[Judge]],
    store: Store,
    clients: Mapping[str, BatchClient],
    *,
    mode: BatchMode,
    on_event: Callable[[str], None] | None = None,
) -> BatchTally:
    """Put the first question of every pending judgment (both orders, pairwise) to the LLM
    judges' models through their batch APIs (``clients``, by judge model name), resuming the
    open batches of an earlier run first, and keep each answer in the judge cache, stored
    once. ``judge_responses`` then makes the verdicts from the cache: what a batch could not
    answer (after ``mode.follow_ups`` further batches with ``mode.retry == "batch"``), and
    the second question after an unparseable answer, it asks interactively; an answer that
    stays unparseable is an abstention, never a score."""
    tally = BatchTally()
    rounds = 1 + (mode.follow_ups if mode.retry == "batch" else 0)
    for _ in range(rounds):
        jobs = _uncached_jobs(study, items, judges, store)
        if not jobs and not store.batches(BATCH_STEP, open_only=True):
            break
        specs = {job.spec.name: job.spec for job in jobs}
        writer = _CacheWriter(store, {job.custom_id: job.spec for job in jobs}, specs)
        await run_provider_batches(
            BATCH_STEP,
            jobs,
            clients,
            store,
            mode=mode,
            store_results=writer,
            tally=tally,
            on_event=on_event,
        )
    return tally


def _uncached_jobs(
    study: Study, items: Sequence[Item], judges: Mapping[str, Sequence[Judge]], store: Store
) -> list[BatchJob]:
    """The first requests of the pending LLM judgments that the judge cache cannot answer."""
    jobs: dict[str, BatchJob] = {}
    for case, judge in pending_cases(study, items, judges, store)[0]:
        if not isinstance(judge, LLMJudge):
            continue
        spec = judge.client.spec
        for request in judge.requests(case):
            key = cache_key(spec, request)
            jobs.setdefault(key, BatchJob(key, spec, request))
    keys = list(jobs)
    for start in range(0, len(keys), 2000):
        for key in store.cached(keys[start : start + 2000]):
            del jobs[key]
    return list(jobs.values())


class _CacheWriter:
    """Keeps each answer of a batch in the judge cache, once (one transaction a chunk)."""

    def __init__(
        self, store: Store, specs_by_key: dict[str, ModelSpec], specs: dict[str, ModelSpec]
    ) -> None:
        self._store = store
        self._specs = specs_by_key
        self._redact = key_redactor(list(specs.values()))

    async def __call__(self, outcomes: Sequence[BatchOutcome]) -> None:
        held = self._store.cached([o.custom_id for o in outcomes if o.completion is not None])
        entries = []
        for outcome in outcomes:
            spec = self._specs.get(outcome.custom_id)
            if outcome.completion is None or spec is None or outcome.custom_id in held:
                continue  # failed (asked again), answered already, or no longer asked
            completion = stored_completion(
                outcome.completion,
                redact=self._redact,
                max_chars=max_stored_chars(spec),
                refuse_empty=False,  # an empty judgment is unparseable: asked again, then abstained
            )
            entries.append(
                CacheEntry(
                    key=outcome.custom_id,
                    provider=spec.provider,
                    model=spec.model,
                    text=completion.text,
                    input_tokens=completion.input_tokens,
                    output_tokens=completion.output_tokens,
                    latency_s=0.0,
                    finish_reason=completion.finish_reason,
                )
            )
        if entries:
            self._store.add_responses([], cache=entries)
