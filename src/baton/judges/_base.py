"""The judge seam: a response in, a verdict (or an explicit abstention) out."""

from __future__ import annotations

from typing import Protocol

from baton.domain import Item, Response, Verdict
from baton.study import DimensionSpec

__all__ = ["Judge"]


class Judge(Protocol):
    """Turns one response into a verdict on one dimension.

    An output the judge cannot parse becomes a verdict with an ``abstention`` reason,
    never a category.
    """

    name: str
    version: str

    async def judge(self, item: Item, response: Response, dimension: DimensionSpec) -> Verdict: ...
