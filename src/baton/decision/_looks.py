"""Decisions over a study's recorded looks: the interim rule of the label loop, for the
product as for the simulation.

Every time a study's decisions are computed on labels its strata did not have at their last
look, that is a look (``baton decide``, ``baton next``, the review app's decision table).
Calling a cell the first time P(Δ > −margin) ≥ confidence at any of many looks calls a
cell at Δ = −margin go far more often than 1 − confidence, so the looks are recorded in the
study's store and every call is made at the look's interim boundary (``_interim``: alpha
spending of Pocock type), then frozen: a called cell keeps its call and gets no more labels.

Time is the share of the study's label budget spent (labels in the store ÷ budget, at most
1): the simulated loop's round ÷ planned rounds, since each round spends one batch of the
budget. A stratum's information is its labels (the incumbent's, which every paired unit
has). A look at the whole budget spends all the error that is left, so a study that looks
once, with every label in, gets the plain rule at its confidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from baton.calibration import Comparison
from baton.decision._interim import InterimState, Spending, interim_look, interim_z
from baton.decision._noninferiority import MAX_LABELS_NEEDED, labels_needed_estimate
from baton.decision._types import Decision
from baton.domain import Look, LookCall

__all__ = [
    "DEFAULT_DESIGN",
    "EARLY_NO_GO",
    "LOOK_DESIGNS",
    "MIN_LOOK_LABELS",
    "DesignName",
    "LookDesign",
    "SequentialDecisions",
    "decide_comparisons",
    "sequential_decisions",
]

MIN_LOOK_LABELS = 20
"""Labels per model a region × dimension needs before its first look. Earlier, a cell's
posterior is mostly prior and pooling, and its normal reading (z) is poor: in the decisions
benchmark almost every false go at Δ = −margin was called at the very first look, on 4
labelled items per stratum. A look skipped this way spends none of the error, which waits
for the first look that is made."""

EARLY_NO_GO = 0.001
"""A cell is called no-go at any look, before the minimum labels too, once P(Δ > −margin)
is at most this: a Haybittle–Peto-type boundary for the no-go side. The minimum protects
against a false go; a clear loser needs no such wait. The go side's error spending is
untouched (a cell stopped for no-go can only lower the chance of a false go); the no-go
side's own error is measured in the decisions benchmark."""

_MOST = 0.9999
"""Past the budget no call is possible (threshold 1); labels needed are counted at this."""

Stratum = tuple[str, str]
"""(dimension, region)."""


@dataclass(frozen=True)
class LookDesign:
    """How the label loop looks at a stratum and spends its error.

    ``go_spending`` and ``no_go_spending``: the spending function of each side's boundary
    (``_interim``; each side is computed on its own, which is conservative for both).
    ``look_ratio``: a stratum is looked at again only once its labels reach this multiple
    of its last look's (1: at every new label; the look at the end of the budget is always
    made). Fewer looks cost less of the error, so each boundary is lower. ``no_go_alpha``:
    the chance a cell exactly at the margin is called no-go over its looks (None: 1 −
    confidence, the go side's): a no-go there is right, so this only sets how early a
    clear loser stops; the error that matters, a no-go on a cell as good as the incumbent,
    is measured at Δ = 0 in the decisions benchmark."""

    go_spending: Spending = "pocock"
    no_go_spending: Spending = "pocock"
    look_ratio: float = 1.0
    no_go_alpha: float | None = None

    def __post_init__(self) -> None:
        if self.look_ratio < 1.0:
            raise ValueError("look_ratio must be at least 1")
        if self.no_go_alpha is not None and not 0.0 < self.no_go_alpha < 0.5:
            raise ValueError("no_go_alpha must be in (0, 0.5)")

    def separate_no_go(self) -> bool:
        """Whether the no-go side has a boundary of its own."""
        return self.no_go_spending != self.go_spending or self.no_go_alpha is not None

    def no_go_confidence(self, confidence: float) -> float:
        return confidence if self.no_go_alpha is None else 1.0 - self.no_go_alpha

    def no_go_floor(self, boundary: float, confidence: float) -> float:
        """A separate no-go boundary never asks for less evidence than one look's plain
        rule, P(Δ > −margin) ≤ 1 − confidence: a lenient no-go level stops a clear loser
        sooner over many looks, but with one look (the budget spent at once) it would call
        no-go at P ≤ 0.2 and lose good candidates. Conservative: the no-go side then spends
        less of its error than it is allotted."""
        return max(boundary, NormalDist().inv_cdf(confidence))


