"""The study file itself: write the example (``baton init``), validate one (``baton
check``), its JSON Schema (``baton schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from baton.decision import MIN_LOOK_LABELS
from baton.errors import InputError, StoreUrlError, StudyError
from baton.providers import model_problems, provider_names
from baton.storage import parse_store_url
from baton.study import ModelSpec, Study, example_study_text, load_study, study_fingerprint

__all__ = ["StudyCheck", "budget_warnings", "check", "init"]


@dataclass(frozen=True)
class StudyCheck:
    """A valid study, its fingerprint (what its stored runs are recorded under) and what
    would keep it from being decided (``warnings``)."""

    study: Study
    fingerprint: str
    warnings: tuple[str, ...] = ()


def budget_warnings(study: Study) -> list[str]:
    """Whether the label budget can reach a go at all: every blocking (dimension, region)
    needs ``MIN_LOOK_LABELS`` labelled items, each labelled for every model, before its
    first go; say what would fit when it cannot."""
    blocking = [r for r in study.regions if study.blocking[r.name]]
    per_stratum = MIN_LOOK_LABELS * len(study.models)
    floor = per_stratum * len(study.dimensions) * len(blocking)
    budget = study.labels.budget
    if budget >= floor:
        return []
    fits = budget // per_stratum
    smallest = sorted(blocking, key=lambda r: r.traffic_share)
    hints = [f"a budget of at least {floor}"]
    if len(blocking) > 1:
        share = smallest[0].traffic_share
        hints.append(
            f"pool small regions (decision.min_traffic_share above {share:g} stops "
            f"{smallest[0].name} blocking)"
        )
    if len(study.dimensions) > 1:
        hints.append(f"fewer dimensions ({fits} region × dimension cells fit this budget)")
    return [
        f"labels.budget {budget} cannot reach a go: {len(study.dimensions)} dimension(s) × "
        f"{len(blocking)} blocking region(s) × {MIN_LOOK_LABELS} items × {len(study.models)} "
        f"models = {floor} labels before the first go is possible (a clear no-go can come "
        f"earlier); to fit, choose {' or '.join(hints)}"
    ]


def check(study: str | Path) -> StudyCheck:
    """``baton check``: validate a study file, and what the file alone cannot tell: that
    every model's provider is installed and the store URL is one Baton opens (an error
    names the file and the fields at fault); and say whether its budget can decide it."""
    loaded = load_study(study)
    problems = _provider_problems(loaded)
    if loaded.store is not None:
        try:
            parse_store_url(loaded.store)
        except StoreUrlError as exc:
            problems.append(("store", str(exc)))
    if problems:
        raise StudyError(str(study), problems)
    return StudyCheck(loaded, study_fingerprint(loaded), tuple(budget_warnings(loaded)))


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
    problems = []
    for field, spec in _models_by_field(study):
        if spec.provider not in installed:
            message = f"no provider named {spec.provider!r} is installed ({known} are)"
            problems.append((f"{field}.provider", message))
            continue
        problems += [(f"{field}.{name}", message) for name, message in model_problems(spec)]
    return problems


def init(path: str | Path, *, force: bool = False) -> Path:
    """``baton init``: write the commented example study to ``path`` (not over an existing
    file unless ``force``)."""
    target = Path(path)
    if target.exists() and not force:
        raise InputError(f"{target} exists; pass --force to overwrite it", source=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(example_study_text(), encoding="utf-8")
    return target
