"""The label loop's design options (``LookDesign``): spending of O'Brien–Fleming type on the
go side, a no-go side of its own, looks spaced by a ratio — each checked against a known
truth (the estimate's error a Brownian motion in the labels, as in ``test_looks``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from baton.calibration import Comparison
from baton.decision import EARLY_NO_GO, LookDesign, interim_look, sequential_decisions
from baton.decision._interim import InterimState, Spending, obf_spending, pocock_spending
from baton.domain import Look, LookCall

MARGIN = 0.05
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE


def test_obf_spending_is_strict_early_and_spends_alpha_by_the_end() -> None:
    assert obf_spending(0.0, ALPHA) == 0.0
    assert obf_spending(1.0, ALPHA) == pytest.approx(ALPHA)
    assert obf_spending(0.2, ALPHA) < pocock_spending(0.2, ALPHA) / 10
    assert obf_spending(0.5, ALPHA) < obf_spending(0.8, ALPHA)


def test_obf_boundaries_are_near_the_plain_threshold_at_the_end() -> None:
    state, boundaries = InterimState(), []
    for k in range(1, 21):
        look = interim_look(
            state, information=10.0 * k, time=k / 20, confidence=CONFIDENCE, spending="obf"
        )
        state = look.state
        boundaries.append(look.boundary)
    assert boundaries[0] > 4.0
    assert boundaries[-1] < 2.0  # Pocock's last of 20 looks is about 2.4
    assert boundaries[-1] > stats.norm.ppf(CONFIDENCE)


def _run(
    delta: float,
    design: LookDesign,
    rng: np.random.Generator,
    rounds: int = 15,
    planned: int | None = None,
) -> str:
    """One cell over ``rounds`` looks 20 labels apart (of ``planned``, default all): its
    call (or inconclusive)."""
    return _run_on(delta, design, rng.normal(0.0, math.sqrt(20), rounds), planned)


def _run_on(delta: float, design: LookDesign, steps: np.ndarray, planned: int | None = None) -> str:
    """The product's calls on a cell whose estimate moves by ``steps`` (a Brownian motion in
    the labels, 20 per look), its looks the first of ``planned`` (default: as many)."""
    looks: list[Look] = []
    calls: list[LookCall] = []
    total, rounds = 0.0, planned or len(steps)
    for k in range(1, len(steps) + 1):
        total += float(steps[k - 1])
        n = 20 * k
        sd = 0.5 / math.sqrt(n)
        mean = delta + sd * total / math.sqrt(n)
        draws = stats.norm(mean, sd).ppf(np.linspace(0.0005, 0.9995, 2000))
        p = float(stats.norm.sf(-MARGIN, mean, sd))
        cell = Comparison("c", "cand", "inc", "eu", mean, -1, 1, MARGIN, p, True)
        step = sequential_decisions(
            [cell],
            {("c", "cand", "eu"): draws},
            {("c", "inc", "eu"): n, ("c", "cand", "eu"): n},
            confidence=CONFIDENCE,
            blocking={"eu": True},
            time=k / rounds,
            looks=tuple(looks),
            calls=tuple(calls),
            design=design,
        )
        looks += step.looks
        calls += step.calls
        if calls:
            return calls[0].outcome
    return "inconclusive"


def _boundaries(spending: Spending, confidence: float, rounds: int = 15) -> np.ndarray:
    state, out = InterimState(), []
    for k in range(1, rounds + 1):
        look = interim_look(
            state, information=20.0 * k, time=k / rounds, confidence=confidence, spending=spending
        )
        state = look.state
        out.append(look.boundary)
    return np.array(out)


def _reference(z: np.ndarray, go: np.ndarray, no_go: np.ndarray) -> np.ndarray:
    """The rule written out on z paths (runs × looks): 1 go, -1 no-go, 0 open."""
    up = z >= go
    down = (z <= -no_go) | (z <= stats.norm.ppf(EARLY_NO_GO))
    first_up = np.where(up.any(axis=1), up.argmax(axis=1), z.shape[1])
    first_down = np.where(down.any(axis=1), down.argmax(axis=1), z.shape[1])
    return np.where(first_up < first_down, 1, np.where(first_down < first_up, -1, 0))


OBF = LookDesign(go_spending="obf", no_go_spending="pocock", no_go_alpha=0.2)


def test_obf_design_keeps_false_go_at_the_margin_at_alpha() -> None:
    """The product makes exactly the reference rule's calls on the same paths, and the
    reference rule, on 200,000 paths of a cell at Δ = −margin, calls go at most α."""
    go, no_go = _boundaries("obf", CONFIDENCE), _boundaries("pocock", 0.8)
    rng = np.random.default_rng(11)
    steps = rng.normal(0.0, math.sqrt(20), (40, 15))
    z = np.cumsum(steps, axis=1) / np.sqrt(20 * np.arange(1, 16))
    names = {1: "go", -1: "no_go", 0: "inconclusive"}
    expected = [names[int(v)] for v in _reference(z, go, no_go)]
    assert [_run_on(-MARGIN, OBF, row) for row in steps] == expected
    many = np.cumsum(rng.standard_normal((200_000, 15)), axis=1) / np.sqrt(np.arange(1, 16))
    rate = float(np.mean(_reference(many, go, no_go) == 1))
    assert rate <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / 200_000)
    assert rate > 0.8 * ALPHA  # the go side spends its error, not much less


def test_obf_design_calls_go_more_often_than_pocock_where_labels_barely_suffice() -> None:
    """At Δ = 0 with labels for about 60% power, the lower last boundary wins (same paths)."""
    runs, delta = 200, 0.0
    pocock = sum(_run(delta, LookDesign(), np.random.default_rng(s)) == "go" for s in range(runs))
    obf = sum(_run(delta, OBF, np.random.default_rng(s)) == "go" for s in range(runs))
    assert obf > pocock


def test_obf_design_stops_a_clear_loser_sooner() -> None:
    """The no-go side of its own (Pocock type at 0.2 for a cell at the margin) calls a cell
    three margins worse no-go at the first of 15 looks far more often than the shared
    boundary."""

    def first_look_no_go(design: LookDesign) -> int:
        return sum(
            _run(-3 * MARGIN, design, np.random.default_rng(s), rounds=1, planned=15) == "no_go"
            for s in range(200)
        )

    assert first_look_no_go(OBF) > 1.2 * first_look_no_go(LookDesign())


def test_one_look_no_go_needs_the_plain_evidence_under_every_design() -> None:
    """With the budget spent at one look, the no-go side's lenient level does not make a
    no-go easier than P(Δ > −margin) ≤ 1 − confidence: a cell at P = 0.15 stays open."""
    for design in (OBF, LookDesign()):
        sd = 0.02
        mean = -MARGIN - sd * stats.norm.isf(0.85)  # P(Δ > −margin) = 0.15
        draws = stats.norm(mean, sd).ppf(np.linspace(0.0005, 0.9995, 2000))
        cell = Comparison("c", "cand", "inc", "eu", mean, -1, 1, MARGIN, 0.15, True)
        step = sequential_decisions(
            [cell],
            {("c", "cand", "eu"): draws},
            {("c", "inc", "eu"): 100, ("c", "cand", "eu"): 100},
            confidence=CONFIDENCE,
            blocking={"eu": True},
            time=1.0,
            looks=(),
            calls=(),
            design=design,
        )
        assert step.decisions[0].outcome == "inconclusive"


def test_looks_spaced_by_a_ratio_skip_the_looks_in_between() -> None:
    rng = np.random.default_rng(2)
    design = LookDesign(look_ratio=1.5)
    looks: list[Look] = []
    for n in (20, 25, 30, 40, 45, 70):
        cell = Comparison("c", "cand", "inc", "eu", 0.0, -1, 1, MARGIN, 0.9, True)
        draws = rng.normal(0.0, 0.04, 2000)
        step = sequential_decisions(
            [cell],
            {("c", "cand", "eu"): draws},
            {("c", "inc", "eu"): n, ("c", "cand", "eu"): n},
            confidence=CONFIDENCE,
            blocking={"eu": True},
            time=n / 200,
            looks=tuple(looks),
            calls=(),
            design=design,
        )
        looks += step.looks
    assert [look.information for look in looks] == [20, 30, 45, 70]


def test_a_no_go_alpha_outside_its_range_is_refused() -> None:
    with pytest.raises(ValueError, match="no_go_alpha"):
        LookDesign(no_go_alpha=0.7)
