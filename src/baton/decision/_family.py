"""False go across several candidates: the decision "migrate to any candidate that is a
go" (the study's overall outcome) errs when some candidate no better than the margin is
called go.

Each candidate is go only when every blocking cell of it is go, and each cell is called at
the label loop's interim boundaries at some confidence c, so a candidate whose Δ sits at
−margin in a cell is called go with probability at most 1 − c. With K candidates judged,
the chance that *some* such candidate is called go is at most K · (1 − c) (the union bound;
about that when the candidates' errors are nearly independent). Two rules:

- ``control`` (Bonferroni over candidates): every candidate's cells are decided at
  confidence 1 − (1 − confidence) ÷ K, so the family-wise false go is at most
  1 − confidence. The looks spend the smaller error consistently: a stratum's recorded
  looks (labels and time) are replayed at the per-candidate confidence, so every boundary,
  the interim ones and the last, is that of a loop run at α ÷ K from its first look.
- ``per_candidate``: each candidate at the study's confidence (error 1 − confidence per
  candidate); the family-wise false go is then only bounded by K · (1 − confidence), and
  the report says so.

Bonferroni rather than Holm: Holm's step-down needs every candidate's p-value at one time,
while the loop calls cells at different looks and freezes them; Bonferroni spends each
candidate's share independently of when the others are called. With one candidate both
rules are the plain rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FamilyRule", "MultipleCandidates", "family_rule"]

MultipleCandidates = Literal["control", "per_candidate"]
"""How a study with several candidates treats its false go: controlled family-wise
(Bonferroni) or per candidate only."""


@dataclass(frozen=True)
class FamilyRule:
    """The rule applied to a study's candidates: ``rule``, the number of ``candidates``
    judged, the study's ``confidence``, the confidence each candidate's cells are decided at
    (``candidate_confidence``), the error allowed per candidate (``candidate_alpha``) and
    the chance of a false go for some candidate, at most (``family_alpha``: the controlled
    level under ``control``, the bound K · α under ``per_candidate``)."""

    rule: MultipleCandidates
    candidates: int
    confidence: float
    candidate_confidence: float
    candidate_alpha: float
    family_alpha: float

    def sentence(self) -> str:
        """The rule in words, for the reports."""
        k, a = self.candidates, self.candidate_alpha
        if self.candidates <= 1:
            return f"one candidate: false go at most {_pct(a)}"
        if self.rule == "control":
            return (
                f"false go controlled across the {k} candidates (Bonferroni): each decided at "
                f"confidence {_pct(self.candidate_confidence)} (error {_pct(a)} per candidate), "
                f"so the chance that any candidate is a false go is at most "
                f"{_pct(self.family_alpha)}"
            )
        return (
            f"false go controlled per candidate only: each of the {k} candidates at confidence "
            f"{_pct(self.candidate_confidence)} (error {_pct(a)}), so the chance that any "
            f"candidate is a false go is bounded only by {k} × {_pct(a)} = "
            f"{_pct(self.family_alpha)}"
        )


def _pct(x: float) -> str:
    return f"{100 * x:.4g}%"


def family_rule(confidence: float, candidates: int, rule: MultipleCandidates) -> FamilyRule:
    """The rule for ``candidates`` candidates judged at the study's ``confidence``."""
    k = max(candidates, 1)
    alpha = 1.0 - confidence
    if rule == "control":
        each = alpha / k
        return FamilyRule(rule, candidates, confidence, 1.0 - each, each, alpha)
    return FamilyRule(rule, candidates, confidence, confidence, alpha, min(k * alpha, 1.0))
