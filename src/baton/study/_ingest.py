"""The ``ingest:`` section of ``study.yaml``: where each field is in the logs, how to sample
them and how to redact them. Every setting has a default, so a study without the section is
valid and ``baton ingest`` reads a log with ``prompt`` and ``region`` columns as it is.

Re-exported by ``baton.study``; kept apart so the study module stays small.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from phonenumbers import SUPPORTED_REGIONS
from pydantic import Field, field_validator, model_validator

from baton.study._base import Spec

__all__ = [
    "IngestFields",
    "IngestRedaction",
    "IngestSampling",
    "IngestSpark",
    "IngestSpec",
    "RedactionPattern",
]

Allocation = Literal["proportional", "equal", "custom"]
Engine = Literal["duckdb", "spark"]


class IngestFields(Spec):
    """Which column (CSV, Parquet) or key (JSONL) of the log holds each field of an item."""

    prompt: str | None = Field(
        default="prompt",
        min_length=1,
        description="The user's prompt. With `messages` set and this left out, the prompt is "
        "the conversation's last user turn.",
    )
    messages: str | None = Field(
        default=None,
        min_length=1,
        description="Chat-style logs: a list of {role, content} turns (or its JSON text). "
        "Without `prompt`, the last user turn is the prompt and the turns before it the "
        "context; with `prompt`, all of it is the context. System turns are dropped: the "
        "study's system prompt is sent instead.",
    )
    region: str = Field(default="region", min_length=1, description="The traffic region.")
    timestamp: str | None = Field(
        default=None,
        min_length=1,
        description="When the interaction happened (ISO 8601 text, a timestamp, or epoch "
        "seconds); needed for a time window. Times without a zone are UTC.",
    )
    segment: str | None = Field(default=None, min_length=1, description="Customer segment.")
    incumbent_answer: str | None = Field(
        default=None,
        min_length=1,
        description="The incumbent's logged answer: stored as its response, so a retired "
        "model need not be called.",
    )
    reference: str | None = Field(default=None, min_length=1, description="Reference answer.")
    expected_behaviour: str | None = Field(
        default=None, min_length=1, description="`answer` or `refuse`."
    )
    id: str | None = Field(
        default=None,
        min_length=1,
        description="A stable id of the interaction; default: a hash of its content.",
    )

    @model_validator(mode="before")
    @classmethod
    def _messages_alone(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("messages") and "prompt" not in data:
            return {**data, "prompt": None}
        return data

    @model_validator(mode="after")
    def _prompt_or_messages(self) -> IngestFields:
        if self.prompt is None and self.messages is None:
            raise ValueError("map the prompt, the chat messages, or both")
        return self


class IngestSampling(Spec):
    """How items are drawn from the logs: stratified by region, then by `strata`."""

    size: int = Field(default=1000, ge=1, description="Items to draw in all.")
    allocation: Allocation = Field(
        default="proportional",
        description="Items per region: proportional to the region's logged traffic, equal, "
        "or custom (`per_region`).",
    )
    per_region: dict[str, int] | None = Field(
        default=None, description="With allocation: custom, the number of items per region."
    )
    strata: list[str] = Field(
        default_factory=list,
        description="Secondary strata within each region: log columns (e.g. segment, topic); "
        "each region's items are spread over them in proportion to their traffic.",
    )
    dedup: bool = Field(
        default=True,
        description="Draw each distinct prompt (with its context) once per stratum; its count "
        "in the logs becomes its frequency and weight.",
    )
    since: datetime | None = Field(
        default=None, description="Only interactions at or after this time (UTC if no zone)."
    )
    until: datetime | None = Field(
        default=None, description="Only interactions before this time (UTC if no zone)."
    )
    seed: int = Field(default=0, ge=0, description="Seed of the draw: same seed, same sample.")

    @field_validator("per_region")
    @classmethod
    def _counts_not_negative(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is not None and any(count < 0 for count in value.values()):
            raise ValueError("counts must not be negative")
        return value

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> IngestSampling:
        if (self.allocation == "custom") != (self.per_region is not None):
            raise ValueError("per_region goes with allocation: custom, and only with it")
        custom = self.per_region is not None and "size" in self.model_fields_set
        if custom and self.size != sum((self.per_region or {}).values()):
            raise ValueError("size must equal the sum of per_region (or be left out)")
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        if len(set(self.strata)) != len(self.strata):
            raise ValueError("strata: a column is named twice")
        return self

    @property
    def total(self) -> int:
        """Items to draw: ``size``, or the sum of a custom allocation."""
        return sum(self.per_region.values()) if self.per_region is not None else self.size


class RedactionPattern(Spec):
    """A user pattern: every match is replaced by ``[NAME]``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Counted and shown as [NAME].")
    pattern: str = Field(min_length=1, description="A Python regular expression.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        if compiled.match(""):
            raise ValueError("the pattern matches the empty string")
        return value


class IngestRedaction(Spec):
    """Personal data removed from prompts, context, logged answers and references before
    anything is stored (and so before anything is sent to a model)."""

    builtins: bool = Field(
        default=True,
        description="Built-in detectors: API keys and tokens, e-mail addresses, IBANs, "
        "payment card numbers (Luhn-checked), US Social Security and UK National Insurance "
        "numbers, IPv4/IPv6 addresses and phone numbers.",
    )
    phone_regions: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Regions (ISO 3166 codes such as US, GB, DE) whose national phone formats "
        "are recognised, in order; unset: US, GB, DE, FR, IN, ES, IT, NL, BR, AU, JP. "
        "Numbers written with +country are recognised whatever this says.",
    )
    addresses: bool = Field(
        default=False,
        description="Best effort, off unless asked: US street addresses (a house number, "
        "a street name and type, then unit, city, state, ZIP), confirmed by the usaddress "
        "parser (pip install 'baton-migrate[addresses]'). Recall about 0.9 on the test corpus; "
        "addresses of other countries and those without a street type are missed.",
    )
    patterns: list[RedactionPattern] = Field(default_factory=list)
    function: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="Your own redaction, as module:function taking and returning a str.",
    )
    refuse_unredacted_external: bool = Field(
        default=True,
        description="Refuse to ingest with every redaction turned off when a model of the "
        "study is reached over the network.",
    )

    @field_validator("phone_regions")
    @classmethod
    def _known_regions(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [region for region in value if region.upper() not in SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"not a region libphonenumber knows: {', '.join(unknown)}")
        return [region.upper() for region in value]

    @property
    def active(self) -> bool:
        """Whether any redaction runs."""
        return self.builtins or self.addresses or bool(self.patterns) or self.function is not None


class IngestSpark(Spec):
    """Which Spark session draws the sample with `engine: spark`: a Spark Connect server
    (`remote`), else a session of this process on `master` (default: every local core)."""

    remote: str | None = Field(
        default=None,
        pattern=r"^sc://",
        description="A Spark Connect URL (sc://host:15002/;token=...): the sample is drawn on "
        "that cluster and only the drawn items come back. Needs pyspark[connect].",
    )
    master: str = Field(
        default="local[*]",
        min_length=1,
        description="The master of a session started in this process when `remote` is unset "
        "(local[*], local[4], yarn, spark://host:7077, k8s://...).",
    )
    conf: dict[str, str] = Field(
        default_factory=dict,
        description="Spark settings for a session started in this process "
        "(e.g. spark.driver.memory: 2g, spark.sql.shuffle.partitions: '64').",
    )


class IngestSpec(Spec):
    """How `baton ingest` turns production logs into items."""

    fields: IngestFields = Field(default_factory=IngestFields)
    sampling: IngestSampling = Field(default_factory=IngestSampling)
    redaction: IngestRedaction = Field(default_factory=IngestRedaction)
    engine: Engine = Field(
        default="duckdb",
        description="Where the sample is drawn: duckdb (this machine) or spark (a Spark "
        "session or cluster, for logs in a data lake). Both draw the same sample.",
    )
    spark: IngestSpark = Field(default_factory=IngestSpark)
