"""The study file itself: write the example (``baton init``), validate one (``baton
check``), its JSON Schema (``baton schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from baton.errors import InputError
from baton.study import Study, example_study_text, load_study, study_fingerprint

__all__ = ["StudyCheck", "check", "init"]


@dataclass(frozen=True)
class StudyCheck:
    """A valid study and its fingerprint (what its stored runs are recorded under)."""

    study: Study
    fingerprint: str


def check(study: str | Path) -> StudyCheck:
    """``baton check``: validate a study file; an error names the file and the field."""
    loaded = load_study(study)
    return StudyCheck(loaded, study_fingerprint(loaded))


def init(path: str | Path, *, force: bool = False) -> Path:
    """``baton init``: write the commented example study to ``path`` (not over an existing
    file unless ``force``)."""
    target = Path(path)
    if target.exists() and not force:
        raise InputError(f"{target} exists; pass --force to overwrite it", source=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(example_study_text(), encoding="utf-8")
    return target
