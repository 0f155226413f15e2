"""The study specification: one migration question, loaded from ``study.yaml``.

``Study`` and its parts are pydantic models validated at the boundary (the YAML file);
``example_study_text`` is the commented example ``baton init`` writes.
"""

from __future__ import annotations

from importlib import resources

from baton.study._decision import (
    MULTIPLE_CANDIDATES_DEFAULT,
    DecisionSpec,
    drop_later_decision_defaults,
)
from baton.study._fingerprint import study_fingerprint
from baton.study._guidance import EXPECTED_BEHAVIOUR_TEXT, RaterGuidance, rater_guidance
from baton.study._ingest import (
    IngestFields,
    IngestRedaction,
    IngestSampling,
    IngestSpark,
    IngestSpec,
    RedactionPattern,
)
from baton.study._spec import (
    BUILTIN_DIMENSIONS,
    DimensionSpec,
    JudgeSpec,
    LabelBudget,
    ModelSpec,
    RegionSpec,
    ServiceSpec,
    Study,
    load_study,
    parse_study,
    study_json_schema,
)

__all__ = [
    "BUILTIN_DIMENSIONS",
    "EXPECTED_BEHAVIOUR_TEXT",
    "MULTIPLE_CANDIDATES_DEFAULT",
    "DecisionSpec",
    "DimensionSpec",
    "IngestFields",
    "IngestRedaction",
    "IngestSampling",
    "IngestSpark",
    "IngestSpec",
    "JudgeSpec",
    "LabelBudget",
    "ModelSpec",
    "RaterGuidance",
    "RedactionPattern",
    "RegionSpec",
    "ServiceSpec",
    "Study",
    "drop_later_decision_defaults",
    "example_study_text",
    "load_study",
    "parse_study",
    "rater_guidance",
    "study_fingerprint",
    "study_json_schema",
]


def example_study_text() -> str:
    """The commented example study shipped with Baton (``baton init`` writes it)."""
    return resources.files("baton.study").joinpath("example.yaml").read_text(encoding="utf-8")
