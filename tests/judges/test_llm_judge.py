"""LLM judges on a fake judge model: parsing and the one retry, abstentions, structured
output, references, refusal outcomes, pairwise order swap, versions and costs."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.domain import Item, Response, Verdict
from baton.errors import StudyError
from baton.judges import Judge, JudgeCase, JudgeSet, build_judges
from baton.providers import Completion, CompletionRequest, FakeProvider
from baton.study import Study, parse_study

PASS = '{"rationale": "matches", "verdict": "pass"}'


def judges_for(
    data: dict[str, Any], provider: FakeProvider, tmp_path: Path | None = None
) -> JudgeSet:
    study = parse_study(data)
    base = tmp_path if tmp_path is not None else Path(".")
    return build_judges(study, base_dir=base, store=None, providers={"judge": provider})


def case(
    study: Study,
    dimension: str,
    *,
    model: str = "new",
    text: str = "Paris.",
    reference: str | None = None,
    incumbent: str | None = "Paris, France.",
    expected: str | None = None,
) -> JudgeCase:
    item = Item(
        "i1", "eu", "Capital of France?", reference=reference,
        expected_behaviour=expected,  # type: ignore[arg-type]
    )  # fmt: skip
    old = None if incumbent is None or model == "old" else Response("i1", "old", incumbent)
    return JudgeCase(study, study.dimension(dimension), item, Response("i1", model, text), old)


def run(judge: Judge, judge_case: JudgeCase) -> Verdict:
    return asyncio.run(judge.judge(judge_case))


def the_judge(judges: JudgeSet, dimension: str, index: int = 0) -> Judge:
    return judges.by_dimension[dimension][index]


def test_a_valid_answer_is_a_verdict_with_its_version_and_cost(
    judged_study: dict[str, Any],
) -> None:
    provider = FakeProvider([Completion(PASS, input_tokens=1000, output_tokens=100)])
    judges = judges_for(judged_study, provider)
    judge = the_judge(judges, "correctness")
    verdict = run(judge, case(parse_study(judged_study), "correctness"))
    assert (verdict.category, verdict.abstention, verdict.rationale) == (1, None, "matches")
    assert verdict.judge == "correctness"
    assert verdict.judge_version == judge.version
    assert verdict.judge_version.startswith("correctness-")
    assert (verdict.input_tokens, verdict.output_tokens) == (1000, 100)
    assert verdict.cost_usd == pytest.approx((1000 * 1.0 + 100 * 2.0) / 1e6)
    request = provider.requests[0]
    assert request.parameters["temperature"] == 0
    assert [m.role for m in request.messages] == ["system", "user"]
    assert '"verdict": "pass" | "fail" | "cannot_judge"' in request.messages[0].content


def test_an_unparseable_answer_is_asked_again_once_with_the_reason(
    judged_study: dict[str, Any],
) -> None:
    provider = FakeProvider(["The answer looks right to me.", PASS])
    judge = the_judge(judges_for(judged_study, provider), "correctness")
    verdict = run(judge, case(parse_study(judged_study), "correctness"))
    assert verdict.category == 1
    assert len(provider.requests) == 2
    retry = provider.requests[1].messages
    assert [m.role for m in retry] == ["system", "user", "assistant", "user"]
    assert retry[2].content == "The answer looks right to me."
    assert "not a JSON object" in retry[3].content


@pytest.mark.parametrize(
    "replies",
    [
        ["not json", '{"rationale": "x", "verdict": "maybe"}'],
        ['{"rationale": "x", "verdict": "pa', '{"rationale": "x", "verdict": "pa'],
        ["", "I cannot evaluate this."],
    ],
)
def test_unparseable_twice_is_an_abstention_never_a_score(
    judged_study: dict[str, Any], replies: list[str]
) -> None:
    provider = FakeProvider(replies)
    judge = the_judge(judges_for(judged_study, provider), "correctness")
    verdict = run(judge, case(parse_study(judged_study), "correctness"))
    assert verdict.category is None
    assert (verdict.abstention or "").startswith("unparseable twice")
    assert len(provider.requests) == 2


def test_a_truncated_answer_is_retried_then_abstained(judged_study: dict[str, Any]) -> None:
    cut = Completion(PASS, 10, 400, finish_reason="length")
    provider = FakeProvider([cut, cut])
    judge = the_judge(judges_for(judged_study, provider), "correctness")
    verdict = run(judge, case(parse_study(judged_study), "correctness"))
    assert verdict.category is None
    assert "cut off" in (verdict.abstention or "")
    assert verdict.output_tokens == 800  # both attempts are paid for


def test_a_judge_that_declines_abstains(judged_study: dict[str, Any]) -> None:
    provider = FakeProvider(['{"rationale": "no answer given", "verdict": "cannot_judge"}'])
    judge = the_judge(judges_for(judged_study, provider), "correctness")
    verdict = run(judge, case(parse_study(judged_study), "correctness", text=""))
    assert verdict.category is None
    assert verdict.abstention == "the judge declined: no answer given"


def test_correctness_uses_the_reference_else_the_incumbents_answer(
    judged_study: dict[str, Any],
) -> None:
    provider = FakeProvider([PASS] * 3)
    study = parse_study(judged_study)
    judge = the_judge(judges_for(judged_study, provider), "correctness")
    run(judge, case(study, "correctness", reference="Paris"))
    run(judge, case(study, "correctness"))
    run(judge, case(study, "correctness", model="old"))
    with_reference, with_incumbent, alone = (r.messages[1].content for r in provider.requests)
    assert "<reference>\nParis\n</reference>" in with_reference
    assert "known to be correct" in with_reference
    assert "<reference>\nParis, France.\n</reference>" in with_incumbent
    assert "model now in\nproduction" in with_incumbent
    assert "<reference>" not in alone
    assert "No reference answer is known: judge" in alone


@pytest.mark.parametrize(
    ("behaviour", "expected", "category", "outcome"),
    [
        ("complied", "answer", 1, "appropriate_answer"),
        ("refused", "answer", 0, "over_refusal"),
        ("partial", "answer", 0, "partial_refusal"),
        ("refused", "refuse", 1, "appropriate_refusal"),
        ("complied", "refuse", 0, "under_refusal"),
        ("complied", None, 1, "appropriate_answer"),
    ],
)
def test_refusal_separates_over_and_under_refusal(
    judged_study: dict[str, Any], behaviour: str, expected: str | None, category: int, outcome: str
) -> None:
    reply = json.dumps({"rationale": "r", "behaviour": behaviour})
    judge = the_judge(judges_for(judged_study, FakeProvider([reply])), "refusal")
    verdict = run(judge, case(parse_study(judged_study), "refusal", expected=expected))
    assert (verdict.category, verdict.outcome) == (category, outcome)


def test_likert_style_judge_sees_the_style_guide_and_language(
    judged_study: dict[str, Any],
) -> None:
    provider = FakeProvider(['{"rationale": "friendly", "score": "4"}'])
    judge = the_judge(judges_for(judged_study, provider), "style")
    verdict = run(judge, case(parse_study(judged_study), "style"))
    assert verdict.category == 4
    prompt = provider.requests[0].messages[1].content
    assert "Short, friendly, plain text." in prompt
    assert 'ISO 639-1 code "en"' in prompt


@pytest.mark.parametrize(
    ("provider_name", "how", "key"),
    [
        ("openai", "auto", "response_format"),
        ("anthropic", "auto", "tools"),
        ("fake", "auto", None),
        ("fake", "json_object", "response_format"),
        ("openai", "off", None),
    ],
)
def test_structured_output_follows_the_provider(
    judged_study: dict[str, Any], provider_name: str, how: str, key: str | None
) -> None:
    data = copy.deepcopy(judged_study)
    data["judge_model"]["provider"] = provider_name
    data["dimensions"][0]["judge"] = {"name": "correctness", "structured_output": how}
    provider = FakeProvider([PASS])
    judge = the_judge(judges_for(data, provider), "correctness")
    run(judge, case(parse_study(data), "correctness"))
    parameters = provider.requests[0].parameters
    structured = {"response_format", "tools", "tool_choice"} & set(parameters)
    if key is None:
        assert not structured
    else:
        assert key in structured
        schema = json.dumps(parameters[key])
        assert "cannot_judge" in schema


def _pairwise_study(judged_study: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(judged_study)
    data["dimensions"][0]["judge"] = {"name": "correctness", "mode": "pairwise"}
    return data


def _prefers(choice: str | None = None, *, text: str | None = None) -> FakeProvider:
    """A judge model always picking position ``choice``, or the answer containing ``text``."""

    def reply(request: CompletionRequest) -> Completion:
        prompt = request.messages[1].content
        picked = choice
        if text is not None:
            a = prompt.split("<answer_a>")[1].split("</answer_a>")[0]
            picked = "A" if text in a else "B"
        return Completion(json.dumps({"rationale": "r", "better": picked}), 100, 10)

    return FakeProvider(reply_function=reply)


@pytest.mark.parametrize(
    ("provider", "category", "outcome"),
    [
        (lambda: _prefers("A"), 1, "as_good"),  # position bias cancels out: a tie
        (lambda: _prefers("B"), 1, "as_good"),
        (lambda: _prefers(text="Lyon"), 0, "worse"),  # prefers the incumbent in both orders
        (lambda: _prefers(text="Paris."), 1, "better"),  # prefers the candidate in both orders
    ],
)
def test_pairwise_asks_both_orders_to_cancel_position_bias(
    judged_study: dict[str, Any], provider: Any, category: int, outcome: str
) -> None:
    data = _pairwise_study(judged_study)
    fake = provider()
    judge = the_judge(judges_for(data, fake), "correctness")
    verdict = run(judge, case(parse_study(data), "correctness", incumbent="Lyon"))
    assert (verdict.category, verdict.outcome) == (category, outcome)
    first, second = (r.messages[1].content for r in fake.requests)
    assert "<answer_a>\nLyon\n</answer_a>" in first
    assert "<answer_b>\nParis.\n</answer_b>" in first
    assert "<answer_a>\nParis.\n</answer_a>" in second
    assert "<answer_b>\nLyon\n</answer_b>" in second
    assert verdict.input_tokens == 200


def test_pairwise_abstains_on_the_incumbent_and_without_its_answer(
    judged_study: dict[str, Any],
) -> None:
    data = _pairwise_study(judged_study)
    fake = _prefers("A")
    judge = the_judge(judges_for(data, fake), "correctness")
    study = parse_study(data)
    on_incumbent = run(judge, case(study, "correctness", model="old"))
    no_baseline = run(judge, case(study, "correctness", incumbent=None))
    assert "incumbent is the baseline" in (on_incumbent.abstention or "")
    assert "no incumbent answer" in (no_baseline.abstention or "")
    assert fake.requests == []


def test_versions_change_with_what_shapes_the_verdicts(
    judged_study: dict[str, Any], tmp_path: Path
) -> None:
    def version(data: dict[str, Any], dimension: str = "correctness") -> str:
        return the_judge(judges_for(data, FakeProvider(), tmp_path), dimension).version

    base = version(judged_study)
    assert version(copy.deepcopy(judged_study)) == base
    edited = copy.deepcopy(judged_study)
    edited["dimensions"][0]["judge"] = {"name": "correctness", "rubric": "Is every fact right?"}
    other_model = copy.deepcopy(judged_study)
    other_model["judge_model"]["model"] = "judge-2"
    template = tmp_path / "mine.j2"
    template.write_text("Judge {{ answer }} against {{ rubric }}.", encoding="utf-8")
    own_template = copy.deepcopy(judged_study)
    own_template["dimensions"][0]["judge"] = {"name": "correctness", "template": "mine.j2"}
    versions = {base, version(edited), version(other_model), version(own_template)}
    assert len(versions) == 4
    assert version(edited, "refusal") == version(judged_study, "refusal")


def test_a_judge_the_study_cannot_build_names_its_field(
    judged_study: dict[str, Any], tmp_path: Path
) -> None:
    cases = [
        (["dimensions", 0, "judge"], {"name": "nope"}, r"dimensions\[0\]\.judge\.name"),
        (["dimensions", 0, "judge"], {"name": "correctness", "template": "missing.j2"},
         r"dimensions\[0\]\.judge"),
        (["dimensions", 2, "checks", 0], {"name": "length"}, r"dimensions\[2\]\.checks\[0\]"),
        (["dimensions", 1, "judge"], {"name": "refusal", "scale": "likert5"},
         "pointwise with a binary scale"),
    ]  # fmt: skip
    for path, spec, message in cases:
        data = copy.deepcopy(judged_study)
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = spec
        with pytest.raises(StudyError, match=message):
            judges_for(data, FakeProvider(), tmp_path)
    no_model = copy.deepcopy(judged_study)
    del no_model["judge_model"]
    with pytest.raises(StudyError, match="set judge_model"):
        judges_for(no_model, FakeProvider(), tmp_path)


def test_a_user_defined_dimension_needs_only_a_rubric(judged_study: dict[str, Any]) -> None:
    data = copy.deepcopy(judged_study)
    data["dimensions"].append({"name": "empathy", "rubric": "Is it kind?", "margin": 0.1})
    provider = FakeProvider([PASS])
    judge = the_judge(judges_for(data, provider), "empathy")
    assert judge.name == "rubric"
    verdict = run(judge, case(parse_study(data), "empathy"))
    assert verdict.category == 1
    assert "Is it kind?" in provider.requests[0].messages[1].content


def test_the_example_study_builds_every_judge(tmp_path: Path) -> None:
    from baton.study import example_study_text

    study = parse_study(yaml.safe_load(example_study_text()))
    judges = build_judges(study, base_dir=tmp_path, store=None, providers={"judge": FakeProvider()})
    names = {d: [j.name for j in js] for d, js in judges.by_dimension.items()}
    assert names == {
        "correctness": ["correctness"],
        "refusal": ["refusal", "refusal_phrases"],
        "style": ["style", "length", "format", "language"],
        "empathy": ["rubric"],
    }


def test_identical_requests_in_flight_share_one_call(judged_study: dict[str, Any]) -> None:
    async def slow_reply() -> list[Verdict]:
        gate = asyncio.Event()

        class Slow(FakeProvider):
            async def complete(self, request: CompletionRequest) -> Completion:
                self.requests.append(request)
                await gate.wait()
                return Completion('{"rationale": "ok", "score": "5"}', 100, 10)

        provider = Slow()
        judge = the_judge(judges_for(judged_study, provider), "style")
        study = parse_study(judged_study)
        same = [case(study, "style", model=m, text="Paris.") for m in ("old", "new")]
        tasks = [asyncio.create_task(judge.judge(c)) for c in same]
        await asyncio.sleep(0.05)
        gate.set()
        verdicts = await asyncio.gather(*tasks)
        assert len(provider.requests) == 1
        return verdicts

    old, new = asyncio.run(slow_reply())
    assert (old.category, new.category) == (5, 5)
    assert old.cost_usd == new.cost_usd > 0
