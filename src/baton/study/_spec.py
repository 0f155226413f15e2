"""The study specification: one migration question, loaded from ``study.yaml``.

A study names the service being migrated (its system prompt and generation parameters),
the incumbent model, the candidate models, the regions with their traffic shares, the
dimensions to judge (each with a judge, a human rubric and a non-inferiority margin), the
human-label budget and the confidence a decision needs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from baton.errors import StudyError
from baton.study._base import Spec
from baton.study._decision import DecisionSpec
from baton.study._ingest import (
    IngestFields,
    IngestRedaction,
    IngestSampling,
    IngestSpark,
    IngestSpec,
    RedactionPattern,
)

__all__ = [
    "BUILTIN_DIMENSIONS",
    "OPERATIONAL_FIELDS",
    "DimensionSpec",
    "IngestFields",
    "IngestRedaction",
    "IngestSampling",
    "IngestSpark",
    "IngestSpec",
    "JudgeSpec",
    "LabelBudget",
    "ModelSpec",
    "RedactionPattern",
    "RegionSpec",
    "ServiceSpec",
    "Study",
    "load_study",
    "parse_study",
    "study_json_schema",
]

_SHARE_TOLERANCE = 1e-6


class ServiceSpec(Spec):
    """The production service: what every model is asked with."""

    system_prompt: str = Field(description="System prompt sent before every item.")
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="Generation parameters (temperature, max_tokens, ...) for every model.",
    )
    style_guide: str | None = Field(
        default=None,
        description="The house style answers should follow (tone, length, format); the style "
        "judge checks answers against it.",
    )


class ModelSpec(Spec):
    """One model under study: the incumbent or a candidate."""

    name: str = Field(min_length=1, description="Short unique name used in reports.")
    provider: str = Field(
        min_length=1,
        description="Registered provider: openai, anthropic, azure, bedrock, gemini, vertex, fake.",
    )
    model: str = Field(min_length=1, description="The provider's model id.")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the service's generation parameters."
    )
    system_prompt: str | None = Field(
        default=None, description="This model's own system prompt, if the migration adapts it."
    )
    price_per_mtok_input: float = Field(
        default=0.0, ge=0, description="USD per million input tokens."
    )
    price_per_mtok_output: float = Field(
        default=0.0, ge=0, description="USD per million output tokens."
    )
    batch_price_per_mtok_input: float | None = Field(
        default=None,
        ge=0,
        description="USD per million input tokens through the provider's batch API "
        "(baton replay --batch); default: half of price_per_mtok_input.",
    )
    batch_price_per_mtok_output: float | None = Field(
        default=None,
        ge=0,
        description="USD per million output tokens through the provider's batch API; "
        "default: half of price_per_mtok_output.",
    )
    base_url: str | None = Field(
        default=None,
        description="The provider's API base URL (e.g. http://127.0.0.1:8080/v1 for a local "
        "llama.cpp or vLLM server, an Azure OpenAI endpoint); default: the provider's own.",
    )
    api_key_env: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding the API key (never the key "
        "itself); default: OPENAI_API_KEY or ANTHROPIC_API_KEY, which are sent to the provider's "
        "own API only: a model with a base_url sends the key of the variable named here, or "
        "none.",
    )
    region: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="bedrock: the AWS region (default: AWS_REGION or the profile's); vertex: "
        "the Google Cloud location (default: GOOGLE_CLOUD_LOCATION, else global).",
    )
    aws_profile: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.+=,@-]+$",
        description="bedrock: a named profile of the AWS config (which may assume a role); "
        "default: the standard credential chain.",
    )
    project: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
        description="vertex: the Google Cloud project id (default: the Application Default "
        "Credentials' project or GOOGLE_CLOUD_PROJECT).",
    )
    api_version: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}(?:-preview)?$|^v1$|^preview$|^latest$",
        description="azure: the Azure OpenAI REST API version (default 2024-10-21).",
    )
    entra_id: bool = Field(
        default=False,
        description="azure: authenticate with a Microsoft Entra ID token (azure-identity's "
        "DefaultAzureCredential) instead of an API key.",
    )
    rpm: float | None = Field(
        default=None, gt=0, description="Requests per minute allowed to this model."
    )
    tpm: float | None = Field(
        default=None, gt=0, description="Tokens (input + output) per minute allowed."
    )
    timeout_s: float = Field(
        default=60.0, gt=0, description="Seconds one call may take before it is retried."
    )

    @field_validator("api_version", mode="before")
    @classmethod
    def _api_version_text(cls, value: Any) -> Any:
        """YAML reads an unquoted ``2024-10-21`` as a date: take it as the text it was."""
        return value.isoformat() if isinstance(value, date) else value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            parts = urlsplit(value)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            usable = False
        if not usable or value != value.strip():
            raise ValueError("must be an http(s) URL with a host, e.g. http://127.0.0.1:8080/v1")
        return value


OPERATIONAL_FIELDS = (
    "api_key_env",
    "rpm",
    "tpm",
    "timeout_s",
    "region",
    "aws_profile",
    "project",
    "api_version",
    "entra_id",
)
"""ModelSpec fields that change how a replay runs, not what it produces."""


class RegionSpec(Spec):
    """A region of production traffic."""

    name: str = Field(min_length=1)
    traffic_share: float = Field(gt=0, le=1, description="Share of production traffic.")
    language: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}$",
        description="ISO 639-1 code of the language answers in this region should be in; the "
        "style judge and the `language` check use it.",
    )


BUILTIN_DIMENSIONS = ("correctness", "refusal", "style")
"""Dimensions whose LLM judge is built in under the same name; any other dimension's judge
defaults to ``rubric``, an LLM judge of the dimension's own rubric text."""


