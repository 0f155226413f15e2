"""The decision settings of a study, and which of them a study written before they existed
leaves out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from baton.study._base import Spec

__all__ = ["MULTIPLE_CANDIDATES_DEFAULT", "DecisionSpec", "drop_later_decision_defaults"]

MULTIPLE_CANDIDATES_DEFAULT: Literal["control", "per_candidate"] = "control"
"""``decision.multiple_candidates`` when a study does not say: false go controlled across the
candidates, since a study's outcome is go as soon as any candidate is."""


class DecisionSpec(Spec):
    """What a decision needs."""

    confidence: float = Field(
        default=0.95, gt=0.5, lt=1, description="P(non-inferior) needed for go."
    )
    min_traffic_share: float = Field(
        default=0.05,
        ge=0,
        lt=1,
        description="Regions with a smaller share are reported but do not block a go.",
    )
    design: Literal["pocock", "obf"] = Field(
        default="obf",
        description=(
            "How the label loop spends its error over its looks: `obf` (O'Brien–Fleming-type "
            "go boundary, nearly the plain threshold at the end of the budget; a clear loser "
            "stops early) or `pocock` (one boundary mirrored for no-go, the earlier default)."
        ),
    )
    pool_regions: bool = Field(
        default=False,
        description=(
            "Pool each region's difference with the other regions' (a robust hierarchy): far "
            "more power when regions agree, but a region that alone is worse by about a "
            "margin is called go far more often than 1 − confidence. Off: each region's "
            "error is controlled on its own."
        ),
    )
    multiple_candidates: Literal["control", "per_candidate"] = Field(
        default=MULTIPLE_CANDIDATES_DEFAULT,
        description="With several candidates: `control` decides each at confidence "
        "1 − (1 − confidence) ÷ K (Bonferroni), so the chance that any candidate is a false "
        "go is at most 1 − confidence; `per_candidate` decides each at the confidence, "
        "bounding that chance only by K × (1 − confidence).",
    )


_LATER_SETTINGS = ("design", "pool_regions", "multiple_candidates")
"""Decision settings added after studies were first fingerprinted and versioned."""


def drop_later_decision_defaults(decision: dict[str, Any]) -> None:
    """Remove from a dumped decision section the later settings that are at their default,
    so that a study written before they existed keeps its fingerprint and its version."""
    for name in _LATER_SETTINGS:
        if decision.get(name) == DecisionSpec.model_fields[name].default:
            decision.pop(name, None)