DesignName = Literal["pocock", "obf"]
LOOK_DESIGNS: dict[DesignName, LookDesign] = {
    "pocock": LookDesign(),
    "obf": LookDesign(go_spending="obf", no_go_spending="pocock", no_go_alpha=0.2),
}
"""The designs a study names (``decision.design``): ``pocock``, one boundary of Pocock type
mirrored for no-go, a look at every new batch; ``obf``, the go side of O'Brien–Fleming type
(little error spent early, nearly the plain threshold at the end of the budget) and the
no-go side of Pocock type at 0.2 for a cell exactly at the margin (a clear loser stops
early)."""
DEFAULT_DESIGN: DesignName = "obf"
"""The design of a study that names none, and of every call that passes none."""


@dataclass(frozen=True)
class SequentialDecisions:
    """This look's decisions, and the looks and calls to record."""

    decisions: list[Decision]
    looks: list[Look] = field(default_factory=list)
    calls: list[LookCall] = field(default_factory=list)


@dataclass
class _Stratum:
    """A stratum's state after its recorded looks, and its boundary now."""

    state: InterimState
    boundary: float  # z a call needs now (inf: none possible; NaN: no look yet)
    new_look: bool
    no_go_boundary: float = math.nan  # -z a no-go needs now (the go boundary's if one spending)


def _replay(
    looks: Sequence[Look], confidence: float, spending: Spending = "pocock"
) -> tuple[InterimState, float]:
    """The state and last boundary after the recorded looks (in order of information)."""
    steps: list[tuple[float, float]] = []
    for look in sorted(looks, key=lambda item: item.information):
        if not steps or look.information > steps[-1][0]:
            steps.append((look.information, look.time))
    return _replayed(tuple(steps), confidence, spending)


_REPLAYED: dict[tuple[float, str, tuple[tuple[float, float], ...]], tuple[InterimState, float]] = {}
_REPLAYED_MAX = 4096


def _replayed(
    steps: tuple[tuple[float, float], ...], confidence: float, spending: Spending = "pocock"
) -> tuple[InterimState, float]:
    """``_replay`` on (information, time) pairs. A loop that looks again after every batch
    extends the history it looked at last time, so the state after all but the last look is
    usually remembered; otherwise the looks are replayed from the first (no recursion: a
    study may look thousands of times)."""
    key = (confidence, spending, steps)
    if key in _REPLAYED:
        return _REPLAYED[key]
    previous = (confidence, spending, steps[:-1])
    if steps and previous in _REPLAYED:
        state, boundary = _REPLAYED[previous]
        todo = steps[-1:]
    else:
        state, boundary = InterimState(), math.nan
        todo = steps
    for information, time in todo:
        step = interim_look(
            state, information=information, time=time, confidence=confidence, spending=spending
        )
        state, boundary = step.state, step.boundary
    if len(_REPLAYED) >= _REPLAYED_MAX:
        _REPLAYED.clear()
    _REPLAYED[key] = (state, boundary)
    return state, boundary


def _threshold(boundary: float, confidence: float) -> float:
    """The posterior probability a call needs at a boundary on the z scale."""
    if math.isnan(boundary):
        return confidence
    return 1.0 if boundary == math.inf else float(0.5 * math.erfc(-boundary / math.sqrt(2.0)))


