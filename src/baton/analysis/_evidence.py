"""What the report reads off the evidence itself: the judge's calibration per model, the
refusal transition table, and items the candidate failed where the incumbent passed (no I/O)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from baton.analysis._result import (
    Behaviour,
    EvidenceSource,
    FailureExample,
    JudgeCalibration,
    JudgeCategory,
    RefusalTransitions,
)
from baton.calibration import ALL_REGIONS, JudgeDiagnostic, judge_warnings
from baton.decision import Decision
from baton.domain import ExpectedBehaviour, Item, Label, Response, Verdict
from baton.study import DimensionSpec, Study

__all__ = [
    "EXAMPLES_PER_CANDIDATE",
    "EXAMPLE_CHARS",
    "HumanValues",
    "failure_examples",
    "human_by_response",
    "judge_calibrations",
    "refusal_dimension",
    "refusal_transitions",
]

EXAMPLES_PER_CANDIDATE = 3
EXAMPLE_CHARS = 600
"""Prompts and answers in examples are cut to this many characters."""

ResponseKey = tuple[str, str, str]  # item, model, dimension
HumanValues = Mapping[ResponseKey, tuple[float, float]]


def human_by_response(labels: Sequence[Label]) -> dict[ResponseKey, tuple[float, float]]:
    """One human value per (item, model, dimension): the raters' majority (a tie counts as
    the first rater's label), with the inclusion probability it was chosen with."""
    grouped: dict[ResponseKey, list[Label]] = defaultdict(list)
    for label in labels:
        grouped[(label.item_id, label.model, label.dimension)].append(label)
    out = {}
    for key, group in grouped.items():
        mean = float(np.mean([g.value for g in group]))
        value = group[0].value if mean == 0.5 else round(mean)
        out[key] = (float(value), group[0].inclusion_prob)
    return out


def judge_passes(dimension: DimensionSpec, category: int) -> bool:
    """The judge's upper half of its scale counts as a pass (1 of 0/1; 4 and 5 of 1-5)."""
    return dimension.judge.passes(category)


def _configured(study: Study, verdicts: Sequence[Verdict], items: Sequence[Item]) -> list[Verdict]:
    """Verdicts of each dimension's configured judge on the study's items."""
    known = {item.item_id for item in items}
    judge_of = {d.name: d.judge.name for d in study.dimensions}
    return [v for v in verdicts if v.item_id in known and judge_of.get(v.dimension) == v.judge]


# ---------------------------------------------------------------- judge calibration


def _category_counts(
    verdicts: Sequence[Verdict], human: HumanValues
) -> dict[tuple[str, str], dict[int | None, list[int]]]:
    """(dimension, model) -> category -> [judged, labelled, human passes]."""
    counts: dict[tuple[str, str], dict[int | None, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0, 0])
    )
    for v in verdicts:
        cell = counts[(v.dimension, v.model)][v.category]
        cell[0] += 1
        value = human.get((v.item_id, v.model, v.dimension))
        if value is not None:
            cell[1] += 1
            cell[2] += int(value[0] >= 1)
    return counts


def _flagged(row: JudgeDiagnostic, ref: JudgeDiagnostic | None, baseline: str) -> bool:
    if ref is None or row.model == baseline:
        return False
    return bool(judge_warnings([ref, row], baseline))


def judge_calibrations(
    study: Study,
    items: Sequence[Item],
    verdicts: Sequence[Verdict],
    *,
    human: HumanValues,
    diagnostics: Sequence[JudgeDiagnostic],
) -> list[JudgeCalibration]:
    """P(human pass | judge category) per dimension and model, with Se, Sp and J pooled
    over regions, and whether the judge treats the model differently from the incumbent."""
    own = _configured(study, verdicts, items)
    counts = _category_counts(own, human)
    pooled = {(d.dimension, d.model): d for d in diagnostics if d.region == ALL_REGIONS}
    baseline = study.incumbent.name
    out = []
    for dim in study.dimensions:
        abstained = any(None in counts[(dim.name, m.name)] for m in study.models)
        categories: list[int | None] = [*dim.judge.categories, *([None] if abstained else [])]
        for model in study.models:
            cells = counts.get((dim.name, model.name), {})
            row = pooled.get((dim.name, model.name))
            if not cells and row is None:
                continue
            nan = float("nan")
            out.append(
                JudgeCalibration(
                    dimension=dim.name,
                    judge=dim.judge.name,
                    scale=dim.judge.scale,
                    model=model.name,
                    categories=tuple(
                        JudgeCategory(c, *cells.get(c, [0, 0, 0])) for c in categories
                    ),
                    n_labelled=row.n_labelled if row else 0,
                    sensitivity=row.sensitivity if row else nan,
                    specificity=row.specificity if row else nan,
                    youden_j=row.youden_j if row else nan,
                    j_gap=row.j_gap if row else nan,
                    treated_differently=row is not None
                    and _flagged(row, pooled.get((dim.name, baseline)), baseline),
                )
            )
    return out


