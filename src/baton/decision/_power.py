"""``baton plan`` without simulating the label loop: the labels each cell needs, from a
normal approximation of the calibrated estimate and the loop's own boundaries.

Before any label, each (dimension, model, region)'s judge pass share q and the prior on the
judge (sensitivity Se, specificity Sp) give its human pass rate θ = (q + Sp − 1) /
(Se + Sp − 1) and the pass rate of the items the judge passes (θ Se / q) and fails
(θ (1 − Se) / (1 − q)). A calibrated estimate is the judge's prediction over every judged
item, corrected by the labelled items' residuals (human label − prediction); its variance
with n labels per model out of N judged items is

    σ²(n) = (Var g_candidate + Var g_incumbent) / N + (v_candidate + v_incumbent) / n,

g the prediction (the pass rate of the items with the same judge verdict) and v the
residual variance. A good judge has small v, so each label carries more information than a
label alone (v = θ(1 − θ) without a judge). The allocation (``allocate_units``) draws
labels where judge and raters disagree most, which lowers v by a factor computed from the
judge verdicts' shares (``_allocation_gain``); labels are drawn without replacement from
the pool, so the residuals' running sum is a Brownian bridge tied at the pool. σ(n) (uniform
labels) matched the ``bayes`` posterior sd within 3% at 40, 100 and 200 labels of a
400-item stratum (judge Se = Sp = 0.9).

The loop's rule is then applied to that normal approximation: the stratum's looks at the
labels it gets per round (the batch spread over the blocking strata), its first look at
``MIN_LOOK_LABELS``, the interim boundary of each look (``interim_look``, time = the share
of the budget spent), the early no-go, and no call past the budget or the pool. Paths of the
estimate are drawn (a shared incumbent residual for the stratum's candidates) and each
cell's labels to its call counted; the 80% and 95% quantiles are the labels to decide with
that probability. It runs in well under a second where the simulated loop refits the model
at every look (``plan_labels``, kept as ``baton plan --simulate``); the decisions benchmark
and ``tests/decision/test_power.py`` compare the two.

A need is never printed beyond what the stratum's pool of items (the judged items of its
scarcest model) or its share of the budget can supply; a cell that is not reached says why:
the margin is not reachable at this judge quality (Δ sits too close to the margin even with
every judged item labelled; the margin that would be), the pool is too small (the labels it
would need), or the budget (the budget that would do).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from baton.decision._interim import InterimState, interim_look
from baton.decision._looks import (
    DEFAULT_DESIGN,
    EARLY_NO_GO,
    LOOK_DESIGNS,
    MIN_LOOK_LABELS,
    LookDesign,
)
from baton.decision._noninferiority import MAX_LABELS_NEEDED
from baton.decision._planning import CellPlan, JudgePrior, LabelPlan, StratumPlan
from baton.decision._types import SIGNAL

__all__ = ["plan_power"]

_EARLY_Z = float(special.ndtri(EARLY_NO_GO))
"""z at which P(Δ > −margin) = ``EARLY_NO_GO``: an early no-go at any look."""


@dataclass(frozen=True)
class _Model:
    """A (dimension, model, region)'s judged items, and its variances per the prior."""

    n_items: int
    theta: float
    residual: float  # v: variance of a label around the judge's prediction
    prediction: float  # Var g over the judged items
    passed: float = 0.5  # q: share the judge passes
    spread: tuple[float, float] = (0.25, 0.25)  # label variance where the judge fails, passes


def _models(table: pd.DataFrame, prior: JudgePrior) -> dict[tuple[str, str, str], _Model]:
    score = table[SIGNAL].astype(float)
    low = score.groupby(table["dimension"]).transform("min")
    high = score.groupby(table["dimension"]).transform("max")
    says = (score > (low + high) / 2).astype(float)
    frame = pd.DataFrame(
        {
            "dimension": table["dimension"].astype(str),
            "model": table["model"].astype(str),
            "region": table["region"].astype(str),
            "says": says,
        }
    )
    stats = frame.groupby(["dimension", "model", "region"])["says"].agg(["mean", "size"])
    se, sp = prior.sensitivity, prior.specificity
    out: dict[tuple[str, str, str], _Model] = {}
    means = stats["mean"].to_numpy(float)
    sizes = stats["size"].to_numpy(int)
    for (dim, model, region), q_raw, size in zip(stats.index, means, sizes, strict=True):
        theta = float(np.clip((q_raw + sp - 1) / (se + sp - 1), 0.01, 0.99))
        q = theta * se + (1 - theta) * (1 - sp)
        ppv, fpv = theta * se / q, theta * (1 - se) / (1 - q)
        residual = q * ppv * (1 - ppv) + (1 - q) * fpv * (1 - fpv)
        prediction = q * (1 - q) * (ppv - fpv) ** 2
        spread = (fpv * (1 - fpv), ppv * (1 - ppv))
        key = (str(dim), str(model), str(region))
        out[key] = _Model(int(size), theta, residual, prediction, q, spread)
    return out


