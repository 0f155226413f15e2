"""Bayesian post-stratification on the judge's categories (DESIGN.md §4.2).

θ = Σ_k P(S=k) · P(Y=1 | S=k): the share of each judge category comes from every judged
response (Dirichlet), the human pass rate within each category from the labelled ones
(Beta). Calibration is per stratum, so one model's judge bias is never applied to another.
Pure functions: arrays in, posterior draws out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_DRAWS",
    "central_interval",
    "pooled_draws",
    "poststratified_pass_rate_draws",
]

DEFAULT_DRAWS = 4000
_DIRICHLET_PRIOR = 0.5
_BETA_PRIOR = (0.5, 0.5)


def _category_counts(values: NDArray[np.int64], categories: Sequence[int]) -> NDArray[np.float64]:
    return np.array([np.count_nonzero(values == c) for c in categories], dtype=np.float64)


def poststratified_pass_rate_draws(
    judged: NDArray[np.int64],
    labelled: NDArray[np.int64],
    labels: NDArray[np.int64],
    *,
    categories: Sequence[int],
    rng: np.random.Generator,
    n_draws: int = DEFAULT_DRAWS,
) -> NDArray[np.float64]:
    """Posterior draws of a stratum's human pass rate.

    ``judged`` holds the judge category of every response in the stratum; ``labelled`` the
    judge category of each human-labelled response and ``labels`` its human label (1/0).
    Categories outside ``categories`` are an error: callers map abstentions to a category
    of their own.
    """
    if labelled.shape != labels.shape:
        raise ValueError("labelled and labels must have the same length")
    known = np.isin(judged, categories).all() and np.isin(labelled, categories).all()
    if not known:
        raise ValueError(f"judge categories must be among {list(categories)}")
    shares = rng.dirichlet(_category_counts(judged, categories) + _DIRICHLET_PRIOR, n_draws)
    n_k = _category_counts(labelled, categories)
    y_k = np.array([labels[labelled == c].sum() for c in categories], dtype=np.float64)
    a, b = _BETA_PRIOR
    rates = rng.beta(y_k + a, n_k - y_k + b, size=(n_draws, len(categories)))
    draws: NDArray[np.float64] = (shares * rates).sum(axis=1)
    return draws


def pooled_draws(
    draws_by_region: dict[str, NDArray[np.float64]], shares: dict[str, float]
) -> NDArray[np.float64]:
    """Traffic-weighted draws over regions (the ``ALL`` region)."""
    total = sum(shares[r] for r in draws_by_region)
    pooled = sum(shares[r] / total * d for r, d in draws_by_region.items())
    return np.asarray(pooled, dtype=np.float64)


def central_interval(draws: NDArray[np.float64], level: float) -> tuple[float, float, float]:
    """Posterior mean and the central credible interval at ``level``."""
    tail = (1.0 - level) / 2.0
    lower, upper = np.quantile(draws, [tail, 1.0 - tail])
    return float(draws.mean()), float(lower), float(upper)
