"""Reports: golden Markdown and JSON of the fixed simulated study, escaping and
self-containment of HTML, atomic writes."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from importlib import resources
from pathlib import Path

import pytest

import baton.report._write as write_module
from baton.analysis import StudyResult
from baton.decision import CandidateVerdict
from baton.report import (
    ReportPaths,
    render_html,
    render_json,
    render_markdown,
    result_to_dict,
    write_report,
)
from baton.report._markdown import md_text
from baton.report._view import verdict_sentence
from baton.study import Study, study_fingerprint
from tests.report.simulated import SimulatedReport

GOLDEN = Path(__file__).parent / "golden"
EVIL_RAW = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("BATON_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing golden file {path}; run with BATON_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file; if intended, regenerate it"


# ---------------------------------------------------------------- JSON


def test_json_matches_golden(simulated: SimulatedReport) -> None:
    _check_golden("result.json", render_json(simulated.study, simulated.result))


def test_json_is_strict_and_versioned(study: Study, result: StudyResult) -> None:
    data = result_to_dict(study, result)
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert data["schema"] == 1
    assert list(data) == [
        "schema",
        "study",
        "outcome",
        "candidates",
        "recommendation",
        "decisions",
        "estimates",
        "comparisons",
        "confidence_curves",
        "judges",
        "refusals",
        "usage",
        "labels",
        "examples",
        "level",
        "confidence",
        "multiple_candidates",
        "warnings",
        "provenance",
    ]
    assert data["study"] == {"name": study.name, "fingerprint": study_fingerprint(study)}
    assert data["outcome"] == "inconclusive"
    # candidates 120 + 80 + 40; the incumbent once per open dimension and region: 120 + 80
    assert data["labels"] == {"used": 240, "budget": 600, "remaining": 360, "needed": 440}
    assert data["recommendation"] is None


def test_json_turns_nan_into_null(study: Study, result: StudyResult) -> None:
    data = result_to_dict(study, result)
    uncalibrated = [e for e in data["estimates"] if not e["calibrated"]]
    assert len(uncalibrated) == 1
    (stratum,) = uncalibrated
    assert stratum["mean"] is None
    assert stratum["lower"] is None
    assert stratum["upper"] is None
    assert stratum["judge_mean"] == 0.8712
    assert list(stratum) == [
        "dimension",
        "model",
        "region",
        "mean",
        "lower",
        "upper",
        "n_items",
        "n_labelled",
        "calibrated",
        "judge_mean",
    ]


def test_json_rounds_floats_to_four_decimals(study: Study, result: StudyResult) -> None:
    text = render_json(study, result)
    decimals = [len(m) for m in re.findall(r"\d\.(\d+)", text)]
    assert decimals
    assert max(decimals) <= 4


# ---------------------------------------------------------------- Markdown


def test_markdown_matches_golden(simulated: SimulatedReport) -> None:
    _check_golden("report.md", render_markdown(simulated.study, simulated.result))


def test_markdown_starts_with_one_verdict_per_candidate(study: Study, result: StudyResult) -> None:
    lines = render_markdown(study, result).splitlines()
    verdicts = [line for line in lines if line.startswith("- **")]
    assert len(verdicts) == 2
    assert verdicts[0].startswith("- **cand-a: INCONCLUSIVE** — not decided yet on safety in us")
    assert "NO-GO" in verdicts[1]


def test_markdown_escapes_user_text(study: Study, result: StudyResult) -> None:
    text = render_markdown(study, result)
    assert EVIL_RAW not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| b" in text
    assert "has no human labels for one model" in text  # newline in a warning folded


def test_markdown_tables_keep_their_columns(study: Study, result: StudyResult) -> None:
    tables: list[list[str]] = [[]]
    for line in render_markdown(study, result).splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    tables = [t for t in tables if t]
    assert len(tables) == len(study.candidates) + 1  # one grid per candidate, then usage
    for table in tables:
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
        assert len(widths) == 1, table


def test_md_text_keeps_one_line_and_no_live_markup() -> None:
    assert md_text("a|b\nc*d_e`f") == "a\\|b c\\*d\\_e\\`f"
    assert md_text("x & <y>") == "x &amp; &lt;y&gt;"


# ---------------------------------------------------------------- HTML


def test_html_escapes_untrusted_text(study: Study, result: StudyResult) -> None:
    html = render_html(study, result)
    assert EVIL_RAW not in html
    assert EVIL_ESCAPED in html
    assert html.lower().count("<script") == 0


def test_html_is_self_contained(study: Study, result: StudyResult) -> None:
    html = render_html(study, result)
    assert "http://" not in html
    assert "https://" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert "url(" not in html
    assert "<svg" in html
    assert "<style>" in html


def test_html_has_one_cell_per_region_and_dimension(study: Study, result: StudyResult) -> None:
    html = render_html(study, result)
    expected = len(study.candidates) * len(study.regions) * len(study.dimensions)
    assert html.count('data-cell="region"') == expected
    assert html.count('data-cell="pooled"') == len(study.candidates) * len(study.dimensions)
    for region in study.regions:
        for dim in study.dimensions:
            attrs = f'data-region="{region.name}" data-dimension="{dim.name}"'
            assert html.count(attrs) == len(study.candidates)


def test_html_shows_uncalibrated_stratum_as_judge_only(study: Study, result: StudyResult) -> None:
    html = render_html(study, result)
    assert "uncalibrated — judge only: 87.1%" in html
    assert not re.search(r"\bnan\b", html, flags=re.IGNORECASE)


def test_html_shows_verdicts_forest_plots_and_budget(study: Study, result: StudyResult) -> None:
    html = render_html(study, result)
    assert html.count('<svg class="forest"') == len(study.dimensions)
    assert 'class="badge inconclusive">INCONCLUSIVE' in html
    assert 'class="badge no_go">NO-GO' in html
    assert "240 of 600 human labels used (40%), 360 remaining" in html
    assert "+120 labels to decide" in html
    assert "0123456789abcdef" in html


def test_html_escapes_names_inside_attributes(study: Study, result: StudyResult) -> None:
    hostile = 'x" onmouseover="alert(1)'
    verdict = dataclasses.replace(result.verdicts[0], candidate=hostile)
    html = render_html(study, dataclasses.replace(result, verdicts=(verdict,)))
    assert 'onmouseover="alert' not in html
    assert "x&#34; onmouseover=&#34;alert(1)" in html


def test_empty_result_renders_everywhere(study: Study, result: StudyResult) -> None:
    empty = dataclasses.replace(
        result,
        estimates=(),
        comparisons=(),
        decisions=(),
        verdicts=(),
        usage=(),
        warnings=(),
        labels_used=0,
        labels_budget=0,
    )
    assert "INCONCLUSIVE" in render_html(study, empty)
    assert "0 of 0 human labels used, 0 remaining." in render_markdown(study, empty)
    assert json.loads(render_json(study, empty))["estimates"] == []


def test_go_sentence_names_the_threshold_and_flagged_regions(
    study: Study, result: StudyResult
) -> None:
    verdict = CandidateVerdict("cand-a", "go", ("non-inferior",), flagged_regions=("us",))
    assert verdict_sentence(study, result, verdict) == (
        "non-inferior on every dimension in every region above 5% of traffic; "
        "clearly worse in us, below the traffic threshold."
    )


def test_template_ships_inside_the_package() -> None:
    template = resources.files("baton.report").joinpath("templates", "report.html.j2")
    assert template.is_file()
    assert "<!doctype html>" in template.read_text(encoding="utf-8")


# ---------------------------------------------------------------- writing


def test_write_report_writes_three_files(tmp_path: Path, study: Study, result: StudyResult) -> None:
    paths = write_report(study, result, tmp_path / "out")
    assert paths == ReportPaths(
        html=tmp_path / "out" / "report.html",
        markdown=tmp_path / "out" / "report.md",
        json=tmp_path / "out" / "result.json",
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report.html",
        "report.md",
        "result.json",
    ]
    assert paths.markdown.read_text(encoding="utf-8") == render_markdown(study, result)
    assert json.loads(paths.json.read_text(encoding="utf-8"))["schema"] == 1


@pytest.mark.parametrize("renderer", ["render_html", "render_markdown", "render_json"])
def test_write_report_leaves_nothing_when_rendering_fails(
    tmp_path: Path,
    study: Study,
    result: StudyResult,
    monkeypatch: pytest.MonkeyPatch,
    renderer: str,
) -> None:
    (tmp_path / "report.md").write_text("old report", encoding="utf-8")

    def broken(study: Study, result: StudyResult) -> str:
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(write_module, renderer, broken)
    with pytest.raises(RuntimeError, match="renderer broke"):
        write_report(study, result, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == "old report"


def test_write_report_cleans_up_when_moving_fails(
    tmp_path: Path, study: Study, result: StudyResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "result.json").write_text("{}", encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_report(study, result, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
    assert (tmp_path / "result.json").read_text(encoding="utf-8") == "{}"
