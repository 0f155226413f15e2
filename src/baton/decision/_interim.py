"""Calls at interim looks: the rule of the sequential label loop (alpha spending).

The loop looks at every undecided (candidate, dimension, region) cell after each labelled
batch and freezes a call once made. Calling a cell the first time P(Δ > −margin) ≥
confidence spends the error rate 1 − confidence afresh at every look: over the ~45 looks of
the decisions benchmark, a cell sitting exactly at Δ = −margin was called go 23% of the time
where 5% was meant (README, "Decisions benchmark").

The loop therefore spends α = 1 − confidence over its planned rounds with the Lan–DeMets
spending function of Pocock type, α(t) = α ln(1 + (e − 1) t), t = round ÷ planned rounds
(Lan and DeMets 1983; Jennison and Turnbull 2000, §7.2). A look at a cell is a round in
which its stratum got new labels; its boundary c is the z-value at which a cell at
Δ = −margin has exactly α(t) − α(t_previous) chance of crossing for the first time here,
given the labels at this and every earlier look (z = Δ's posterior mean + margin over its
sd moves as a Brownian motion in the number of labels; the chance is computed by recursive
numerical integration, Armitage, McPherson and Rowe 1969). So whatever the looks' spacing,
a cell at the margin is called go with probability at most α in all; the no-go side uses
the same boundary, so a cell at the margin is called no-go at most that often too. A round
in which a stratum got no labels is no look there, and its share of the error waits for the
next look; past the planned rounds no call is made.

The threshold at a look is Φ(c), the posterior probability a call needs there: about 0.998
at the first of 45 planned rounds, 0.988 at the last. With one planned look it is the
confidence itself (the plain rule). ``_looks`` applies the rule to a study's
recorded looks (``baton decide``) and to the simulated loop alike. The loop reads a cell's
draws through their mean and sd (``interim_z``): the boundary is derived on that normal
scale, and a tail count of 500 draws cannot resolve P = 0.998.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

__all__ = [
    "InterimLook",
    "InterimState",
    "Spending",
    "interim_look",
    "interim_thresholds",
    "interim_z",
    "obf_spending",
    "pocock_spending",
    "spent_by",
]

Array = NDArray[np.float64]
_STEP = 0.05
_GRID = np.arange(-8.0, 8.0 + _STEP / 2, _STEP)
"""z-values on which the chance of not having crossed yet is carried from look to look."""
_EDGES = np.append(_GRID - _STEP / 2, _GRID[-1] + _STEP / 2)
_LIMIT = 8.0
"""A boundary beyond this z is never reached: the look makes no call."""
_NEGLIGIBLE = 1e-7
"""Error left to spend below this is none (what root-finding leaves over)."""


Spending = Literal["pocock", "obf"]
"""Lan–DeMets spending functions: of Pocock type (even boundaries: early calls are cheap,
the last look dear) or of O'Brien–Fleming type (strict early, close to the plain threshold
at the end of the plan)."""


def pocock_spending(t: float, alpha: float) -> float:
    """Error spent by the time fraction ``t`` of the plan: α ln(1 + (e − 1) t), at most α."""
    return alpha * math.log1p((math.e - 1.0) * min(max(t, 0.0), 1.0))


def obf_spending(t: float, alpha: float) -> float:
    """Error spent by ``t`` of the plan, O'Brien–Fleming type (Lan and DeMets 1983, one
    sided): 2 − 2 Φ(z_{1−α/2} ÷ √t), α at t = 1."""
    t = min(max(t, 0.0), 1.0)
    if t <= 0.0:
        return 0.0
    z = float(special.ndtri(1.0 - alpha / 2.0))
    return float(2.0 - 2.0 * special.ndtr(z / math.sqrt(t)))


def spent_by(t: float, alpha: float, spending: Spending) -> float:
    """Error spent by ``t`` under ``spending``."""
    return obf_spending(t, alpha) if spending == "obf" else pocock_spending(t, alpha)


@dataclass(frozen=True)
class InterimState:
    """A cell's earlier looks: the labels at the last one, the error spent so far, and the
    probability mass at each z of ``_GRID`` of a cell at the margin not yet called go
    (None before the first look)."""

    information: float = 0.0
    spent: float = 0.0
    mass: Array | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class InterimLook:
    """One look's boundary on the z scale (``math.inf``: no call possible), the posterior
    probability it corresponds to, and the cell's state after the look."""

    boundary: float
    threshold: float
    state: InterimState


def _from_previous(state: InterimState, information: float) -> tuple[Array, Array, float]:
    """Where z sits now, before this look's crossing: point masses at the previous look's z
    values, each spread by the new labels (mean shrunk by √r, sd √(1 − r), r = n_prev ÷ n)."""
    if state.mass is None:
        return np.ones(1), np.zeros(1), 1.0
    r = state.information / information
    return state.mass, math.sqrt(r) * _GRID, math.sqrt(1.0 - r)


def _crossing(weights: Array, centres: Array, sd: float, boundary: float) -> float:
    return float(np.sum(weights * special.ndtr((centres - boundary) / sd)))


def interim_look(
    state: InterimState,
    *,
    information: float,
    time: float,
    confidence: float,
    spending: Spending = "pocock",
) -> InterimLook:
    """The boundary of a look with ``information`` labels (more than at the last look), at
    ``time`` = round ÷ planned rounds, and the state the next look starts from."""
    if information <= state.information:
        raise ValueError("a look needs more labels than the last one")
    alpha = 1.0 - confidence
    weights, centres, sd = _from_previous(state, information)
    budget = spent_by(time, alpha, spending) - state.spent
    if budget <= _NEGLIGIBLE or _crossing(weights, centres, sd, _LIMIT) >= budget:
        boundary = math.inf
    else:
        boundary = float(
            optimize.brentq(
                lambda c: _crossing(weights, centres, sd, c) - budget, -_LIMIT, _LIMIT, xtol=1e-7
            )
        )
    upper = np.minimum(_EDGES, boundary)
    cdf = special.ndtr((upper[None, :] - centres[:, None]) / sd)
    mass = weights @ np.diff(cdf, axis=1)
    spent = state.spent + (_crossing(weights, centres, sd, boundary) if boundary < math.inf else 0)
    threshold = 1.0 if boundary == math.inf else float(special.ndtr(boundary))
    return InterimLook(boundary, threshold, InterimState(information, spent, mass))


def interim_thresholds(
    information: Sequence[float], *, rounds: Sequence[int], planned_rounds: int, confidence: float
) -> list[float]:
    """The posterior probability a call needs at each look of a cell, from the labels at
    each look (increasing) and the round of each (1 … ``planned_rounds``)."""
    state, out = InterimState(), []
    for n, k in zip(information, rounds, strict=True):
        look = interim_look(state, information=n, time=k / planned_rounds, confidence=confidence)
        state = look.state
        out.append(look.threshold)
    return out


def interim_z(delta_draws: Array, margin: float) -> float:
    """(mean + margin) ÷ sd of Δ's draws: the normal scale the boundaries are drawn on."""
    sd = float(delta_draws.std())
    distance = float(delta_draws.mean()) + margin
    if sd == 0.0:
        return math.copysign(math.inf, distance) if distance != 0 else 0.0
    return distance / sd
