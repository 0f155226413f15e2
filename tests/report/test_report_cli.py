"""``baton report``: from a study's store and from an ``estimate`` result, with the exit
codes CI gates on (0 go, 1 no-go, 2 usage error, 3 inconclusive, 4 runtime error)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from scipy import stats

from baton import estimate
from baton.analysis import evidence_table
from baton.cli.main import main
from baton.decision import SIGNAL
from baton.steps import report_estimate
from baton.storage import default_store_url, open_store
from tests.report.simulated import SimulatedReport


def _write_study(simulated: SimulatedReport, folder: Path, *, with_evidence: bool = True) -> Path:
    path = folder / "study.yaml"
    data = simulated.study.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    if with_evidence:
        store = open_store(default_store_url(path))
        try:
            e = simulated.evidence
            store.add_items(e.items)
            store.add_responses(e.responses)
            store.add_verdicts(e.verdicts)
            store.add_labels(e.labels)
        finally:
            store.close()
    return path


def test_report_from_the_store_writes_three_files_and_exits_go(
    simulated: SimulatedReport, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = _write_study(simulated, tmp_path)
    assert main(["report", str(study), "--seed", "5"]) == 0
    out = tmp_path / "report"
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.md", "result.json"]
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert data["outcome"] == "go"
    assert [c["outcome"] for c in data["candidates"]] == ["go", "go", "no_go"]
    assert data["recommendation"]["suggested"] == "sage"
    assert data["provenance"]["data"] == {
        "n_items": 480,
        "n_responses": 1920,
        "n_verdicts": 5760,
        "n_labels": 3996,
        "digest": simulated.result.provenance.data.digest
        if simulated.result.provenance.data
        else "",
    }
    assert "wrote" in capsys.readouterr().out


def test_report_of_an_unjudged_study_is_a_runtime_error(
    simulated: SimulatedReport, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = _write_study(simulated, tmp_path, with_evidence=False)
    assert main(["report", str(study), "--out-dir", str(tmp_path / "out")]) == 4
    err = capsys.readouterr().err
    assert "nothing is judged yet" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_report_of_a_missing_study_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["report", str(tmp_path / "absent.yaml")]) == 2


# ---------------------------------------------------------------- from an estimate


def _estimate_result(p_noninferior: float) -> dict[str, Any]:
    """A one-region, one-dimension estimate result whose comparison has this P(Δ > −m)."""

    def est(model: str, region: str, mean: float) -> dict[str, Any]:
        return {
            "dimension": "correctness",
            "model": model,
            "region": region,
            "mean": mean,
            "lower": mean - 0.05,
            "upper": mean + 0.05,
            "n_items": 200,
            "n_labelled": 50,
            "calibrated": True,
            "judge_mean": mean,
        }

    def comparison(region: str) -> dict[str, Any]:
        # Δ's interval consistent with p_noninferior (normal, sd 0.0182, margin 0.02)
        mean = -0.02 + float(stats.norm.ppf(p_noninferior)) * 0.0182
        return {
            "dimension": "correctness",
            "candidate": "cand",
            "baseline": "inc",
            "region": region,
            "mean": mean,
            "lower": mean - 0.03,
            "upper": mean + 0.03,
            "margin": 0.02,
            "p_noninferior": p_noninferior,
            "calibrated": True,
        }

    return {
        "schema": 1,
        "method": "bayes",
        "level": 0.9,
        "baseline": "inc",
        "margin": 0.02,
        "estimates": [
            est("inc", "eu", 0.8),
            est("inc", "ALL", 0.8),
            est("cand", "eu", 0.79),
            est("cand", "ALL", 0.79),
        ],
        "comparisons": [comparison("eu"), comparison("ALL")],
        "judges": [],
        "diagnostics": {"warnings": ["a warning from the fit"]},
    }


@pytest.mark.parametrize(("p", "code"), [(0.99, 0), (0.01, 1), (0.6, 3)])
def test_report_from_an_estimate_exits_with_the_call(tmp_path: Path, p: float, code: int) -> None:
    path = tmp_path / "estimate.json"
    path.write_text(json.dumps(_estimate_result(p)), encoding="utf-8")
    assert (
        main(["report", "--from-estimate", str(path), "--out-dir", str(tmp_path / "out")]) == code
    )
    data = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    assert data["decisions"][0]["p_noninferior"] == p
    assert data["confidence_curves"]["source"] == "normal approximation"
    assert data["provenance"]["source"].startswith("estimate result estimate.json (sha256 ")
    assert "a warning from the fit" in data["warnings"]


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"schema": 2, "comparisons": []}),
        json.dumps({**_estimate_result(0.5), "baseline": None}),
    ],
)
def test_a_bad_estimate_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = tmp_path / "estimate.json"
    path.write_text(content, encoding="utf-8")
    assert main(["report", "--from-estimate", str(path)]) == 2
    assert str(path) in capsys.readouterr().err


def test_a_confidence_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["report", "--from-estimate", str(tmp_path / "x.json"), "--confidence", "2"]) == 2


def test_an_estimate_of_the_simulated_study_reports_the_same_calls(
    simulated: SimulatedReport, tmp_path: Path
) -> None:
    """The same evidence through `baton estimate` and back: traffic shares are recovered
    from the pooled estimates, and every decided cell gets the same call."""
    study, e = simulated.study, simulated.evidence
    fit = estimate(
        evidence_table(study, e.items, e.verdicts, e.labels),
        [SIGNAL],
        baseline=study.incumbent.name,
        margin={d.name: d.margin for d in study.dimensions},
        seed=5,
        n_draws=2000,
    )
    path = tmp_path / "estimate.json"
    path.write_text(fit.to_json(), encoding="utf-8")
    run = report_estimate(path, out=tmp_path / "report", confidence=study.decision.confidence)
    rebuilt, result = run.study, run.result
    assert rebuilt.traffic_shares == pytest.approx(study.traffic_shares, abs=1e-3)
    assert {v.candidate: v.outcome for v in result.verdicts} == {
        v.candidate: v.outcome for v in simulated.result.verdicts
    }
    assert len(result.curves) == len(simulated.result.curves)
    assert {b.contenders for b in result.best} == {("sage", "swift")}


def test_report_json_prints_result_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "estimate.json"
    path.write_text(json.dumps(_estimate_result(0.99)), encoding="utf-8")
    out = tmp_path / "out"
    capsys.readouterr()
    main(["report", "--from-estimate", str(path), "--out-dir", str(out), "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((out / "result.json").read_text(encoding="utf-8"))
