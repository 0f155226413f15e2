"""How much of a step failed, and why: the share against a threshold, and the top reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from baton.judges import JudgeSummary
from baton.replay import ReplaySummary

__all__ = [
    "DEFAULT_MAX_FAILURES",
    "FailureReason",
    "Failures",
    "judge_failures",
    "replay_failures",
]

DEFAULT_MAX_FAILURES = 0.05
"""The share of a step's work that may fail (or abstain) before the step is a failure."""


@dataclass(frozen=True)
class FailureReason:
    """One reason things failed: how many, and one of them in full."""

    reason: str
    count: int
    example: str


@dataclass(frozen=True)
class Failures:
    """``failed`` of the ``total`` pairs a step worked on failed (or abstained); the step
    failed when their share is above ``max_share``. ``reasons`` go most common first."""

    failed: int
    total: int
    max_share: float
    reasons: tuple[FailureReason, ...]

    @property
    def share(self) -> float:
        return self.failed / self.total if self.total else 0.0

    @property
    def exceeded(self) -> bool:
        return self.failed > 0 and self.share > self.max_share


def _reasons(
    counts: Mapping[str, int], examples: Mapping[str, str], *, prefix: str = ""
) -> list[FailureReason]:
    return [
        FailureReason(prefix + reason, count, examples.get(reason, reason))
        for reason, count in counts.items()
    ]


def _failures(failed: int, total: int, max_share: float, reasons: list[FailureReason]) -> Failures:
    ordered = sorted(reasons, key=lambda r: (-r.count, r.reason))
    return Failures(failed, total, max_share, tuple(ordered))


def replay_failures(summary: ReplaySummary, max_share: float) -> Failures:
    """A replay's failed responses among those it asked, by cause."""
    reasons = _reasons(summary.errors_by_cause, summary.error_examples)
    return _failures(summary.errors, summary.pending, max_share, reasons)


def judge_failures(summary: JudgeSummary, max_share: float) -> Failures:
    """A judging run's pairs not judged (by cause) and a judge model's abstentions (by
    reason) among those it judged; abstentions by design (a check without a reference)
    are listed but not counted."""
    reasons = _reasons(summary.errors_by_cause, summary.error_examples, prefix="not judged: ")
    reasons += _reasons(summary.abstention_reasons, summary.abstention_examples)
    failed = summary.failed + summary.model_abstentions
    return _failures(failed, summary.pending, max_share, reasons)
