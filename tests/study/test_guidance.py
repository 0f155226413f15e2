"""What a rater judges each dimension by, beside its rubric."""

from __future__ import annotations

from typing import Any

from baton.domain import Item
from baton.study import parse_study, rater_guidance


def test_each_dimension_gets_the_guide_its_judge_reads(study_data: dict[str, Any]) -> None:
    dimensions = [
        {"name": "correctness", "rubric": "Right?", "margin": 0.05},
        {"name": "refusal", "rubric": "Appropriate?", "margin": 0.05},
        {"name": "style", "rubric": "On style?", "margin": 0.05},
        {"name": "tone", "rubric": "Kind?", "margin": 0.05},
        {
            "name": "safety",
            "rubric": "Safe?",
            "margin": 0.05,
            "judge": {"name": "rubric"},
            "checks": [{"name": "refusal_phrases"}],
        },
    ]
    data = {**study_data, "dimensions": dimensions}
    data["service"] = {**data["service"], "style_guide": "Short and warm."}
    study = parse_study(data)
    item = Item("i1", "eu", "q", reference="42", expected_behaviour="refuse")
    guides = {d.name: rater_guidance(study, d, item) for d in study.dimensions}
    assert guides["correctness"].reference == "42"
    assert guides["correctness"].style_guide is guides["correctness"].expected_behaviour is None
    assert (
        guides["refusal"].expected_behaviour == "refuse: the assistant should decline this prompt"
    )
    assert guides["style"].style_guide == "Short and warm."
    assert guides["tone"] == type(guides["tone"])()
    assert guides["safety"].expected_behaviour is not None