@dataclass
class _ThisLook:
    """The strata at this look: their recorded looks, and the looks this one adds."""

    confidence: float
    time: float
    min_labels: int
    n_labelled: Mapping[tuple[str, str, str], int]
    history: dict[Stratum, list[Look]]
    n_items: Mapping[tuple[str, str, str], int]
    design: LookDesign = field(default_factory=LookDesign)
    strata: dict[Stratum, _Stratum] = field(default_factory=dict)
    new_looks: list[Look] = field(default_factory=list)

    def stratum(self, dimension: str, region: str, baseline: str) -> _Stratum:
        """The stratum's state and boundary now, looking at it if it has new labels (and at
        least ``min_labels``); its cells share the labels, so the look, once per stratum."""
        key = (dimension, region)
        if key not in self.strata:
            design, history = self.design, self.history.get(key, [])
            state, boundary = _replay(history, self.confidence, design.go_spending)
            two = design.separate_no_go()
            no_confidence = design.no_go_confidence(self.confidence)
            no_state, no_boundary = (
                _replay(history, no_confidence, design.no_go_spending) if two else (state, boundary)
            )
            n = float(self.n_labelled.get((dimension, baseline, region), 0))
            due = (
                state.information == 0
                or n >= design.look_ratio * state.information
                or self.time >= 1.0
            )
            new_look = n > state.information and n >= self.min_labels and due
            if new_look:
                time = min(self.time, 1.0)
                step = interim_look(
                    state,
                    information=n,
                    time=time,
                    confidence=self.confidence,
                    spending=design.go_spending,
                )
                state, boundary = step.state, step.boundary
                no_boundary = boundary
                if two:
                    no_step = interim_look(
                        no_state,
                        information=n,
                        time=time,
                        confidence=no_confidence,
                        spending=design.no_go_spending,
                    )
                    no_boundary = design.no_go_floor(no_step.boundary, self.confidence)
                self.new_looks.append(Look(dimension, region, n, time))
            self.strata[key] = _Stratum(state, boundary, new_look, no_boundary)
        return self.strata[key]

    def open_cell(
        self, c: Comparison, draws: NDArray[np.float64], blocks: bool
    ) -> tuple[Decision, LookCall | None]:
        """An uncalled, calibrated cell: called now if past its stratum's boundary at a new
        look (or clearly worse than the margin: ``EARLY_NO_GO``), else open with the labels
        it needs and why."""
        s = self.stratum(c.dimension, c.region, c.baseline)
        threshold = _threshold(s.boundary, self.confidence)
        z = interim_z(draws, c.margin)
        p = c.p_noninferior
        called: Literal["go", "no_go"] | None = None
        if s.new_look and z >= s.boundary:
            called = "go"
        elif s.new_look and z <= -s.no_go_boundary:
            called, threshold = "no_go", _threshold(s.no_go_boundary, self.confidence)
        elif p <= EARLY_NO_GO:
            called, threshold = "no_go", max(threshold, 1.0 - EARLY_NO_GO)
        if called is not None:
            call = LookCall(
                c.candidate, c.dimension, c.region, called, p, threshold, s.state.information
            )
            decision = Decision(
                c.candidate, c.dimension, c.region, called, p, blocks, None, threshold=threshold
            )
            return decision, call
        return self._open(c, draws, blocks, threshold), None

    def _open(
        self, c: Comparison, draws: NDArray[np.float64], blocks: bool, threshold: float
    ) -> Decision:
        """An open cell with the labels per model it needs, if its Δ holds, and why."""
        models = (c.candidate, c.baseline)
        n = min(self.n_labelled.get((c.dimension, m, c.region), 0) for m in models)
        pool = min(self.n_items.get((c.dimension, m, c.region), 0) for m in models)
        need = labels_needed_estimate(draws, c.margin, min(threshold, _MOST), n)
        needed: int | None = max(need, self.min_labels - n)
        if n < self.min_labels:
            reason = f"below the minimum labels: {n} of {self.min_labels} per model"
        else:
            reason = f"not yet decisive: about {needed} more labels per model if Δ holds"
        if need >= MAX_LABELS_NEEDED:
            needed, reason = None, "not reachable at this margin: Δ sits on the margin"
        elif pool and n + (needed or 0) > pool:
            needed = None
            reason = (
                f"not reachable with the items judged: {pool} in the stratum, about "
                f"{n + need} labels per model needed if Δ holds"
            )
        return Decision(
            c.candidate, c.dimension, c.region, "inconclusive", c.p_noninferior, blocks,
            needed, threshold=threshold, reason=reason,
        )  # fmt: skip


