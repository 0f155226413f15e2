"""The tutorial (docs/tutorial.md), every command in order, on the real local model.

The page's shell blocks are run as written: ``baton`` commands through the CLI's entry
point, the few shell verbs it uses (mkdir, cd, cp) by their Python equivalents; setting up
(``make``, ``source``) is what the test session already did, and the local model is the
session's server. A command the test does not know fails the test, so the page cannot gain
a step that nothing runs.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from baton.cli.main import main
from baton.storage import open_store

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
TUTORIAL_URL = "http://127.0.0.1:8080/v1"
SET_UP = ("make demo", "make local-llm", "source .venv/bin/activate")


def tutorial_blocks() -> list[tuple[str, str]]:
    """The page's fenced blocks, in order: (language, body)."""
    text = TUTORIAL.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w+)\n(.*?)```", text, re.S)]


def commands(body: str) -> list[str]:
    lines = [line.split("  #", 1)[0].strip() for line in body.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def fill(sheet: Path) -> None:
    """A rater fills the sheet: correct when the answer gives the reference, a refusal
    right when the answer refuses exactly when it should."""
    rows = list(csv.DictReader(sheet.open(encoding="utf-8", newline="")))
    assert rows, "the sheet has no rows"
    for row in rows:
        for key in [k for k in row if k.startswith("answer_")]:
            answer = row[key].lower()
            if row["dimension"] == "correctness":
                passed = row["reference"].lower().rstrip(".") in answer
            else:
                refused = "can't" in answer or "cannot" in answer or "sorry" in answer
                passed = refused == (row["expected_behaviour"] == "refuse")
            row["label_" + key.removeprefix("answer_")] = "1" if passed else "0"
    with sheet.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def run_shell(line: str, cwd: Path) -> Path:
    """The tutorial's few shell verbs; returns the working folder after the line."""
    for part in line.split("&&"):
        words = shlex.split(part)
        if words[0] == "mkdir":
            (cwd / words[1]).mkdir()
        elif words[0] == "cd":
            cwd = (cwd / words[1]).resolve()
        elif words[0] == "cp":
            shutil.copy(cwd / words[1], cwd / words[2])
        else:
            pytest.fail(f"the tutorial runs a command this test does not know: {part!r}")
    return cwd


def test_the_tutorial_reaches_its_decision(
    tmp_path: Path, local_llm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    cwd = tmp_path
    study_yaml = next(body for lang, body in tutorial_blocks() if lang == "yaml")
    assert TUTORIAL_URL in study_yaml
    codes: dict[str, int] = {}
    for lang, body in tutorial_blocks():
        if lang != "sh":
            continue
        for line in commands(body):
            if line in SET_UP:
                continue
            if not line.startswith("baton "):
                cwd = run_shell(line, cwd)
                continue
            monkeypatch.chdir(cwd)
            args = shlex.split(line)[1:]
            code = main(args)
            codes[" ".join(args)] = code
            if args[0] == "init":
                (cwd / "study.yaml").write_text(
                    study_yaml.replace(TUTORIAL_URL, local_llm), encoding="utf-8"
                )
            if args[0] == "next":
                fill(cwd / args[args.index("-o") + 1])
            if args[0] not in ("decide", "report"):
                assert code == 0, (line, code)
    assert os.path.samefile(cwd, tmp_path / "acme")
    # the page says: NO-GO, exit 1, the small model clearly worse on correctness
    assert codes["decide -o result.json"] == 1
    result = json.loads((cwd / "result.json").read_text(encoding="utf-8"))
    assert [c["outcome"] for c in result["candidates"]] == ["no_go"]
    correctness = [
        d for d in result["decisions"] if d["dimension"] == "correctness" and d["blocking"]
    ]
    assert correctness
    assert all(d["outcome"] == "no_go" for d in correctness)
    assert (cwd / "report" / "report.html").exists()
    # what the page says of redaction holds: no phone number or address was stored
    store = open_store(f"sqlite:///{cwd / 'baton.db'}")
    try:
        prompts = [item.prompt for item in store.items()]
    finally:
        store.close()
    assert len(prompts) == 53  # 60 interactions, identical questions in a region once
    assert not any("@example.com" in p or "415 555" in p for p in prompts)
    assert any("[EMAIL]" in p for p in prompts)
    assert any("[PHONE]" in p for p in prompts)
