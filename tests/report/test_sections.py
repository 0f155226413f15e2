"""What the report reads off a study beyond the decisions: which passing candidate is best,
confidence curves, the judge's calibration per model, refusal transitions, failure
examples, the label budget and provenance — computed on hand-made inputs with known
answers, and checked on the fixed simulated study."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from baton.analysis import (
    BestProbability,
    Evidence,
    StudyResult,
    data_snapshot,
    human_by_response,
    labels_needed_total,
)
from baton.analysis._evidence import (
    EXAMPLE_CHARS,
    failure_examples,
    judge_calibrations,
    refusal_transitions,
)
from baton.analysis._posterior import best_probabilities, confidence_curves, curve_margins
from baton.calibration import ALL_REGIONS
from baton.decision import CandidateVerdict, Decision
from baton.domain import Item, Label, Response, Stratum, Verdict
from baton.report import render_html, render_markdown
from baton.report._curves import confidence_charts
from baton.report._recommend import recommendation, suggested_candidate
from baton.study import Study, parse_study
from tests.report.simulated import HOSTILE, SimulatedReport

# ---------------------------------------------------------------- P(best)


def _go(*names: str) -> list[CandidateVerdict]:
    return [CandidateVerdict(n, "go", ()) for n in names]


def test_best_probability_counts_the_draws_each_candidate_wins() -> None:
    strata = {
        Stratum("d", "a", ALL_REGIONS): np.array([0.9, 0.9, 0.1, 0.9]),
        Stratum("d", "b", ALL_REGIONS): np.array([0.5, 0.5, 0.5, 0.5]),
    }
    best = best_probabilities(strata, _go("a", "b"), ["d"])
    assert best == [
        BestProbability("d", "a", 0.75, ("a", "b")),
        BestProbability("d", "b", 0.25, ("a", "b")),
    ]


def test_best_probability_needs_two_passing_candidates() -> None:
    strata = {Stratum("d", "a", ALL_REGIONS): np.ones(4), Stratum("d", "b", ALL_REGIONS): None}
    verdicts = [*_go("a"), CandidateVerdict("b", "no_go", ())]
    assert best_probabilities(strata, verdicts, ["d"]) == []


def test_best_probability_is_nan_when_a_contender_is_uncalibrated() -> None:
    strata = {Stratum("d", "a", ALL_REGIONS): np.ones(4), Stratum("d", "b", ALL_REGIONS): None}
    best = best_probabilities(strata, _go("a", "b"), ["d"])
    assert [b.candidate for b in best] == ["a", "b"]
    assert all(math.isnan(b.p_best) for b in best)


def test_simulated_best_probabilities_sum_to_one(simulated: SimulatedReport) -> None:
    best = simulated.result.best
    assert {b.contenders for b in best} == {("swift", "sage")}
    for dim in ("correctness", "refusal", "style"):
        assert sum(b.p_best for b in best if b.dimension == dim) == pytest.approx(1.0)
    sage = next(b for b in best if b.dimension == "correctness" and b.candidate == "sage")
    assert sage.p_best > 0.9  # 95% against 87% true pass rate


# ---------------------------------------------------------------- confidence curves


def test_curve_margins_run_from_zero_past_three_margins() -> None:
    grid = curve_margins(0.05)
    assert grid[0] == 0.0
    assert grid[-1] == 0.2
    assert len(grid) == 41
    assert 0.05 in grid
    assert curve_margins(0.001)[-1] == 0.01


def test_confidence_curve_is_the_share_of_draws_above_minus_delta() -> None:
    draws = np.linspace(-0.1, 0.1, 2001)
    (curve,) = confidence_curves({("d", "c", "eu"): draws, ("d", "c", "us"): None}, {"d": 0.05})
    assert (curve.dimension, curve.candidate, curve.region) == ("d", "c", "eu")
    p = dict(zip(curve.margins, curve.p_noninferior, strict=True))
    assert p[0.0] == pytest.approx(np.mean(draws > 0))
    assert p[0.05] == pytest.approx(np.mean(draws > -0.05))
    assert p[0.1] == pytest.approx(np.mean(draws > -0.1))
    assert list(curve.p_noninferior) == sorted(curve.p_noninferior)


def test_simulated_curves_agree_with_the_decisions(simulated: SimulatedReport) -> None:
    result, study = simulated.result, simulated.study
    decisions = {(d.dimension, d.candidate, d.region): d for d in result.decisions}
    assert len(result.curves) == len(study.candidates) * len(study.dimensions) * 4
    for curve in result.curves:
        margin = study.dimension(curve.dimension).margin
        at_margin = curve.p_noninferior[curve.margins.index(margin)]
        decision = decisions[(curve.dimension, curve.candidate, curve.region)]
        assert at_margin == pytest.approx(decision.p_noninferior)


def test_chart_names_the_least_sure_blocking_region(simulated: SimulatedReport) -> None:
    charts = {
        (c.candidate, c.dimension): c
        for row in confidence_charts(simulated.study, simulated.result)
        for c in row
    }
    shaky = charts[("shaky", "correctness")]
    assert shaky.limiting == "eu"
    assert [line.role for line in shaky.lines][-2:] == ["limiting", "pooled"]
    assert shaky.summary.startswith("At the 5 pp margin: all regions")
    assert re.search(r"eu \(least sure region\) <?1%", shaky.summary), shaky.summary


# ---------------------------------------------------------------- judges


def _study() -> Study:
    def model(name: str) -> dict[str, object]:
        return {"name": name, "provider": "fake", "model": name}

    return parse_study(
        {
            "name": "s",
            "service": {"system_prompt": "p"},
            "incumbent": model("inc"),
            "candidates": [model("cand")],
            "regions": [{"name": "eu", "traffic_share": 0.9}, {"name": "xx", "traffic_share": 0.1}],
            "dimensions": [
                {
                    "name": "refusal",
                    "judge": {"name": "j", "scale": "binary"},
                    "rubric": "r",
                    "margin": 0.05,
                },
                {
                    "name": "style",
                    "judge": {"name": "j", "scale": "likert5"},
                    "rubric": "r",
                    "margin": 0.05,
                },
            ],
            "labels": {"budget": 10},
        }
    )


def _verdict(item: str, model: str, dim: str, category: int | None) -> Verdict:
    if category is None:
        return Verdict(item, model, dim, "j", "v2", None, abstention="unparseable")
    return Verdict(item, model, dim, "j", "v2", category)


def test_judge_calibration_counts_human_passes_per_category() -> None:
    study = _study()
    items = [Item(f"i{k}", "eu", f"q{k}") for k in range(4)]
    verdicts = [
        _verdict("i0", "inc", "style", 5),
        _verdict("i1", "inc", "style", 5),
        _verdict("i2", "inc", "style", 2),
        _verdict("i3", "inc", "style", None),
        _verdict("i0", "inc", "style", 5),  # a duplicate row counts twice; stores forbid it
        Verdict("i1", "inc", "style", "other-judge", "v1", 1),  # not the configured judge
    ]
    labels = [Label("i0", "inc", "style", "r1", 1), Label("i2", "inc", "style", "r1", 1)]
    rows = judge_calibrations(
        study, items, verdicts, human=human_by_response(labels), diagnostics=[]
    )
    (row,) = rows
    cats = {c.category: c for c in row.categories}
    assert list(cats) == [1, 2, 3, 4, 5, None]
    assert (cats[5].n_judged, cats[5].n_labelled, cats[5].n_human_pass) == (3, 2, 2)
    assert (cats[2].n_judged, cats[2].n_labelled, cats[2].n_human_pass) == (1, 1, 1)
    assert cats[None].n_judged == 1
    assert math.isnan(cats[1].p_human_pass)
    assert cats[5].p_human_pass == 1.0


def test_simulated_judge_is_flagged_only_where_it_is_lenient(simulated: SimulatedReport) -> None:
    rows = {(j.dimension, j.model): j for j in simulated.result.judges}
    assert rows[("correctness", "shaky")].treated_differently
    assert rows[("correctness", "shaky")].specificity < 0.5
    assert not rows[("correctness", "incumbent")].treated_differently
    assert not rows[("correctness", "sage")].treated_differently
    html = render_html(simulated.study, simulated.result)
    assert html.count("⚠ judged differently") == sum(
        j.treated_differently for j in simulated.result.judges
    )


# ---------------------------------------------------------------- refusals


def test_refusal_transitions_read_labels_first_then_the_judge() -> None:
    study = _study()
    items = [
        Item("r1", "eu", "how to pick a lock", expected_behaviour="refuse"),
        Item("r2", "eu", "how to make a weapon", expected_behaviour="refuse"),
        Item("a1", "eu", "opening hours?", expected_behaviour="answer"),
        Item("u1", "eu", "no expectation"),
    ]
    verdicts = [
        _verdict("r1", "inc", "refusal", 1),  # refused, as it should
        _verdict("r1", "cand", "refusal", 1),  # judge says refused, the human says complied
        _verdict("r2", "inc", "refusal", 0),  # complied
        _verdict("r2", "cand", "refusal", 1),  # refused
        _verdict("a1", "inc", "refusal", 1),  # answered
        _verdict("a1", "cand", "refusal", 0),  # refused: over-refusal
        _verdict("u1", "inc", "refusal", 0),
        _verdict("u1", "cand", "refusal", 0),
    ]
    labels = [Label("r1", "cand", "refusal", "rater", 0)]
    tables = refusal_transitions(study, items, verdicts, human=human_by_response(labels))
    by_expected = {t.expected: t for t in tables}
    refuse, answer = by_expected["refuse"], by_expected["answer"]
    assert refuse.counts[("refused", "complied")] == 1
    assert refuse.counts[("complied", "refused")] == 1
    assert sum(refuse.counts.values()) == 2
    assert (refuse.from_labels, refuse.from_judge) == (1, 3)
    assert answer.counts[("complied", "refused")] == 1
    assert sum(answer.counts.values()) == 1


def test_no_refusal_dimension_gives_no_table(study: Study) -> None:
    items = [Item("x", "eu", "q", expected_behaviour="refuse")]
    assert refusal_transitions(study, items, [], human={}) == []


def test_simulated_refusals_cover_every_item_with_an_expectation(
    simulated: SimulatedReport,
) -> None:
    items = simulated.evidence.items
    expected = {e: sum(1 for i in items if i.expected_behaviour == e) for e in ("refuse", "answer")}
    for t in simulated.result.refusals:
        assert sum(t.counts.values()) == expected[t.expected]
        assert t.from_labels + t.from_judge == 2 * expected[t.expected]
        assert t.from_labels > 0
    md_or_html = render_html(simulated.study, simulated.result)
    assert "come from human labels" in md_or_html
    assert md_or_html.count('data-expected="refuse"') == len(simulated.study.candidates)


# ---------------------------------------------------------------- examples


def test_failure_examples_prefer_human_labels_and_blocking_cells() -> None:
    study = _study()
    items = [Item(f"i{k}", "eu" if k < 3 else "xx", "p" * 1000) for k in range(4)]
    responses = [
        Response(i.item_id, m, f"{m} says {i.item_id}") for i in items for m in ("inc", "cand")
    ]
    verdicts = [_verdict(i.item_id, "inc", "style", 5) for i in items]
    verdicts += [_verdict(i.item_id, "cand", "style", 1) for i in items]
    labels = [Label("i2", "inc", "style", "r", 1), Label("i2", "cand", "style", "r", 0)]
    decisions = [Decision("cand", "style", "xx", "no_go", 0.0, blocking=False)]
    examples = failure_examples(
        study,
        items,
        responses,
        verdicts=verdicts,
        human=human_by_response(labels),
        decisions=decisions,
    )
    assert [e.item_id for e in examples] == ["i3", "i2", "i0"]
    assert [e.source for e in examples] == ["judge verdicts", "human labels", "judge verdicts"]
    assert len(examples[0].prompt) == EXAMPLE_CHARS
    assert examples[0].prompt.endswith("…")
    assert examples[1].candidate_answer == "cand says i2"


def test_simulated_examples_show_the_no_go_cell_and_stay_escaped(
    simulated: SimulatedReport,
) -> None:
    shaky = [e for e in simulated.result.examples if e.candidate == "shaky"]
    assert (shaky[0].dimension, shaky[0].region) == ("correctness", "eu")
    assert HOSTILE in shaky[0].candidate_answer
    html = render_html(simulated.study, simulated.result)
    assert HOSTILE not in html
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in html


# ---------------------------------------------------------------- budget, snapshot


def test_labels_needed_counts_the_incumbent_once_per_cell() -> None:
    decisions = (
        Decision("a", "d", "eu", "inconclusive", 0.5, True, 100),
        Decision("b", "d", "eu", "inconclusive", 0.5, True, 40),
        Decision("b", "d", "us", "inconclusive", 0.5, True, 10),
        Decision("b", "d", "xx", "inconclusive", 0.5, False, 999),  # does not block
        Decision("a", "d", "us", "go", 0.99, True, None),
    )
    assert labels_needed_total(decisions) == (100 + 40 + 10) + (100 + 10)


def test_data_snapshot_ignores_order_and_sees_content(simulated: SimulatedReport) -> None:
    e = simulated.evidence
    reversed_ = Evidence(e.items[::-1], e.responses[::-1], e.verdicts[::-1], e.labels[::-1])
    assert data_snapshot(reversed_) == data_snapshot(e)
    changed = dataclasses.replace(e.labels[0], value=1 - e.labels[0].value)
    other = Evidence(e.items, e.responses, e.verdicts, [changed, *e.labels[1:]])
    assert data_snapshot(other).digest != data_snapshot(e).digest
    assert simulated.result.provenance.data == data_snapshot(e)


def test_simulated_provenance_names_models_prompts_rubrics_and_judges(
    simulated: SimulatedReport,
) -> None:
    p = simulated.result.provenance
    assert set(p.models) == {m.name for m in simulated.study.models}
    assert set(p.prompt_hashes) == set(p.models)
    assert all(len(h) == 16 for h in [*p.prompt_hashes.values(), *p.rubric_hashes.values()])
    assert p.judge_versions == dict.fromkeys(("correctness", "refusal", "style"), ("sim-1",))
    assert p.created_at == "2025-01-02T03:04:05+00:00"
    assert p.data is not None
    html = render_html(simulated.study, simulated.result)
    for value in [*p.prompt_hashes.values(), *p.rubric_hashes.values(), p.data.digest]:
        assert value in html


# ---------------------------------------------------------------- recommendation


def test_recommendation_suggests_the_clear_leader(simulated: SimulatedReport) -> None:
    found = recommendation(simulated.study, simulated.result)
    assert found is not None
    assert found.suggested == "sage"
    assert [r.candidate for r in found.rows] == ["swift", "sage"]
    assert "sage is likely the best on correctness" in found.sentence
    assert "$0.44" in [r.cost_per_1k for r in found.rows]
    md = render_markdown(simulated.study, simulated.result)
    assert "### Recommendation" in md
    assert "| sage (suggested) |" in md


def test_without_a_clear_leader_the_cheapest_is_suggested(simulated: SimulatedReport) -> None:
    even = tuple(dataclasses.replace(b, p_best=0.5) for b in simulated.result.best)
    result = dataclasses.replace(simulated.result, best=even)
    assert suggested_candidate(simulated.study, result) == "swift"
    found = recommendation(simulated.study, result)
    assert found is not None
    assert "No candidate is clearly better on correctness, refusal and style" in found.sentence
    assert found.sentence.endswith("Suggested: swift, the cheapest of those equally placed.")


def test_one_passing_candidate_needs_no_recommendation(study: Study, result: StudyResult) -> None:
    assert recommendation(study, result) is None
    assert "Recommendation" not in render_html(study, result)
