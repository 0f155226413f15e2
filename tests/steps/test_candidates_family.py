"""False go across several candidates: under ``decision.multiple_candidates: control`` (the
default) each of K candidates is decided at confidence 1 − (1 − confidence) ÷ K, and the
result and reports say which rule was applied and the family-wise figure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from baton.decision import family_rule
from baton.report import render_json, render_markdown
from baton.steps import decide, study_store
from tests.steps._looked_study import label_items, looked_study, set_study

PER_REGION = 40


def test_the_rule_in_numbers() -> None:
    control = family_rule(0.95, 2, "control")
    assert control.candidate_confidence == pytest.approx(0.975)
    assert control.candidate_alpha == pytest.approx(0.025)
    assert control.family_alpha == pytest.approx(0.05)
    loose = family_rule(0.95, 3, "per_candidate")
    assert loose.candidate_confidence == pytest.approx(0.95)
    assert loose.family_alpha == pytest.approx(0.15)  # the bound K · α
    assert family_rule(0.95, 1, "control").candidate_confidence == pytest.approx(0.95)
    assert family_rule(0.6, 10, "per_candidate").family_alpha == 1.0


def _decided(path: Path) -> tuple[set[float], dict[str, object], str]:
    result = decide(path)
    with study_store(path) as opened:
        data = json.loads(render_json(opened.study, result))
        markdown = render_markdown(opened.study, result)
    thresholds = {round(d.threshold, 6) for d in result.decisions if d.region != "ALL"}
    return thresholds, data["multiple_candidates"], markdown


def test_two_candidates_are_decided_at_half_the_error_each(tmp_path: Path) -> None:
    """One look with the whole budget in: the plain threshold, at 0.975 for each of two
    candidates under control (the default) and at 0.95 under per_candidate."""
    path, world = looked_study(tmp_path / "a", candidates=("cand-a", "cand-b"), budget=1)
    labels = label_items(path, world, PER_REGION)
    set_study(path, world, budget=labels)
    per = tmp_path / "b" / "study.yaml"
    shutil.copytree(path.parent, per.parent)
    set_study(per, world, budget=labels, multiple_candidates="per_candidate")

    thresholds, stated, markdown = _decided(path)
    assert thresholds == {0.975}
    assert stated == {
        "rule": "control",
        "candidates": 2,
        "candidate_confidence": 0.975,
        "candidate_alpha": 0.025,
        "family_alpha": 0.05,
        "family_alpha_is": "controlled",
    }
    assert "go needs P(non-inferior) ≥ 97.5%" in markdown
    assert "any candidate is a false go is at most 5%" in markdown

    thresholds, stated, markdown = _decided(per)
    assert thresholds == {0.95}
    assert stated["rule"] == "per_candidate"
    assert stated["family_alpha"] == 0.1
    assert stated["family_alpha_is"] == "bound"
    assert "bounded only by 2 × 5% = 10%" in markdown
