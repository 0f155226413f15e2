"""The documentation says what the code does: every install line installs this project
(under its distribution name, with extras it has) and nothing else, and the result.json
reference names every key a result has."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
NAME = PYPROJECT["project"]["name"]
EXTRAS = set(PYPROJECT["project"]["optional-dependencies"])
INSTALL = re.compile(r"pip install ([^`\n#\"]+)")


def documents() -> list[Path]:
    pages = sorted((ROOT / "docs").rglob("*.md"))
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *pages]


def sources() -> list[Path]:
    return sorted((ROOT / "src").rglob("*.py"))


def install_targets(text: str) -> list[str]:
    """What each ``pip install`` line of a text asks for: the words after the options, up
    to the end of the command (a word that ends a sentence or a parenthesis ends it)."""
    targets = []
    for match in INSTALL.finditer(text):
        for raw in match.group(1).split():
            word = raw.strip("'\"`")
            if word.startswith("-"):
                continue
            ends = word[-1:] in ").,;:" and not word.endswith("]")
            word = word.rstrip(").,;:").strip("'\"`")
            if word:
                targets.append(word)
            if ends:
                break
    return targets


def check_target(target: str) -> str | None:
    """Why an install target is wrong, or None."""
    found = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[([a-z0-9_,-]+|\{extra\})\])?", target)
    if found is None:
        return f"{target!r} is not a requirement this test understands"
    name, extras = found.group(1), found.group(2)
    if extras == "{extra}":  # an install hint formatted with the extra it names
        extras = None
    if name not in (".", NAME):
        return f"{target!r} installs {name!r}, not this project ({NAME!r})"
    unknown = set((extras or "").split(",")) - EXTRAS - {""}
    if unknown:
        return f"{target!r} asks for extras {sorted(unknown)} that pyproject.toml lacks"
    return None


def test_every_install_line_installs_this_project() -> None:
    problems = []
    checked = 0
    for path in [*documents(), *sources()]:
        for target in install_targets(path.read_text(encoding="utf-8")):
            checked += 1
            problem = check_target(target)
            if problem:
                problems.append(f"{path.relative_to(ROOT)}: {problem}")
    assert checked >= 10, "the install lines were not found"
    assert problems == []


def test_the_install_check_refuses_another_package() -> None:
    assert check_target("baton[openai]") is not None  # the unrelated project on the index
    assert check_target(f"{NAME}[no-such-extra]") is not None
    assert check_target(f"{NAME}[openai,postgres]") is None
    assert check_target(".[test]") is None
    targets = install_targets(
        "run `pip install -e '.[openai]' boto3`, then (pip install 'x'). Then"
    )
    assert targets == [".[openai]", "boto3", "x"]


def test_the_result_reference_names_every_key() -> None:
    reference = (ROOT / "docs" / "reference" / "result-json.md").read_text(encoding="utf-8")
    result = json.loads((ROOT / "tests" / "steps" / "golden" / "demo-result.json").read_text())
    missing = [key for key in result if not re.search(rf"`{key}(`|\[)", reference)]
    assert missing == []


def test_troubleshooting_covers_every_error_class() -> None:
    import baton.errors

    page = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    classes = [
        name
        for name, value in vars(baton.errors).items()
        if isinstance(value, type)
        and issubclass(value, baton.errors.BatonError)
        and name not in ("StudyMismatchError",)  # kept for old code, never raised
    ]
    assert len(classes) >= 10
    assert [name for name in classes if f"`{name}`" not in page] == []
