"""The CI examples in examples/ci (shown in the CI guide): their ``baton`` commands run on
a study's store and give the job what it uses, the exit code and report/report.md."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
import yaml

from baton.cli.main import main
from tests.steps.test_quick_start import STUDY, _fill, _write_log

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ci"


def baton_lines(script: list[str]) -> list[list[str]]:
    """The ``baton`` commands of a job's script lines ("; code=$?" and the like dropped)."""
    commands = []
    for line in script:
        for part in line.split(";"):
            words = shlex.split(part.strip()) if part.strip() else []
            if words and words[0] == "baton":
                commands.append(words[1:])
    return commands


def github_script() -> list[str]:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["decide"]["steps"]
    return [line for step in steps for line in str(step.get("run", "")).splitlines()]


def gitlab_script() -> list[str]:
    jobs = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))
    return [str(line) for line in jobs["migration-gate"]["script"]]


@pytest.fixture
def labelled_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A study with responses, verdicts and labels in its store; returns the store URL."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "study.yaml").write_text(STUDY, encoding="utf-8")
    _write_log(tmp_path / "log.jsonl")
    for args in (["ingest", "log.jsonl"], ["replay"], ["judge"]):
        assert main(args) == 0
    assert main(["next", "--n", "360", "-o", "sheet.csv"]) == 0
    _fill(tmp_path / "sheet.csv")
    assert main(["labels", "import", "sheet.csv", "--rater", "ci"]) == 0
    return f"sqlite:///{tmp_path / 'baton.db'}"


@pytest.mark.parametrize("script", [github_script, gitlab_script], ids=["github", "gitlab"])
def test_the_ci_job_decides_and_writes_the_comment(
    script: object, labelled_study: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATON_STORE", labelled_study)
    commands = baton_lines(script())  # type: ignore[operator]
    assert [c[0] for c in commands] == ["decide", "report"]
    codes = [main([os.path.expandvars(word) for word in args]) for args in commands]
    assert codes == [1, 1]  # the quick start's candidates are clearly worse: NO-GO
    assert (tmp_path / "result.json").exists()
    comment = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "NO-GO" in comment
