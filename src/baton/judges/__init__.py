"""Judges: responses -> verdicts per dimension (or explicit abstentions)."""

from __future__ import annotations

from baton.judges._base import Judge
from baton.judges._engine import JudgeSummary, judge_responses

__all__ = ["Judge", "JudgeSummary", "judge_responses"]
