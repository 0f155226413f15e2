"""Baselines in the same interface: human-only, judge-only (uncalibrated) and PPI++.

Each returns posterior-like draws so pooling over regions, intervals and P(non-inferior)
are computed the same way for every method. PPI++ (Angelopoulos et al., 2023) is a
normal approximation: its draws are from N(estimate, se²). It is written here rather than
taken from ``ppi-python``, which needs numba, scikit-learn, statsmodels and gdown and
silences warnings process-wide on import; a test checks it against a hand-computed case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "PpiEstimate",
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


def ppi_mean_estimate(
    labels: Array, labelled_scores: Array, unlabelled_scores: Array
) -> PpiEstimate | None:
    """PPI++ with power tuning for a mean: θ = λ·mean(f_U) + mean(Y − λ·f_L).

    λ = Cov(Y, f_L) / ((1 + n/N)·Var(f)) clipped to [0, 1], which minimises the variance
    λ²·Var(f_U)/N + Var(Y − λ·f_L)/n. None without labels.
    """
    n, big_n = labels.size, unlabelled_scores.size
    if n < 2:
        return None
    if big_n < 2:
        return PpiEstimate(float(labels.mean()), float(labels.std(ddof=1) / np.sqrt(n)), 0.0)
    all_scores = np.concatenate([labelled_scores, unlabelled_scores])
    var_f = float(all_scores.var(ddof=1))
    cov = float(np.cov(labels, labelled_scores, ddof=1)[0, 1])
    lam = float(np.clip(cov / ((1 + n / big_n) * var_f), 0.0, 1.0)) if var_f > 0 else 0.0
    rectifier = labels - lam * labelled_scores
    estimate = lam * float(unlabelled_scores.mean()) + float(rectifier.mean())
    variance = (
        lam**2 * float(unlabelled_scores.var(ddof=1)) / big_n + float(rectifier.var(ddof=1)) / n
    )
    return PpiEstimate(estimate, float(np.sqrt(variance)), lam)


def ppi_draws(rows: pd.DataFrame, *, rng: np.random.Generator, n_draws: int) -> Array | None:
    """Normal draws around the PPI++ estimate for one stratum (rows: human, score)."""
    scored = rows[rows["score"].notna()]
    lab = scored["human"].notna()
    result = ppi_mean_estimate(
        scored.loc[lab, "human"].to_numpy(float),
        scored.loc[lab, "score"].to_numpy(float),
        scored.loc[~lab, "score"].to_numpy(float),
    )
    if result is None:
        return None
    return rng.normal(result.estimate, max(result.se, 1e-12), size=n_draws)
