"""The spending time of the label loop: labels in the store ÷ the study's label budget —
the largest budget the study has had, never a budget cut since.

The interim rule (``_looks``, ``_interim``) spends the error 1 − confidence over time =
labels ÷ budget. A budget cut when things look good would move that time forward and spend
at once the error the uncut budget kept for later: in the calibration benchmark (section 3)
a user who declared the budget spent at the first look where a cell looked good raised the
per-cell false go at Δ = −margin from 1.7% to 4.0%. So time is measured against the
largest budget of every version of the study its store has recorded (each step records the
version it ran with: ingest, replay, judge, labels import, decide) and of the study now:

- a **cut** spends nothing ahead: the labels so far have earned only their share of the
  uncut budget, and the loop stops with the error it did not use (conservative);
- an **increase** is honoured: time moves back, so the next looks wait until the labels
  catch up with the error already spent (``interim_look`` makes no call while nothing is
  left to spend), which can only delay calls.

A budget lowered by mistake before any label is frozen too, once a step has recorded it:
set the budget before ``baton ingest``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["spending_budget", "spending_time"]


def spending_budget(budget: int, recorded: Iterable[int] = ()) -> int:
    """The budget time is measured against: the largest of the study's ``budget`` now and
    the ``recorded`` budgets of its earlier versions (at least 1)."""
    return max(budget, *recorded, 1)


def spending_time(labels: int, budget: int, recorded: Iterable[int] = ()) -> float:
    """The share of the label budget spent: ``labels`` ÷ ``spending_budget`` (the look
    itself caps it at 1)."""
    return labels / spending_budget(budget, recorded)
