"""The study file itself: write the example (``baton init``), validate one (``baton
check``), its JSON Schema (``baton schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from baton.errors import InputError, StoreUrlError, StudyError
from baton.providers import provider_names
from baton.storage import parse_store_url
from baton.study import ModelSpec, Study, example_study_text, load_study, study_fingerprint

__all__ = ["StudyCheck", "check", "init"]


@dataclass(frozen=True)
class StudyCheck:
    """A valid study and its fingerprint (what its stored runs are recorded under)."""

    study: Study
    fingerprint: str


def check(study: str | Path) -> StudyCheck:
    """``baton check``: validate a study file, and what the file alone cannot tell: that
    every model's provider is installed and the store URL is one Baton opens. An error
    names the file and the fields at fault."""
    loaded = load_study(study)
    problems = _provider_problems(loaded)
    if loaded.store is not None:
        try:
            parse_store_url(loaded.store)
        except StoreUrlError as exc:
            problems.append(("store", str(exc)))
    if problems:
        raise StudyError(str(study), problems)
    return StudyCheck(loaded, study_fingerprint(loaded))


def _models_by_field(study: Study) -> list[tuple[str, ModelSpec]]:
    """Every model the study names, with the field that names it."""
    found = [("incumbent", study.incumbent)]
    found += [(f"candidates[{i}]", spec) for i, spec in enumerate(study.candidates)]
    if study.judge_model is not None:
        found.append(("judge_model", study.judge_model))
    for i, dimension in enumerate(study.dimensions):
        if dimension.judge.model is not None:
            found.append((f"dimensions[{i}].judge.model", dimension.judge.model))
        for j, judge in enumerate(dimension.checks):
            if judge.model is not None:
                found.append((f"dimensions[{i}].checks[{j}].model", judge.model))
    return found


def _provider_problems(study: Study) -> list[tuple[str, str]]:
    installed = provider_names()
    known = ", ".join(installed) or "none"
    return [
        (f"{field}.provider", f"no provider named {spec.provider!r} is installed ({known} are)")
        for field, spec in _models_by_field(study)
        if spec.provider not in installed
    ]


def init(path: str | Path, *, force: bool = False) -> Path:
    """``baton init``: write the commented example study to ``path`` (not over an existing
    file unless ``force``)."""
    target = Path(path)
    if target.exists() and not force:
        raise InputError(f"{target} exists; pass --force to overwrite it", source=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(example_study_text(), encoding="utf-8")
    return target
