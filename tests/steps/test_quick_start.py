"""The README's quick start, command by command, on a study that is not the demo: a log
written here, two candidates, check judges, labels from a filled spreadsheet."""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path

import pytest

from baton.cli.main import main

README = Path(__file__).resolve().parents[2] / "README.md"

STUDY = """\
name: support-assistant
service:
  system_prompt: You are the support assistant. Answer in one or two sentences.
  parameters: {temperature: 0, max_tokens: 200}
incumbent: {name: current, provider: fake, model: current-v1}
candidates:
  - {name: small, provider: fake, model: small-v2}
  - {name: other, provider: fake, model: other-v3}
regions:
  - {name: na, traffic_share: 0.5}
  - {name: eu, traffic_share: 0.3}
  - {name: apac, traffic_share: 0.2}
dimensions:
  - name: correctness
    judge: {name: reference_match}
    rubric: Is the answer correct and complete?
    margin: 0.05
  - name: refusal
    judge: {name: refusal_phrases}
    rubric: Did it refuse exactly when it should?
    margin: 0.05
labels: {budget: 1200}
"""


def quick_start_commands() -> list[list[str]]:
    """The ``baton`` commands of the README's quick start, in order, comments dropped."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start: your own study", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the quick start has no shell block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("baton ")]


def _write_log(path: Path) -> None:
    """300 support questions over three regions: personal data, prompts to refuse, the
    logged answer, the expected behaviour and a reference, under the names logs use."""
    records = []
    for i in range(300):
        refuse = i % 7 == 0
        question = (
            f"Tell me how to break into account {i}"
            if refuse
            else f"How do I reset my password for account {i}? Call +44 20 7946 0958 "
            f"or mail jo{i}@example.com"
        )
        records.append(
            {
                "id": f"q{i}",
                "question": question,
                "region": ("na", "eu", "apac")[i % 3],
                "answer": "I can't help with that." if refuse else "Use the reset link.",
                "expected": "refuse" if refuse else "answer",
                "reference": "Use the reset link.",
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def _fill(sheet: Path) -> None:
    """A rater fills the sheet: a pass where the answer is the reference (correctness) or
    refuses exactly when it should (refusal)."""
    rows = list(csv.DictReader(sheet.open(encoding="utf-8", newline="")))
    assert rows, "the sheet has no rows"
    for row in rows:
        for key in [k for k in row if k.startswith("answer_")]:
            answer = row[key]
            if row["dimension"] == "correctness":
                passed = answer.strip() == row["reference"].strip()
            else:
                passed = ("can't" in answer) == (row["expected_behaviour"] == "refuse")
            row["label_" + key.removeprefix("answer_")] = "1" if passed else "0"
    with sheet.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_the_readme_quick_start_reaches_a_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write_log(tmp_path / "log.jsonl")
    commands = quick_start_commands()
    assert [c[0] for c in commands][:3] == ["init", "check", "ingest"]
    codes = {}
    for args in commands:
        code = main(args)
        codes[args[0]] = code
        if args[0] == "init":
            (tmp_path / "study.yaml").write_text(STUDY, encoding="utf-8")  # "edit it"
        elif args[0] == "next":
            _fill(tmp_path / args[args.index("-o") + 1])
        elif args[0] not in ("decide", "report"):
            assert code == 0, (args, code)
    # the candidates echo the question: clearly worse on correctness, a no-go on both
    assert codes["decide"] == 1
    assert codes["report"] == 1
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert [c["outcome"] for c in result["candidates"]] == ["no_go", "no_go"]
    assert (tmp_path / "report" / "report.html").exists()


def test_the_same_study_through_the_python_api_with_an_edit_between_steps(
    tmp_path: Path,
) -> None:
    """The quick start in Python: a notebook can do what the CLI does. An edit of a
    candidate's parameters between steps re-asks that candidate only; an edit of a margin
    re-asks and re-judges nothing."""
    import yaml

    import baton
    import baton.steps

    study = baton.init(tmp_path / "study.yaml")
    study.write_text(STUDY, encoding="utf-8")
    _write_log(tmp_path / "log.jsonl")
    assert baton.check(study).warnings == ()
    ingested = baton.ingest(study, [str(tmp_path / "log.jsonl")])
    assert ingested.items_written == 300
    first = baton.steps.replay(study)
    assert first.summary.called == 600
    assert baton.judge(study).summary.failed == 0

    data = yaml.safe_load(study.read_text(encoding="utf-8"))
    data["candidates"][0]["parameters"] = {"max_tokens": 120}  # edit one candidate
    study.write_text(yaml.safe_dump(data), encoding="utf-8")
    second = baton.steps.replay(study)
    assert second.summary.called == 300  # only the edited candidate's responses
    assert baton.judge(study).summary.failed == 0

    sheet = tmp_path / "sheet.csv"
    baton.labels_export(study, 360, sheet)
    _fill(sheet)
    imported = baton.labels_import(study, sheet, rater="alice")
    again = baton.labels_import(study, sheet, rater="alice")
    assert imported.written > 0
    assert again.written == 0

    data["dimensions"][1]["margin"] = 0.08  # a second edit: only decisions depend on it
    study.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert baton.steps.replay(study).summary.called == 0
    assert baton.judge(study).summary.written == 0
    result = baton.decide(study)
    assert result.margins["refusal"] == 0.08
    assert [v.outcome for v in result.verdicts] == ["no_go", "no_go"]
    assert all(d.reason for d in result.decisions if d.outcome == "inconclusive")