def _allocation_gain(base: _Model, candidates: list[_Model]) -> float:
    """How much less variance a label has under the allocation (``allocate_units``: items
    drawn with probability ∝ the sd of the human label given every model's judge verdict,
    summed in quadrature) than under a uniform draw, averaged over the stratum's cells:
    E[score] E[σ²_cell / score] ÷ E[σ²_cell] over the judge verdicts (taken independent)."""
    models = [base, *candidates]
    verdicts = np.array(list(itertools.product((0, 1), repeat=len(models))))
    chance = np.prod(
        [np.where(verdicts[:, i] == 1, m.passed, 1 - m.passed) for i, m in enumerate(models)],
        axis=0,
    )
    spread = np.array(
        [[m.spread[v] for v in verdicts[:, i]] for i, m in enumerate(models)]
    )  # models × combinations
    score = np.sqrt(spread.sum(axis=0))
    mean_score = float(chance @ score)
    gains = []
    for i in range(1, len(models)):
        cell = spread[0] + spread[i]
        uniform = float(chance @ cell)
        if uniform > 0:
            gains.append(mean_score * float(chance @ (cell / np.maximum(score, 1e-12))) / uniform)
    return float(np.mean(gains)) if gains else 1.0


def _boundaries(
    looks: NDArray[np.float64], share: float, confidence: float, design: LookDesign
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The go and no-go boundaries (z) at each point a stratum gets labels (labels per
    model): NaN where the design makes no look (before ``MIN_LOOK_LABELS``, between looks
    ``look_ratio`` apart), inf where no call is possible (past the budget)."""
    go, no_go = np.full(len(looks), np.nan), np.full(len(looks), np.nan)
    go_state, no_state = InterimState(), InterimState()
    for k, n in enumerate(looks):
        time = n / share
        if n < MIN_LOOK_LABELS:
            continue
        if time > 1.0 + 1e-9:
            go[k:], no_go[k:] = math.inf, math.inf
            break
        last = k == len(looks) - 1 or time >= 1.0 - 1e-9
        if go_state.information > 0 and n < design.look_ratio * go_state.information and not last:
            continue
        time = min(time, 1.0)
        step = interim_look(
            go_state,
            information=float(n),
            time=time,
            confidence=confidence,
            spending=design.go_spending,
        )
        go_state, go[k] = step.state, step.boundary
        no_go[k] = go[k]
        if design.separate_no_go():
            other = interim_look(
                no_state,
                information=float(n),
                time=time,
                confidence=design.no_go_confidence(confidence),
                spending=design.no_go_spending,
            )
            no_state, no_go[k] = other.state, design.no_go_floor(other.boundary, confidence)
    return go, no_go


_BOUNDARIES: dict[
    tuple[float, float, float, float, LookDesign],
    tuple[NDArray[np.float64], NDArray[np.float64]],
] = {}


def _cached_boundaries(
    step: float, last: float, share: float, confidence: float, design: LookDesign
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    key = (step, last, share, confidence, design)
    if key not in _BOUNDARIES:
        _BOUNDARIES[key] = _boundaries(_looks(step, last), share, confidence, design)
    return _BOUNDARIES[key]


def _looks(step: float, last: float) -> NDArray[np.float64]:
    """Labels per model at each look: every ``step`` up to ``last`` (the last one exact)."""
    looks = np.arange(step, last + 1e-9, step)
    if len(looks) == 0 or looks[-1] < last - 1e-9:
        looks = np.append(looks, last)
    return np.floor(looks + 1e-9)


def _quantile(values: NDArray[np.float64], level: float) -> int | None:
    value = float(np.quantile(values, level, method="inverted_cdf"))
    return None if not math.isfinite(value) else math.ceil(value)


@dataclass(frozen=True)
class _Design:
    confidence: float
    share: float  # labels per model a stratum gets before the budget is spent
    step: float  # labels per model a stratum gets per round
    budget: int
    n_models: int
    n_strata: int


def _reason(
    delta: float,
    margin: float,
    *,
    sd2: tuple[float, float],
    pool: int,
    boundary: float,
    level_z: float,
    design: _Design,
) -> str:
    """Why a cell is not called with the probability ``level_z`` stands for."""
    judge_part, per_label = sd2
    distance = abs(delta + margin)
    target = (distance / (boundary + level_z)) ** 2
    need = math.inf if target <= judge_part else per_label / (target - judge_part)
    if need > min(MAX_LABELS_NEEDED, 4 * pool):
        wide = (boundary + level_z) * math.sqrt(judge_part + per_label / max(pool, 1))
        if delta + margin >= -1e-9:
            other = f"a margin of about {wide - delta:.3f} would be reachable"
        else:
            other = f"a margin of {max(-delta - wide, 0.0):.3f} or less would be called no-go"
        return (
            f"margin unreachable at this judge quality: Δ ≈ {delta:+.3f} sits too close to "
            f"−{margin:g} even with all {pool} judged items labelled; {other}"
        )
    labels = math.ceil(need)
    if labels > pool:
        return (
            f"pool of items too small: about {labels} labels per model needed, "
            f"{pool} items judged in the stratum (judge more items or pool regions)"
        )
    budget = int(math.ceil(labels * design.n_models * design.n_strata / 10) * 10)
    return (
        f"budget: about {labels} labels per model needed, the budget gives the stratum "
        f"about {int(design.share)} (a budget of about {max(budget, design.budget):,} would do)"
    )


def _stratum_paths(
    cells: list[tuple[str, float, float, float, float, float]],
    baseline_residual: float,
    *,
    looks: NDArray[np.float64],
    bounds: tuple[NDArray[np.float64], NDArray[np.float64]],
    rng: np.random.Generator,
    paths: int,
) -> list[tuple[NDArray[np.float64], NDArray[np.bool_]]]:
    """Per cell (candidate, Δ, margin, residual, judge part): labels per model at its call
    on each path (inf: none) and whether the call was go."""
    # Labels are drawn without replacement from the stratum's pool: the residuals' running
    # sum is a Brownian bridge tied at the pool (variance n (1 − n / pool)), and the pool's
    # own residual mean (variance v / pool) joins the judge part of the error.
    pool = float(cells[0][5]) if cells else 1.0
    fraction = np.minimum(looks / pool, 1.0)[None, :]
    scale = np.sqrt(np.diff(np.concatenate([[0.0], looks])))[None, :]

    def bridge(variance: float) -> NDArray[np.float64]:
        walk = np.cumsum(rng.standard_normal((paths, len(looks))) * scale, axis=1)
        rest = math.sqrt(max(pool - float(looks[-1]), 0.0))
        at_pool = walk[:, -1:] + rng.standard_normal((paths, 1)) * rest
        return math.sqrt(variance) * (walk - fraction * at_pool)

    base = bridge(baseline_residual)
    out = []
    for _, delta, margin, residual, judge_part, _pool in cells:
        own = bridge(residual)
        spread = judge_part + (residual + baseline_residual) / pool
        fixed = rng.standard_normal((paths, 1)) * math.sqrt(spread)
        estimate = delta + fixed + (own - base) / looks[None, :]
        sd = np.sqrt(judge_part + (residual + baseline_residual) / looks)[None, :]
        z = (estimate + margin) / sd
        go_at, no_go_at = bounds
        go = np.isfinite(go_at)[None, :] & (z >= go_at[None, :])
        no_go = (np.isfinite(no_go_at)[None, :] & (z <= -no_go_at[None, :])) | (z <= _EARLY_Z)
        called = go | no_go
        first = np.where(called.any(axis=1), called.argmax(axis=1), -1)
        at = np.where(first >= 0, looks[np.maximum(first, 0)], np.inf)
        was_go = (first >= 0) & go[np.arange(paths), np.maximum(first, 0)]
        out.append((at, was_go))
    return out


def _cells(
    base: _Model,
    present: list[tuple[str, _Model]],
    *,
    delta: float | None,
    margin: float,
    gain: float,
    pool: int,
) -> list[tuple[str, float, float, float, float, float]]:
    """Each candidate's cell in a stratum, as the paths read it: (candidate, Δ, margin,
    its residual variance, the judge part of Δ's variance, the pool)."""
    return [
        (
            c,
            (m.theta - base.theta) if delta is None else delta,
            margin,
            m.residual * gain,
            (m.prediction + base.prediction) / min(m.n_items, base.n_items),
            float(pool),
        )
        for c, m in present
    ]


def _stratum_plan(
    stratum: tuple[str, str], stratum_at: np.ndarray, planned: list[CellPlan]
) -> StratumPlan:
    """A stratum's plan: labels at which its last cell is called, and its first reason."""
    reasons = [p.reason for p in planned if p.reason]
    return StratumPlan(
        *stratum,
        _quantile(stratum_at, 0.8),
        _quantile(stratum_at, 0.95),
        float(np.isfinite(stratum_at).mean()),
        reasons[0] if reasons else "",
    )


def _cell_plan(
    stratum: tuple[str, str],
    cell: tuple[str, float, float, float, float, float],
    result: tuple[np.ndarray, np.ndarray],
    *,
    base_residual: float,
    pool: int,
    final: float,
    layout: _Design,
) -> CellPlan:
    """One cell's plan from its simulated paths (labels at the call, whether it went go),
    with the reason a 95% (or 80%) need is not reached."""
    (dim, region), (candidate, delta, margin, residual, judge_part, _) = stratum, cell
    at, was_go = result
    l80, l95 = _quantile(at, 0.8), _quantile(at, 0.95)
    reason = ""
    if l95 is None:
        level_z = float(special.ndtri(0.95 if l80 is not None else 0.8))
        sd2 = (judge_part, residual + base_residual)
        reason = _reason(
            delta, margin, sd2=sd2, pool=pool, boundary=final, level_z=level_z, design=layout
        )
        if l80 is not None:
            reason = f"95% {reason}"
    return CellPlan(
        dim, candidate, region, delta, margin, pool, l80, l95,
        float(was_go.mean()), float(np.isfinite(at).mean()), reason,
    )  # fmt: skip


def plan_power(
    table: pd.DataFrame,
    *,
    baseline: str,
    margins: Mapping[str, float],
    blocking: Mapping[str, bool],
    confidence: float,
    prior: JudgePrior,
    minutes_per_label: float,
    batch_units: int = 20,
    max_labels: int = 20_000,
    delta: float | None = None,
    allocated: bool = True,
    design: LookDesign | None = None,
    paths: int = 2000,
    seed: int = 0,
    on_stratum: Callable[[int, int], None] | None = None,
) -> LabelPlan:
    """The labels each blocking cell and stratum needs, and the study's total, with 80% and
    95% probability, from the judged responses of ``table`` under ``prior`` (module doc).
    ``delta``: assume this Δ in every cell (e.g. 0: the candidate as good as the incumbent)
    rather than the one the judge's pass shares imply; ``allocated``: labels drawn by the
    allocation (as ``baton next`` does), else uniformly; ``design``: the loop's looks and
    spending (``LookDesign``); ``on_stratum(done, total)``."""
    rng = np.random.default_rng(seed)
    models = _models(table, prior)
    model_names = sorted({m for _, m, _ in models})
    candidates = [m for m in model_names if m != baseline]
    strata = sorted({(d, r) for d, _, r in models if blocking.get(r, False)})
    n_models = len(model_names)
    share = max_labels / max(n_models * len(strata), 1)
    step = max(1.0, float(batch_units) / max(len(strata), 1))
    design = design or LOOK_DESIGNS[DEFAULT_DESIGN]
    layout = _Design(confidence, share, step, max_labels, n_models, len(strata))
    cell_plans: list[CellPlan] = []
    stratum_plans: list[StratumPlan] = []
    totals = np.zeros(paths)
    for done, (dim, region) in enumerate(strata):
        base = models.get((dim, baseline, region))
        own = [(c, models.get((dim, c, region))) for c in candidates]
        present = [(c, m) for c, m in own if m is not None]
        if base is None or not present:
            continue
        pool = min([base.n_items] + [m.n_items for _, m in present])
        gain = _allocation_gain(base, [m for _, m in present]) if allocated else 1.0
        last = max(1.0, min(float(pool), math.floor(share)))
        looks = _looks(step, last)
        bounds = _cached_boundaries(
            step, last, share, confidence, design or LOOK_DESIGNS[DEFAULT_DESIGN]
        )
        finite = bounds[0][np.isfinite(bounds[0])]
        final = float(finite[-1]) if len(finite) else float(special.ndtri(confidence))
        margin = float(margins.get(dim, 0.0))
        cells = _cells(base, present, delta=delta, margin=margin, gain=gain, pool=pool)
        results = _stratum_paths(
            cells, base.residual * gain, looks=looks, bounds=bounds, rng=rng, paths=paths
        )
        stratum_at = np.max(np.vstack([at for at, _ in results]), axis=0)
        totals += stratum_at * n_models
        planned = [
            _cell_plan(
                (dim, region),
                cell,
                result,
                base_residual=base.residual * gain,
                pool=pool,
                final=final,
                layout=layout,
            )
            for cell, result in zip(cells, results, strict=True)
        ]
        cell_plans += planned
        stratum_plans.append(_stratum_plan((dim, region), stratum_at, planned))
        if on_stratum is not None:
            on_stratum(done + 1, len(strata))
    return LabelPlan(
        tuple(stratum_plans),
        _quantile(totals, 0.8),
        _quantile(totals, 0.95),
        minutes_per_label,
        paths,
        cells=tuple(cell_plans),
        method="analytic",
    )
