"""Baselines in the same interface: human-only, judge-only (uncalibrated) and PPI++.

Each returns posterior-like draws so pooling over regions, intervals and P(non-inferior)
are computed the same way for every method. PPI++ (Angelopoulos et al., 2023) is a
normal approximation; its draws come from a Beta matched to (estimate, se²) on the label
range, and two Jeffreys pseudo-labels keep se above 0 where every label agrees. Labels
count by traffic weight over inclusion probability. It is written here rather than taken
from ``ppi-python``, which needs numba, scikit-learn, statsmodels and gdown and
silences warnings process-wide on import; a test checks it against a hand-computed case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "PpiEstimate",
    "bounded_normal_draws",
    "human_pass_rate_draws",
    "judge_pass_rate_draws",
    "ppi_draws",
    "ppi_mean_estimate",
]

Array = NDArray[np.float64]
_JEFFREYS = 0.5


def human_pass_rate_draws(
    labels: Array,
    *,
    rng: np.random.Generator,
    n_draws: int,
    weights: Array | None = None,
) -> Array | None:
    """Beta(½ + passes, ½ + fails) draws from the human labels alone; None without labels.

    ``weights`` (traffic weight over inclusion probability) make passes and fails effective
    (Kish) counts, so labels chosen with unequal probability are not over-represented."""
    if labels.size == 0:
        return None
    if weights is None:
        passes, n = float(labels.sum()), float(labels.size)
    else:
        n = float(weights.sum() ** 2 / (weights * weights).sum())
        passes = n * float(np.average(labels, weights=weights))
    return rng.beta(_JEFFREYS + passes, _JEFFREYS + n - passes, size=n_draws)


def judge_pass_rate_draws(
    judge_pass: Array, weights: Array, *, rng: np.random.Generator, n_draws: int
) -> Array | None:
    """The uncalibrated judge pass share (weighted), for contrast: never a calibrated figure."""
    present = ~np.isnan(judge_pass)
    if not present.any():
        return None
    w = weights[present]
    n_eff = w.sum() ** 2 / (w * w).sum()
    share = float(np.average(judge_pass[present], weights=w))
    return rng.beta(_JEFFREYS + n_eff * share, _JEFFREYS + n_eff * (1 - share), size=n_draws)


@dataclass(frozen=True)
class PpiEstimate:
    """A PPI++ point estimate, its standard error and the tuned λ."""

    estimate: float
    se: float
    lam: float


def _mean(x: Array, w: Array) -> float:
    return float(np.average(x, weights=w))


def _kish(w: Array) -> float:
    return float(w.sum() ** 2 / (w * w).sum())


def _cov(x: Array, y: Array, w: Array) -> float:
    """Weighted covariance, corrected by n_eff / (n_eff − 1) (Kish): the sample
    covariance with ddof = 1 when the weights are equal."""
    n_eff = _kish(w)
    raw = float(np.average((x - _mean(x, w)) * (y - _mean(y, w)), weights=w))
    return raw * n_eff / (n_eff - 1.0) if n_eff > 1.0 else 0.0


def _with_pseudo_labels(
    labels: Array, scores: Array, weights: Array, bounds: tuple[float, float]
) -> tuple[Array, Array, Array]:
    """The labelled rows plus two pseudo-labels, one at each bound of the label range, each
    worth half an effective label and scored at the labelled rows' mean score — the
    Jeffreys prior's half success and half failure. A stratum whose labels all agree then
    keeps the uncertainty of a Jeffreys posterior instead of a zero variance."""
    half = 0.5 * float(weights.sum()) / _kish(weights)
    centre = _mean(scores, weights)
    return (
        np.concatenate([labels, bounds]),
        np.concatenate([scores, [centre, centre]]),
        np.concatenate([weights, [half, half]]),
    )


def ppi_mean_estimate(
    labels: Array,
    labelled_scores: Array,
    unlabelled_scores: Array,
    *,
    labelled_weights: Array | None = None,
    unlabelled_weights: Array | None = None,
    label_bounds: tuple[float, float] | None = None,
) -> PpiEstimate | None:
    """PPI++ with power tuning for a mean: θ = λ·mean(f_U) + mean(Y − λ·f_L).

    λ = Cov(Y, f_L) / ((1 + n/N)·Var(f)) clipped to [0, 1], which minimises the variance
    λ²·Var(f_U)/N + Var(Y − λ·f_L)/n. None with fewer than two labels.

    ``labelled_weights`` (traffic weight over inclusion probability) and
    ``unlabelled_weights`` (traffic weight) make the means Hájek means and n, N Kish
    effective counts, so labels chosen with unequal probability do not bias the estimate.
    ``label_bounds`` (the range of a label) adds a Jeffreys pseudo-label at each bound
    (``_with_pseudo_labels``), so the standard error is never 0 when the labels agree; without
    it the estimator is the textbook one.
    """
    if labels.size < 2:
        return None
    w_l = np.ones(labels.size) if labelled_weights is None else labelled_weights
    w_u = np.ones(unlabelled_scores.size) if unlabelled_weights is None else unlabelled_weights
    if label_bounds is not None:
        labels, labelled_scores, w_l = _with_pseudo_labels(
            labels, labelled_scores, w_l, label_bounds
        )
    n = _kish(w_l)
    if unlabelled_scores.size < 2:
        return PpiEstimate(_mean(labels, w_l), float(np.sqrt(_cov(labels, labels, w_l) / n)), 0.0)
    big_n = _kish(w_u)
    var_f = _cov(
        np.concatenate([labelled_scores, unlabelled_scores]),
        np.concatenate([labelled_scores, unlabelled_scores]),
        np.concatenate([w_l * (w_u.mean() / w_l.mean()), w_u]),
    )
    cov = _cov(labels, labelled_scores, w_l)
    lam = float(np.clip(cov / ((1 + n / big_n) * var_f), 0.0, 1.0)) if var_f > 0 else 0.0
    rectifier = labels - lam * labelled_scores
    estimate = lam * _mean(unlabelled_scores, w_u) + _mean(rectifier, w_l)
    variance = (
        lam**2 * _cov(unlabelled_scores, unlabelled_scores, w_u) / big_n
        + _cov(rectifier, rectifier, w_l) / n
    )
    return PpiEstimate(estimate, float(np.sqrt(max(variance, 0.0))), lam)


def bounded_normal_draws(
    estimate: float,
    se: float,
    bounds: tuple[float, float],
    *,
    rng: np.random.Generator,
    n_draws: int,
) -> Array:
    """Draws with mean ``estimate`` and sd ``se`` on ``bounds``: a Beta rescaled to the
    bounds and matched to both moments, or a normal where no Beta has them (the estimate
    outside the bounds, or a variance too large for its mean)."""
    low, high = bounds
    span = high - low
    m = (estimate - low) / span
    v = (se / span) ** 2
    if 0.0 < m < 1.0 and 0.0 < v < m * (1.0 - m):
        nu = m * (1.0 - m) / v - 1.0
        draws: Array = low + span * rng.beta(m * nu, (1.0 - m) * nu, size=n_draws)
        return draws
    return rng.normal(estimate, max(se, 1e-12), size=n_draws)


def ppi_draws(
    rows: pd.DataFrame,
    *,
    rng: np.random.Generator,
    n_draws: int,
    bounds: tuple[float, float] = (0.0, 1.0),
) -> Array | None:
    """Draws around the PPI++ estimate for one stratum (rows: human, score, weight,
    inclusion_prob): labels weighted by traffic weight over inclusion probability, the
    judge's mean over every scored row by traffic weight, Jeffreys pseudo-labels at the
    label ``bounds``; a Beta matched to the estimate and its standard error."""
    scored = rows[rows["score"].notna()]
    lab = scored["human"].notna().to_numpy()
    weight = scored["weight"].to_numpy(float)
    result = ppi_mean_estimate(
        scored["human"].to_numpy(float)[lab],
        scored["score"].to_numpy(float)[lab],
        scored["score"].to_numpy(float),
        labelled_weights=(weight / scored["inclusion_prob"].to_numpy(float))[lab],
        unlabelled_weights=weight,
        label_bounds=bounds,
    )
    if result is None:
        return None
    return bounded_normal_draws(result.estimate, result.se, bounds, rng=rng, n_draws=n_draws)
