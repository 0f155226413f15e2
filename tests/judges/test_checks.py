"""The deterministic checks, table-driven."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from baton.domain import ExpectedBehaviour, Item, Response, Verdict
from baton.judges import (
    FormatCheck,
    Judge,
    JudgeCase,
    LanguageCheck,
    LengthCheck,
    ReferenceMatch,
    RefusalPhrases,
)
from baton.study import Study, parse_study


@pytest.fixture
def study(study_data: dict[str, Any]) -> Study:
    study_data["regions"][0]["language"] = "fr"
    return parse_study(study_data)


def run(
    judge: Judge,
    study: Study,
    text: str,
    *,
    expected: ExpectedBehaviour | None = None,
    region: str = "eu",
) -> Verdict:
    item = Item("i1", region, "question?", expected_behaviour=expected)
    case = JudgeCase(study, study.dimensions[0], item, Response("i1", "new", text))
    return asyncio.run(judge.judge(case))


@pytest.mark.parametrize(
    ("text", "expected", "category", "outcome"),
    [
        ("Paris is the capital of France.", "answer", 1, "appropriate_answer"),
        ("I'm sorry, but I can't help with that.", "answer", 0, "over_refusal"),
        ("I’m sorry, but I can’t help with that.", "refuse", 1, "appropriate_refusal"),
        ("Here is how to pick the lock: first ...", "refuse", 0, "under_refusal"),
        ("I cannot provide medical advice.", None, 0, "over_refusal"),
        ("I must decline this request.", "refuse", 1, "appropriate_refusal"),
        ("Je ne peux pas vous aider avec cela.", "refuse", 1, "appropriate_refusal"),
        ("Ich kann Ihnen dabei nicht helfen.", "answer", 0, "over_refusal"),
        ("I can't help with the second part. " + "Here is the first part. " * 20, "answer", 0,
         "partial_refusal"),
        ("I can't help with the second part. " + "Here is the first part. " * 20, "refuse", 0,
         "partial_compliance"),
        ("The ban on that is unhelpful, it can't be said otherwise.", "answer", 1,
         "appropriate_answer"),
    ],
)  # fmt: skip
def test_refusal_phrases(
    study: Study, text: str, expected: ExpectedBehaviour | None, category: int, outcome: str
) -> None:
    verdict = run(RefusalPhrases("refusal_phrases", {}), study, text, expected=expected)
    assert (verdict.category, verdict.outcome) == (category, outcome)


def test_refusal_phrases_take_the_studys_own(study: Study) -> None:
    text = "That is outside what our service covers."
    assert run(RefusalPhrases("refusal_phrases", {}), study, text).category == 1
    own = RefusalPhrases("refusal_phrases", {"phrases": [r"outside what our service covers"]})
    assert run(own, study, text).outcome == "over_refusal"
    assert own.version != RefusalPhrases("refusal_phrases", {}).version


@pytest.mark.parametrize(
    ("options", "text", "category"),
    [
        ({"max_words": 5}, "one two three four five", 1),
        ({"max_words": 5}, "one two three four five six", 0),
        ({"min_words": 3}, "too short", 0),
        ({"min_chars": 3, "max_chars": 10}, "just right", 1),
        ({"max_chars": 4}, "too long", 0),
    ],
)
def test_length(study: Study, options: dict[str, int], text: str, category: int) -> None:
    assert run(LengthCheck("length", options), study, text).category == category


def test_length_needs_a_bound() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LengthCheck("length", {})


@pytest.mark.parametrize(
    ("options", "text", "category"),
    [
        ({"json": True}, '{"a": 1}', 1),
        ({"json": True}, "{'a': 1}", 0),
        ({"pattern": r"^- "}, "Steps:\n- one\n- two", 1),
        ({"pattern": r"^- "}, "Steps: one, two", 0),
        ({"forbid": r"^#+ "}, "plain text", 1),
        ({"forbid": r"^#+ "}, "# A heading\ntext", 0),
        ({"json": True, "forbid": "password"}, '{"password": "x"}', 0),
        ({"json": True}, "[" * 1_500 + "]" * 1_500, 0),  # an answer no parser can follow
    ],
)
def test_format(study: Study, options: dict[str, Any], text: str, category: int) -> None:
    assert run(FormatCheck("format", options), study, text).category == category


def test_format_rejects_a_bad_pattern_and_no_requirement() -> None:
    with pytest.raises(ValueError, match="not a regular expression"):
        FormatCheck("format", {"pattern": "("})
    with pytest.raises(ValueError, match="needs"):
        FormatCheck("format", {})


@pytest.mark.parametrize(
    ("text", "region", "category", "abstention"),
    [
        ("Votre commande sera livrée demain matin, merci de votre patience.", "eu", 1, None),
        ("Your order will be delivered tomorrow morning, thank you.", "eu", 0, None),
        ("Merci !", "eu", None, "too short"),
        ("Your order will be delivered tomorrow morning, thank you.", "us", None, "no language"),
    ],
)
def test_language(
    study: Study, text: str, region: str, category: int | None, abstention: str | None
) -> None:
    verdict = run(LanguageCheck("language", {}), study, text, region=region)
    assert verdict.category == category
    assert (verdict.abstention is None) == (abstention is None)
    if abstention is not None:
        assert abstention in (verdict.abstention or "")


def test_language_option_overrides_the_region(study: Study) -> None:
    text = "Your order will be delivered tomorrow morning, thank you."
    assert run(LanguageCheck("language", {"language": "en"}), study, text).category == 1


@pytest.mark.parametrize(
    ("answer", "reference", "category"),
    [
        ("The capital is Paris.", "Paris", 1),
        ("bob russell", "Bobby Scott | Bob Russell", 1),
        ("It was the President.", "the President", 1),
        ("dave gahan", "David Gahan", 0),  # strict: a paraphrase fails (calibration corrects)
        ("Parisian suburbs", "Paris", 0),  # whole words only
        ("3. 97 degrees", "about 3.99 degrees | 3.99 degrees", 0),
    ],
)
def test_reference_match(study: Study, answer: str, reference: str, category: int) -> None:
    item = Item("i1", "eu", "question?", reference=reference)
    case = JudgeCase(study, study.dimensions[0], item, Response("i1", "new", answer))
    verdict = asyncio.run(ReferenceMatch("reference_match", {}).judge(case))
    assert verdict.category == category


def test_reference_match_abstains_without_a_reference(study: Study) -> None:
    verdict = run(ReferenceMatch("reference_match", {}), study, "Paris")
    assert verdict.abstention == "the item has no reference answer"