# ---------------------------------------------------------------- refusals


def refusal_dimension(study: Study) -> DimensionSpec | None:
    """The dimension that judges refusals: the first whose name mentions refusal."""
    return next((d for d in study.dimensions if "refus" in d.name.lower()), None)


@dataclass(frozen=True)
class _Seen:
    behaviour: Behaviour
    from_label: bool


def _opposite(behaviour: Behaviour) -> Behaviour:
    return "refused" if behaviour == "complied" else "complied"


def _behaviour(
    item: Item,
    model: str,
    dimension: DimensionSpec,
    *,
    human: HumanValues,
    judged: Mapping[tuple[str, str], int],
) -> _Seen | None:
    """What a model did on an item: a pass on the refusal dimension is the expected
    behaviour, a fail its opposite; from the human label, else from the judge's verdict."""
    expected: Behaviour = "refused" if item.expected_behaviour == "refuse" else "complied"
    value = human.get((item.item_id, model, dimension.name))
    if value is not None:
        return _Seen(expected if value[0] >= 1 else _opposite(expected), True)
    category = judged.get((item.item_id, model))
    if category is None:
        return None
    passed = judge_passes(dimension, category)
    return _Seen(expected if passed else _opposite(expected), False)


def refusal_transitions(
    study: Study, items: Sequence[Item], verdicts: Sequence[Verdict], *, human: HumanValues
) -> list[RefusalTransitions]:
    """Incumbent × candidate behaviour per candidate, split by whether refusal was the
    appropriate behaviour; empty without a refusal dimension or items that say which."""
    dimension = refusal_dimension(study)
    if dimension is None:
        return []
    judged = {
        (v.item_id, v.model): v.category
        for v in _configured(study, verdicts, items)
        if v.dimension == dimension.name and v.category is not None
    }
    out = []
    for candidate in study.candidates:
        for expected in ("refuse", "answer"):
            out.append(
                _transitions(
                    study,
                    items,
                    dimension,
                    candidate=candidate.name,
                    expected=expected,
                    human=human,
                    judged=judged,
                )
            )
    return [t for t in out if sum(t.counts.values()) > 0]


def _transitions(
    study: Study,
    items: Sequence[Item],
    dimension: DimensionSpec,
    *,
    candidate: str,
    expected: ExpectedBehaviour,
    human: HumanValues,
    judged: Mapping[tuple[str, str], int],
) -> RefusalTransitions:
    counts: dict[tuple[Behaviour, Behaviour], int] = {
        (a, b): 0 for a in ("complied", "refused") for b in ("complied", "refused")
    }
    labels = judge = 0
    for item in (i for i in items if i.expected_behaviour == expected):
        pair = [
            _behaviour(item, m, dimension, human=human, judged=judged)
            for m in (study.incumbent.name, candidate)
        ]
        if pair[0] is None or pair[1] is None:
            continue
        counts[(pair[0].behaviour, pair[1].behaviour)] += 1
        labels += pair[0].from_label + pair[1].from_label
        judge += (not pair[0].from_label) + (not pair[1].from_label)
    return RefusalTransitions(candidate, dimension.name, expected, counts, labels, judge)


# ---------------------------------------------------------------- failure examples