def sequential_decisions(
    comparisons: Sequence[Comparison],
    deltas: Mapping[tuple[str, str, str], NDArray[np.float64] | None],
    n_labelled: Mapping[tuple[str, str, str], int],
    *,
    confidence: float,
    blocking: Mapping[str, bool],
    time: float,
    looks: Sequence[Look],
    calls: Sequence[LookCall],
    min_labels: int = MIN_LOOK_LABELS,
    n_items: Mapping[tuple[str, str, str], int] | None = None,
    design: LookDesign | None = None,
) -> SequentialDecisions:
    """Decisions at this look, given the recorded ``looks`` and frozen ``calls``.

    ``time``: the share of the label budget spent now. ``n_labelled`` holds the labels per
    (dimension, model, region); a stratum's information is its baseline model's count, and
    a stratum with fewer than ``min_labels`` is not looked at yet (no go; a no-go only at
    ``EARLY_NO_GO``). ``n_items`` (judged items per (dimension, model, region)) caps the
    labels an open cell can still get: a need beyond it is reported as not reachable.
    ``design``: how the strata are looked at and each side's error spent (``LookDesign``).
    """
    frozen = {(c.dimension, c.candidate, c.region): c for c in calls}
    history: dict[Stratum, list[Look]] = {}
    for look in looks:
        history.setdefault((look.dimension, look.region), []).append(look)
    this = _ThisLook(
        confidence,
        time,
        min_labels,
        n_labelled,
        history,
        dict(n_items or {}),
        design or LOOK_DESIGNS[DEFAULT_DESIGN],
    )
    decisions, new_calls = [], []
    for c in comparisons:
        key = (c.dimension, c.candidate, c.region)
        blocks = blocking.get(c.region, False)
        draws = deltas.get(key)
        if key in frozen:
            call = frozen[key]
            p = c.p_noninferior if c.calibrated and draws is not None else math.nan
            decisions.append(
                Decision(
                    c.candidate,
                    c.dimension,
                    c.region,
                    call.outcome,
                    p,
                    blocks,
                    None,
                    threshold=call.threshold,
                )
            )
        elif not c.calibrated or draws is None:
            decisions.append(
                Decision(
                    c.candidate,
                    c.dimension,
                    c.region,
                    "inconclusive",
                    math.nan,
                    blocks,
                    reason="no human labels yet: uncalibrated",
                )
            )
        else:
            decision, new_call = this.open_cell(c, draws, blocks)
            decisions.append(decision)
            new_calls += [new_call] if new_call is not None else []
    return SequentialDecisions(decisions, this.new_looks, new_calls)


def decide_comparisons(
    comparisons: Sequence[Comparison],
    deltas: Mapping[tuple[str, str, str], NDArray[np.float64] | None],
    n_labelled: Mapping[tuple[str, str, str], int],
    *,
    confidence: float,
    blocking: Mapping[str, bool],
    n_items: Mapping[tuple[str, str, str], int] | None = None,
    design: LookDesign | None = None,
) -> list[Decision]:
    """One look with the whole label budget in and none before it: the label loop's rule at
    its last look — the plain threshold at ``confidence``, the minimum labels before a go,
    the early no-go — so a table (``baton estimate``) and a study decided once agree."""
    return sequential_decisions(
        comparisons,
        deltas,
        n_labelled,
        confidence=confidence,
        blocking=blocking,
        time=1.0,
        looks=(),
        calls=(),
        n_items=n_items,
        design=design,
    ).decisions
