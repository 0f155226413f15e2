"""A study with LLM judges on a fake judge model, and cases to judge."""

from __future__ import annotations

import copy
from typing import Any

import pytest

JUDGE_MODEL = {
    "name": "judge",
    "provider": "fake",
    "model": "judge-1",
    "price_per_mtok_input": 1.0,
    "price_per_mtok_output": 2.0,
}


@pytest.fixture
def judged_study(study_data: dict[str, Any]) -> dict[str, Any]:
    """``study_data`` with correctness, refusal and style judged by LLM, plus checks."""
    data = copy.deepcopy(study_data)
    data["judge_model"] = dict(JUDGE_MODEL)
    data["service"]["style_guide"] = "Short, friendly, plain text."
    data["regions"][0]["language"] = "en"
    data["dimensions"] = [
        {"name": "correctness", "rubric": "Is it correct?", "margin": 0.05},
        {
            "name": "refusal",
            "rubric": "Did it refuse exactly when it should?",
            "margin": 0.05,
            "checks": [{"name": "refusal_phrases"}],
        },
        {
            "name": "style",
            "judge": {"name": "style", "scale": "likert5"},
            "rubric": "Does it follow the style guide?",
            "margin": 0.05,
            "checks": [{"name": "length", "options": {"max_words": 50}}],
        },
    ]
    return data