def _cut(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


@dataclass(frozen=True)
class _Evidence:
    """Who passed what: human values and judge passes per (item, model, dimension)."""

    human: HumanValues
    judge: Mapping[ResponseKey, bool]

    def failed_where_incumbent_passed(
        self, item: str, candidate: str, incumbent: str, dimension: str
    ) -> EvidenceSource | None:
        a, b = (
            self.human.get((item, incumbent, dimension)),
            self.human.get((item, candidate, dimension)),
        )
        if a is not None and b is not None:
            return "human labels" if a[0] >= 1 > b[0] else None
        ja, jb = (
            self.judge.get((item, incumbent, dimension)),
            self.judge.get((item, candidate, dimension)),
        )
        if ja is not None and jb is not None and ja and not jb:
            return "judge verdicts"
        return None


_OUTCOME_RANK = {"no_go": 0, "inconclusive": 1, "go": 2}


def _example_pool(
    study: Study,
    items: Sequence[Item],
    evidence: _Evidence,
    *,
    texts: Mapping[tuple[str, str], str],
    candidate: str,
    outcomes: Mapping[tuple[str, str, str], str],
) -> dict[str, list[FailureExample]]:
    """Per dimension, every item the candidate failed and the incumbent passed: first those
    in the cells that keep it from a go (no-go, then inconclusive), then those humans
    labelled, then the regions with the most traffic."""
    incumbent = study.incumbent.name
    shares = study.traffic_shares
    pool: dict[str, list[tuple[tuple[int, bool, float, str], FailureExample]]] = defaultdict(list)
    for item in items:
        answers = texts.get((item.item_id, incumbent)), texts.get((item.item_id, candidate))
        if answers[0] is None or answers[1] is None:
            continue
        for dim in study.dimensions:
            source = evidence.failed_where_incumbent_passed(
                item.item_id, candidate, incumbent, dim.name
            )
            if source is None:
                continue
            example = FailureExample(
                candidate,
                dim.name,
                item.region,
                item.item_id,
                _cut(item.prompt),
                _cut(answers[0]),
                _cut(answers[1]),
                source,
            )
            outcome = outcomes.get((candidate, dim.name, item.region), "go")
            rank = (
                _OUTCOME_RANK.get(outcome, 2),
                source != "human labels",
                -shares.get(item.region, 0.0),
                item.item_id,
            )
            pool[dim.name].append((rank, example))
    return {d: [e for _, e in sorted(found, key=lambda x: x[0])] for d, found in pool.items()}


def failure_examples(
    study: Study,
    items: Sequence[Item],
    responses: Sequence[Response],
    *,
    verdicts: Sequence[Verdict],
    human: HumanValues,
    decisions: Sequence[Decision] = (),
) -> list[FailureExample]:
    """Up to ``EXAMPLES_PER_CANDIDATE`` items per candidate where it failed and the
    incumbent passed, taken in turn from each dimension (the dimension of a cell that keeps
    the candidate from a go first)."""
    outcomes = {(d.candidate, d.dimension, d.region): d.outcome for d in decisions}
    texts = {(r.item_id, r.model): r.text for r in responses if r.text is not None}
    dims = {d.name: d for d in study.dimensions}
    judge = {
        (v.item_id, v.model, v.dimension): judge_passes(dims[v.dimension], v.category)
        for v in _configured(study, verdicts, items)
        if v.category is not None
    }
    evidence = _Evidence(human, judge)
    out: list[FailureExample] = []
    for candidate in study.candidates:
        pool = _example_pool(
            study, items, evidence, texts=texts, candidate=candidate.name, outcomes=outcomes
        )
        queues = sorted(
            (pool.get(d.name, []) for d in study.dimensions),
            key=lambda q: (
                _OUTCOME_RANK[outcomes.get((q[0].candidate, q[0].dimension, q[0].region), "go")]
                if q
                else 3
            ),
        )
        out += _in_turn(queues)
    return out


def _in_turn(queues: list[list[FailureExample]]) -> list[FailureExample]:
    """The first example of each queue in turn, each item once, up to the limit."""
    chosen: list[FailureExample] = []
    seen: set[str] = set()
    queues = [list(q) for q in queues]
    while len(chosen) < EXAMPLES_PER_CANDIDATE and any(queues):
        for queue in queues:
            while queue and queue[0].item_id in seen:
                queue.pop(0)
            if queue and len(chosen) < EXAMPLES_PER_CANDIDATE:
                chosen.append(queue.pop(0))
                seen.add(chosen[-1].item_id)
    return chosen
