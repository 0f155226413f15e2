"""Judges by name, through the ``baton.judges`` entry-point group, built for one study.

The built-ins register there too, in Baton's own ``pyproject.toml``; a package adds a judge
the same way::

    [project.entry-points."baton.judges"]
    toxicity = "mypackage.judges:create"

where ``create(spec: JudgeSpec, context: JudgeContext) -> Judge`` builds the judge one
dimension of a study names (``judge: {name: toxicity, options: {...}}``); it raises
``ValueError`` for options it cannot use, which Baton reports against the study's field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol

from jinja2 import TemplateError

from baton.errors import StudyError
from baton.judges._base import Judge
from baton.judges._checks import (
    FormatCheck,
    LanguageCheck,
    LengthCheck,
    ReferenceMatch,
    RefusalPhrases,
)
from baton.judges._client import JudgeClient, JudgeSpend
from baton.judges._llm import BUILTIN_TEMPLATES, PAIRWISE_TEMPLATE, LLMJudge, builtin_template
from baton.judges._output import OutputKind
from baton.providers import Provider, close_providers, create_provider
from baton.replay import RetryPolicy
from baton.storage import CacheEntry, Store
from baton.study import DimensionSpec, JudgeSpec, ModelSpec, Study

__all__ = [
    "ENTRY_POINT_GROUP",
    "JudgeContext",
    "JudgeFactory",
    "JudgeSet",
    "build_judges",
    "create_check",
    "create_llm_judge",
    "judge_names",
]

ENTRY_POINT_GROUP = "baton.judges"


@dataclass
class JudgeContext:
    """What a judge factory may use: the study, the dimension, the folder of study.yaml (for
    files the options name) and ``client(model)``, a judge model's shared client (its cache,
    rate limits, retries and costs)."""

    study: Study
    dimension: DimensionSpec
    base_dir: Path
    clients: JudgeClients

    def client(self, model: ModelSpec) -> JudgeClient:
        return self.clients.client(model)


class JudgeFactory(Protocol):
    """What an entry point in ``baton.judges`` loads."""

    def __call__(self, spec: JudgeSpec, context: JudgeContext) -> Judge: ...


@dataclass
class JudgeClients:
    """One client per judge model (by name), sharing its rate limits across judges."""

    store: Store | None
    providers: Mapping[str, Provider]
    retry: RetryPolicy | None = None
    refresh: bool = False
    made: dict[str, JudgeClient] = field(default_factory=dict)
    owned: dict[str, Provider] = field(default_factory=dict)

    def client(self, model: ModelSpec) -> JudgeClient:
        if model.name not in self.made:
            provider = self.providers.get(model.name)
            if provider is None:
                provider = self.owned[model.name] = create_provider(model)
            self.made[model.name] = JudgeClient(
                model, provider, self.store, retry=self.retry, refresh=self.refresh
            )
        return self.made[model.name]


@dataclass
class JudgeSet:
    """A study's judges, each dimension's calibrated judge first, then its checks."""

    by_dimension: dict[str, list[Judge]]
    clients: JudgeClients

    def drain(self) -> list[CacheEntry]:
        """The judge models' answers received since the last drain, to store."""
        return [entry for client in self.clients.made.values() for entry in client.drain()]

    @property
    def spend(self) -> dict[str, JudgeSpend]:
        """What each judge model's calls did, by model name."""
        return {name: client.spend for name, client in self.clients.made.items()}

    async def aclose(self) -> None:
        await close_providers(self.clients.owned)


def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def judge_names() -> list[str]:
    """The names of every installed judge."""
    return sorted(_entry_points())


def build_judges(
    study: Study,
    *,
    base_dir: Path,
    store: Store | None,
    providers: Mapping[str, Provider] | None = None,
    source: str = "study.yaml",
    retry: RetryPolicy | None = None,
    refresh: bool = False,
) -> JudgeSet:
    """Every judge the study names, built by its registered factory. ``providers`` gives a
    judge model's provider by model name (the rest are created from the study); a judge the
    study cannot build is a ``StudyError`` naming its field. With ``refresh`` the judge
    models' cache is not read."""
    clients = JudgeClients(store, providers or {}, retry, refresh)
    points = _entry_points()
    by_dimension: dict[str, list[Judge]] = {}
    for index, dimension in enumerate(study.dimensions):
        context = JudgeContext(study, dimension, base_dir, clients)
        fields = ["judge", *(f"checks[{i}]" for i in range(len(dimension.checks)))]
        built = []
        for where, spec in zip(fields, dimension.judges, strict=True):
            path = f"dimensions[{index}].{where}"
            built.append(_build(spec, context, points, path=path, source=source))
        by_dimension[dimension.name] = built
    return JudgeSet(by_dimension, clients)


def _build(
    spec: JudgeSpec,
    context: JudgeContext,
    points: Mapping[str, EntryPoint],
    *,
    path: str,
    source: str,
) -> Judge:
    point = points.get(spec.name)
    if point is None:
        known = ", ".join(sorted(points)) or "none (is Baton installed?)"
        raise StudyError(
            source, [(f"{path}.name", f"no judge named {spec.name!r}; known: {known}")]
        )
    factory: JudgeFactory = point.load()
    try:
        return factory(spec, context)
    except (ValueError, OSError, TemplateError) as error:
        raise StudyError(source, [(path, str(error))]) from None


_CHECKS: dict[str, Callable[[str, Mapping[str, Any]], Judge]] = {
    "refusal_phrases": RefusalPhrases,
    "length": LengthCheck,
    "format": FormatCheck,
    "language": LanguageCheck,
    "reference_match": ReferenceMatch,
}


def create_check(spec: JudgeSpec, context: JudgeContext) -> Judge:
    """A deterministic check: ``refusal_phrases``, ``length``, ``format``, ``language`` or
    ``reference_match``."""
    if spec.scale != "binary":
        raise ValueError(f"the {spec.name} check passes or fails: its scale is binary")
    return _CHECKS[spec.name](spec.name, spec.options)


def create_llm_judge(spec: JudgeSpec, context: JudgeContext) -> Judge:
    """A built-in LLM judge: ``correctness``, ``refusal``, ``style`` or ``rubric``."""
    model = spec.model or context.study.judge_model
    if model is None:
        raise ValueError(
            f"the {spec.name} judge calls a model: set judge_model in the study, or judge.model"
        )
    kind: OutputKind = spec.scale
    if spec.name == "refusal":
        if spec.scale != "binary" or spec.mode == "pairwise":
            raise ValueError("the refusal judge is pointwise with a binary scale")
        kind = "refusal"
    if spec.template is not None:
        path = context.base_dir / spec.template
        template, name = path.read_text(encoding="utf-8"), path.name
    else:
        name = PAIRWISE_TEMPLATE if spec.mode == "pairwise" else BUILTIN_TEMPLATES[spec.name]
        template = builtin_template(name)
    return LLMJudge(spec, context.client(model), kind=kind, template=template, template_name=name)
