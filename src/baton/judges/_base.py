"""The judge seam: a response in, a verdict (or an explicit abstention) out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from baton.domain import Item, Response, Verdict
from baton.study import DimensionSpec, JudgeSpec, Study

__all__ = ["Judge", "JudgeCase", "abstain", "judged"]


@dataclass(frozen=True)
class JudgeCase:
    """What a judge sees: one response to one item, on one dimension of the study, with the
    incumbent's answer to the same item (None when it has none, or this is the incumbent's)."""

    study: Study
    dimension: DimensionSpec
    item: Item
    response: Response
    incumbent: Response | None = None

    @property
    def text(self) -> str:
        """The answer being judged (a judge only sees successful responses)."""
        return self.response.text or ""

    @property
    def region_language(self) -> str | None:
        """The ISO 639-1 language answers in the item's region should be in, if the study says."""
        return next((r.language for r in self.study.regions if r.name == self.item.region), None)


class Judge(Protocol):
    """Turns one response into a verdict on one dimension.

    ``name`` is the judge's registered name (what verdicts record as their judge) and
    ``version`` changes whenever what it does changes (its rubric, template, model or
    options), so verdicts of an edited judge are redone and no others. An output the judge
    cannot parse becomes a verdict with an ``abstention`` reason, never a category. A judge
    raises ``ProviderError`` when it could not be asked at all; no verdict is stored then and
    a re-run asks again.
    """

    name: str
    version: str

    async def judge(self, case: JudgeCase) -> Verdict: ...


def judged(
    spec: JudgeSpec | str,
    version: str,
    case: JudgeCase,
    category: int,
    *,
    rationale: str = "",
    outcome: str | None = None,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
) -> Verdict:
    """A verdict with a category on ``case``."""
    return Verdict(
        *_key(spec, version, case),
        category,
        rationale=rationale,
        outcome=outcome,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd,
    )


def abstain(
    spec: JudgeSpec | str,
    version: str,
    case: JudgeCase,
    reason: str,
    *,
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
) -> Verdict:
    """An explicit abstention on ``case``, saying why."""
    return Verdict(
        *_key(spec, version, case),
        None,
        abstention=reason,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd,
    )


def _key(spec: JudgeSpec | str, version: str, case: JudgeCase) -> tuple[str, str, str, str, str]:
    """item, model, dimension, judge and version: what every verdict on ``case`` starts with."""
    name = spec if isinstance(spec, str) else spec.name
    return case.item.item_id, case.response.model, case.dimension.name, name, version
