"""Decisions over recorded looks: interim thresholds, frozen calls, what a look records."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from baton.calibration import Comparison
from baton.decision import MIN_LOOK_LABELS, SequentialDecisions, sequential_decisions
from baton.domain import Look, LookCall

MARGIN = 0.05
CONFIDENCE = 0.95


def _cell(delta_mean: float, sd: float, *, seed: int = 0) -> tuple[Comparison, np.ndarray]:
    draws = np.random.default_rng(seed).normal(delta_mean, sd, 40_000)
    p = float(np.mean(draws > -MARGIN))
    comparison = Comparison("c", "cand", "inc", "eu", delta_mean, -1.0, 1.0, MARGIN, p, True)
    return comparison, draws


def _decide(
    comparison: Comparison,
    draws: np.ndarray,
    *,
    labels: int,
    time: float,
    looks: tuple[Look, ...] = (),
    calls: tuple[LookCall, ...] = (),
) -> SequentialDecisions:
    return sequential_decisions(
        [comparison],
        {("c", "cand", "eu"): draws},
        {("c", "inc", "eu"): labels, ("c", "cand", "eu"): labels},
        confidence=CONFIDENCE,
        blocking={"eu": True},
        time=time,
        looks=looks,
        calls=calls,
    )


def test_one_look_with_the_whole_budget_is_the_plain_rule() -> None:
    comparison, draws = _cell(-0.05 + 1.70 * 0.03, 0.03)  # z = 1.70 > 1.645
    step = _decide(comparison, draws, labels=100, time=1.0)
    (decision,) = step.decisions
    assert decision.threshold == pytest.approx(CONFIDENCE, abs=1e-4)
    assert decision.outcome == "go"
    assert step.looks == [Look("c", "eu", 100.0, 1.0)]
    assert [c.outcome for c in step.calls] == ["go"]


def test_an_early_look_needs_more_than_the_confidence() -> None:
    """The same evidence at a fifth of the budget: only part of the error is spent yet, so
    P(Δ > −margin) ≈ 0.955 is not enough; the cell stays open and says what it needs."""
    comparison, draws = _cell(-0.05 + 1.70 * 0.03, 0.03)
    step = _decide(comparison, draws, labels=100, time=0.2)
    (decision,) = step.decisions
    assert decision.outcome == "inconclusive"
    assert decision.threshold > 0.985
    assert decision.labels_needed is not None
    assert decision.labels_needed > 0
    assert step.calls == []
    assert step.looks == [Look("c", "eu", 100.0, 0.2)]


def test_a_call_is_frozen_and_no_look_is_made_without_new_labels() -> None:
    comparison, draws = _cell(-0.10, 0.02)  # clearly worse now
    looks = (Look("c", "eu", 80.0, 0.5),)
    call = LookCall("cand", "c", "eu", "go", 0.999, 0.99, 80.0)
    step = _decide(comparison, draws, labels=120, time=0.7, looks=looks, calls=(call,))
    (decision,) = step.decisions
    assert decision.outcome == "go"  # called at an earlier look: kept
    assert decision.threshold == 0.99
    assert step.calls == []
    # an open cell whose stratum has no labels since its last look is not looked at again
    comparison, draws = _cell(-0.05 + 4.0 * 0.01, 0.01)
    step = _decide(comparison, draws, labels=80, time=0.7, looks=looks)
    assert step.decisions[0].outcome == "inconclusive"
    assert step.looks == []
    assert step.calls == []


def test_a_clearly_worse_cell_is_called_no_go() -> None:
    comparison, draws = _cell(-0.15, 0.02)
    step = _decide(comparison, draws, labels=100, time=0.3)
    assert step.decisions[0].outcome == "no_go"
    assert step.calls[0].outcome == "no_go"


def test_thresholds_follow_the_recorded_history() -> None:
    """A second look's threshold depends on the first: replaying the recorded looks gives
    the boundary the loop would have had, and it is below the first (Pocock-type spending
    with more error left to spend)."""
    comparison, draws = _cell(0.0, 0.5)  # nowhere near a call
    first = _decide(comparison, draws, labels=50, time=0.25)
    second = _decide(comparison, draws, labels=100, time=0.5, looks=tuple(first.looks))
    t1, t2 = first.decisions[0].threshold, second.decisions[0].threshold
    assert CONFIDENCE < t2 < t1 < 1.0


def test_a_cell_at_the_margin_over_many_looks_is_called_go_at_most_alpha() -> None:
    """Simulate the loop's evidence on a cell exactly at Δ = −margin: the estimate's error
    is a Brownian motion in the labels; with the recorded looks fed back each time, the
    share of runs ever called go stays near 1 − confidence (the plain rule gives ~25%)."""
    rng = np.random.default_rng(5)
    runs, looks_per_run, step_labels = 300, 12, 20
    gos = 0
    for _ in range(runs):
        looks: list[Look] = []
        calls: list[LookCall] = []
        total = 0.0
        for k in range(1, looks_per_run + 1):
            total += rng.normal(0.0, math.sqrt(step_labels))
            n = k * step_labels
            sd = 0.5 / math.sqrt(n)  # Δ's posterior sd with n labels
            mean = -MARGIN + sd * total / math.sqrt(n)
            comparison = Comparison("c", "cand", "inc", "eu", mean, -1, 1, MARGIN, 0.5, True)
            draws = stats.norm(mean, sd).ppf(np.linspace(0.0005, 0.9995, 2000))
            step = _decide(
                comparison, draws, labels=n, time=k / looks_per_run, looks=tuple(looks),
                calls=tuple(calls),
            )  # fmt: skip
            looks += step.looks
            calls += step.calls
            if calls:
                break
        gos += any(c.outcome == "go" for c in calls)
    assert gos / runs <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / runs)


def test_no_look_before_a_stratum_has_the_minimum_labels() -> None:
    """On a handful of labels a cell's posterior is mostly prior: however clear it looks,
    no look is made and no call, until the stratum has ``MIN_LOOK_LABELS`` per model."""
    comparison, draws = _cell(0.10, 0.02)  # clearly non-inferior
    early = _decide(comparison, draws, labels=MIN_LOOK_LABELS - 1, time=0.9)
    assert early.decisions[0].outcome == "inconclusive"
    assert early.looks == []
    assert early.calls == []
    assert early.decisions[0].labels_needed is not None
    assert early.decisions[0].labels_needed >= 1
    enough = _decide(comparison, draws, labels=MIN_LOOK_LABELS, time=0.9)
    assert enough.decisions[0].outcome == "go"