class JudgeSpec(Spec):
    """An automated judge of one dimension.

    ``name`` is a registered judge: the LLM judges ``correctness``, ``refusal``, ``style``
    and ``rubric`` (any rubric text), the deterministic checks ``refusal_phrases``,
    ``length``, ``format`` and ``language``, or one a plugin registers.
    """

    name: str = Field(min_length=1, description="Registered judge name.")
    scale: Literal["binary", "likert5"] = Field(
        default="binary", description="Output scale: pass/fail or a 1-5 Likert score."
    )
    mode: Literal["pointwise", "pairwise"] = Field(
        default="pointwise",
        description="LLM judges: judge each answer alone, or the candidate's against the "
        "incumbent's (asked in both orders, to cancel position bias; binary only).",
    )
    rubric: str | None = Field(
        default=None,
        description="LLM judges: the criterion the judge applies; default: the dimension's "
        "human rubric.",
    )
    template: str | None = Field(
        default=None,
        description="LLM judges: a prompt template file (relative to study.yaml) replacing the "
        "built-in one; its text is part of the judge's version.",
    )
    model: ModelSpec | None = Field(
        default=None, description="LLM judges: the model that judges; default: judge_model."
    )
    structured_output: Literal["auto", "json_schema", "json_object", "tool", "off"] = Field(
        default="auto",
        description="LLM judges: how the provider is asked for JSON output — auto: OpenAI's "
        "response_format json_schema for openai and azure (a response schema for gemini and "
        "vertex), a forced tool call for anthropic, none for others (bedrock takes tool); "
        "json_object: response_format json_object with the schema (llama.cpp's server); "
        "off: none. The output is parsed strictly either way.",
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Judge-specific settings (e.g. a check's bounds)."
    )

    @model_validator(mode="after")
    def _check_mode(self) -> JudgeSpec:
        if self.mode == "pairwise" and self.scale != "binary":
            raise ValueError("a pairwise judge has a binary scale")
        return self

    @property
    def categories(self) -> tuple[int, ...]:
        """Every category this judge can output, in order."""
        return (0, 1) if self.scale == "binary" else (1, 2, 3, 4, 5)

    def passes(self, category: int) -> bool:
        """The upper half of the scale is a pass (1 of 0/1; 4 and 5 of 1-5)."""
        return category > (self.categories[0] + self.categories[-1]) / 2


class DimensionSpec(Spec):
    """One thing users care about, judged automatically and by humans."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier, e.g. correctness.")
    judge: JudgeSpec = Field(
        description="The judge whose verdicts are calibrated; default: the built-in judge of "
        "that name (correctness, refusal, style), else `rubric` on the dimension's rubric."
    )
    rubric: str = Field(min_length=1, description="The question human raters answer.")
    margin: float = Field(
        gt=0, lt=1, description="Non-inferiority margin: a candidate may be this much worse."
    )
    checks: list[JudgeSpec] = Field(
        default_factory=list,
        description="More judges run on every answer as extra, free signals (e.g. the "
        "deterministic refusal_phrases, length, format, language); reported by `baton judges`.",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_judge(cls, data: Any) -> Any:
        if isinstance(data, dict) and "judge" not in data:
            name = data.get("name")
            judge = name if name in BUILTIN_DIMENSIONS else "rubric"
            return {**data, "judge": {"name": judge}}
        return data

    @model_validator(mode="after")
    def _check_judges(self) -> DimensionSpec:
        _require_unique("judges", [j.name for j in self.judges])
        return self

    @property
    def judges(self) -> list[JudgeSpec]:
        """The calibrated judge first, then the checks."""
        return [self.judge, *self.checks]


class LabelBudget(Spec):
    """How many human labels the study may ask for."""

    budget: int = Field(ge=0, description="Total human labels across all strata.")
    minutes_per_label: float = Field(default=1.0, gt=0)


class Study(Spec):
    """One migration question."""

    name: str = Field(min_length=1)
    service: ServiceSpec
    incumbent: ModelSpec
    candidates: list[ModelSpec] = Field(min_length=1)
    regions: list[RegionSpec] = Field(min_length=1)
    dimensions: list[DimensionSpec] = Field(min_length=1)
    labels: LabelBudget
    decision: DecisionSpec = Field(default_factory=DecisionSpec)
    store: str | None = Field(
        default=None, description="Store URL; default: a SQLite file next to study.yaml."
    )
    ingest: IngestSpec | None = Field(
        default=None, description="How `baton ingest` reads, samples and redacts the logs."
    )
    judge_model: ModelSpec | None = Field(
        default=None,
        description="The model LLM judges call unless their own `model` says otherwise.",
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> Study:
        _require_unique("candidates", [m.name for m in self.models])
        _require_unique("regions", [r.name for r in self.regions])
        _require_unique("dimensions", [d.name for d in self.dimensions])
        total = sum(r.traffic_share for r in self.regions)
        if abs(total - 1.0) > _SHARE_TOLERANCE:
            raise ValueError(f"regions: traffic shares sum to {total:.6g}, not 1")
        custom = self.ingest.sampling.per_region if self.ingest else None
        unknown = sorted(set(custom or ()) - {r.name for r in self.regions})
        if unknown:
            raise ValueError(f"ingest.sampling.per_region: {unknown[0]!r} is not a region")
        return self

    @property
    def models(self) -> list[ModelSpec]:
        """The incumbent first, then the candidates."""
        return [self.incumbent, *self.candidates]

    def model(self, name: str) -> ModelSpec:
        for spec in self.models:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def dimension(self, name: str) -> DimensionSpec:
        for spec in self.dimensions:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def traffic_shares(self) -> dict[str, float]:
        return {r.name: r.traffic_share for r in self.regions}

    @property
    def margins(self) -> dict[str, float]:
        """Per dimension, its non-inferiority margin (a fraction: 0.02 is 2 points)."""
        return {d.name: d.margin for d in self.dimensions}

    @property
    def blocking(self) -> dict[str, bool]:
        """Per region, whether its calls can block a go (traffic at or above the threshold)."""
        return {r.name: r.traffic_share >= self.decision.min_traffic_share for r in self.regions}


def _require_unique(field: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{field}: name {name!r} is used twice")
        seen.add(name)


def parse_study(data: object, *, source: str = "<study>") -> Study:
    """Validate a parsed study document; errors name ``source`` and the fields at fault."""
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        problems = [(_field_path(err["loc"]) or "(top level)", err["msg"]) for err in exc.errors()]
        raise StudyError(source, problems) from None


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it: many times faster, and it bounds nesting."""


class _StudyLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """YAML's safe loader, but a key written twice in one mapping is an error (YAML's own
    loader keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def load_study(path: str | Path) -> Study:
    """Read and validate ``study.yaml``: UTF-8 YAML, no key twice in one mapping."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise StudyError(source, [("(file)", exc.strerror or str(exc))]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise StudyError(source, [(f"line {line}", "not UTF-8 text")]) from None
    try:
        data = yaml.load(text, Loader=_StudyLoader)  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StudyError(source, [(where, f"not valid YAML: {problem}")]) from None
    except RecursionError:
        raise StudyError(source, [("(file)", "not valid YAML: nested too deeply")]) from None
    return parse_study(data, source=source)


def study_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``study.yaml``, for editors and validators."""
    return Study.model_json_schema()
