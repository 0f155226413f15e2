"""A judge as a plugin package would register it (loaded through an entry point in a test)."""

from __future__ import annotations

from baton.domain import Verdict
from baton.judges import Judge, JudgeCase, JudgeContext, judged
from baton.study import JudgeSpec


class ShoutJudge:
    """Fails answers written in capitals."""

    name = "shout"

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.version = f"shout-{limit}"

    async def judge(self, case: JudgeCase) -> Verdict:
        letters = [c for c in case.text if c.isalpha()]
        share = sum(c.isupper() for c in letters) / max(len(letters), 1)
        return judged(self.name, self.version, case, int(share <= self.limit))


def create(spec: JudgeSpec, context: JudgeContext) -> Judge:
    return ShoutJudge(float(spec.options.get("limit", 0.5)))
