from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from baton import __version__
from baton.cli._app import console
from baton.cli._render import first_reasons
from baton.cli.main import main
from baton.study import load_study


def test_init_writes_a_valid_commented_study(tmp_path: Path) -> None:
    path = tmp_path / "new" / "study.yaml"
    assert main(["init", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# study.yaml")
    study = load_study(path)
    assert len(study.candidates) == 2


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "study.yaml"
    path.write_text("mine", encoding="utf-8")
    assert main(["init", str(path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "mine"
    assert main(["init", str(path), "--force"]) == 0


def test_schema_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "dimensions" in schema["properties"]


def test_check_reports_the_bad_field_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "study.yaml"
    assert main(["init", str(path)]) == 0
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["regions"][0]["traffic_share"] = -1
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "regions[0].traffic_share" in err
    assert "Traceback" not in err


def test_unknown_command_is_a_usage_error() -> None:
    assert main(["frobnicate"]) == 2


def test_demo_exits_with_the_documented_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "_width", 80)  # as COLUMNS=80 does
    assert main(["demo", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "+12.0 pp [+9.1, +14.9]" in out  # Δ in percentage points
    assert "cand-a" in out
    assert "NO-GO" in out
    assert (tmp_path / "report.html").exists()


def test_version_and_commands_in_workflow_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"baton {__version__}"
    main(["--help"])
    out = capsys.readouterr().out
    order = ["init", "check", "ingest", "replay", "judge", "judges", "status", "next", "labels"]
    order += ["review", "decide", "plan", "report", "estimate", "demo", "schema"]
    listed = [m.group(1) for m in re.finditer(r"^│ (\w+) ", out, flags=re.MULTILINE)]
    assert listed == order


def test_check_json_is_the_study_in_brief(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0  # study.yaml by default, for init and check alike
    capsys.readouterr()
    assert main(["check", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["path"] == "study.yaml"
    assert len(summary["candidates"]) == 2


def test_check_states_the_decision_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)
    study = tmp_path / "study.yaml"
    assert main(["init", str(study)]) == 0
    capsys.readouterr()
    assert main(["check", str(study)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "decisions" in x)
    assert "obf design, each candidate at 0.975" in line  # two candidates, controlled
    assert "each region on its own" in line
    data = yaml.safe_load(study.read_text(encoding="utf-8"))
    data["decision"].update(multiple_candidates="per_candidate", pool_regions=True)
    study.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["check", str(study)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "decisions" in x)
    assert "at 0.95, Δ pooled across regions" in line


def test_a_verdict_names_how_many_reasons_it_leaves_out() -> None:
    """Four open regions: three are named, the fourth counted, none left out unsaid."""
    reasons = tuple(f"undecided on helpful in {r}" for r in ("apac", "eu", "latam", "na"))
    assert first_reasons(reasons).endswith("in latam; and 1 more")
    assert first_reasons(reasons[:3]).endswith("in latam")
