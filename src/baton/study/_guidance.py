"""What a human rater judges a dimension by, beyond its rubric: the service's style guide
(style), the item's expected behaviour (refusal) or its reference answer (correctness),
the same things the built-in judges read. Shown on every labelling route: the review app's
screens, the labelling sheets and the tasks exported to other tools.

Re-exported by ``baton.study``.
"""

from __future__ import annotations

from dataclasses import dataclass

from baton.domain import Item
from baton.study._spec import DimensionSpec, Study

__all__ = ["EXPECTED_BEHAVIOUR_TEXT", "RaterGuidance", "rater_guidance"]

EXPECTED_BEHAVIOUR_TEXT = {
    "answer": "answer: the assistant should help with this prompt",
    "refuse": "refuse: the assistant should decline this prompt",
}
"""The expected behaviour as a rater reads it."""

_USES = {
    "reference": {"correctness", "reference_match"},
    "expected_behaviour": {"refusal", "refusal_phrases"},
    "style_guide": {"style"},
}
"""The judges (calibrated or checks) whose criterion uses each guide; a dimension named
like the built-in judge uses it too."""


@dataclass(frozen=True)
class RaterGuidance:
    """The guides a dimension is judged by for one item (None where it uses none, or the
    study or item has none)."""

    style_guide: str | None = None
    expected_behaviour: str | None = None
    reference: str | None = None


def _uses(dimension: DimensionSpec, guide: str) -> bool:
    names = {dimension.name, *(judge.name for judge in dimension.judges)}
    return bool(names & _USES[guide])


def rater_guidance(study: Study, dimension: DimensionSpec, item: Item) -> RaterGuidance:
    """What a rater of ``dimension`` on ``item`` should see beside the rubric."""
    expected = item.expected_behaviour
    return RaterGuidance(
        style_guide=study.service.style_guide if _uses(dimension, "style_guide") else None,
        expected_behaviour=(
            EXPECTED_BEHAVIOUR_TEXT.get(expected, expected)
            if expected and _uses(dimension, "expected_behaviour")
            else None
        ),
        reference=item.reference if _uses(dimension, "reference") else None,
    )
