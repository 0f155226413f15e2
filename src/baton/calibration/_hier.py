"""Human pass rates within judge cells, regions partially pooled (exact grid, no MCMC).

For one model and dimension, region r and judge cell k: p_rk ~ Beta(μ_k κ_k, (1 − μ_k) κ_k),
so regions borrow strength within a cell as much as the data say they agree. μ_k has a
Jeffreys Beta(½, ½) prior; κ_k has p(κ) ∝ κ^(−3/2) on [0.5, 2000] (Gelman et al.'s
hierarchical-binomial prior, which leans to little pooling when regions disagree). The
hyperparameters' posterior is computed exactly on a grid from the beta-binomial marginal
likelihood, and p_rk is then drawn from its conjugate Beta given each hyperparameter draw.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, expit

__all__ = ["hierarchical_cell_rate_draws"]

Array = NDArray[np.float64]

_MU_LOGIT = np.linspace(-9.0, 9.0, 73)
_MU = expit(_MU_LOGIT)
_KAPPA = np.exp(np.linspace(np.log(0.5), np.log(2000.0), 41))
# Prior weights on the (logit μ, log κ) grid, Jacobians included:
# Jeffreys p(μ) dμ ∝ μ^½ (1 − μ)^½ d logit μ; p(κ) dκ ∝ κ^(−½) d log κ.
_LOG_PRIOR = (0.5 * np.log(_MU) + 0.5 * np.log1p(-_MU))[:, None] - 0.5 * np.log(_KAPPA)[None, :]


def _grid_log_posterior(passes: Array, trials: Array) -> Array:
    """Log posterior over the (μ, κ) grid for one cell; ``passes``/``trials`` per region."""
    alpha = _MU[:, None, None] * _KAPPA[None, :, None]
    beta = (1.0 - _MU)[:, None, None] * _KAPPA[None, :, None]
    loglik = betaln(alpha + passes, beta + trials - passes) - betaln(alpha, beta)
    log_post: Array = _LOG_PRIOR + loglik.sum(axis=2)
    return np.asarray(log_post - log_post.max(), dtype=np.float64)


def hierarchical_cell_rate_draws(
    passes: Array, trials: Array, *, rng: np.random.Generator, n_draws: int
) -> Array:
    """Draws of P(human pass | cell k) in each region: shape (n_draws, regions, cells).

    ``passes`` and ``trials`` have shape (regions, cells); they may be weighted
    (effective) counts.
    """
    regions, cells = trials.shape
    draws = np.empty((n_draws, regions, cells))
    for k in range(cells):
        weights = np.exp(_grid_log_posterior(passes[:, k], trials[:, k])).ravel()
        picks = rng.choice(weights.size, size=n_draws, p=weights / weights.sum())
        mu, kappa = _MU[picks // _KAPPA.size], _KAPPA[picks % _KAPPA.size]
        a = mu[:, None] * kappa[:, None] + passes[None, :, k]
        b = (1.0 - mu)[:, None] * kappa[:, None] + (trials - passes)[None, :, k]
        draws[:, :, k] = rng.beta(a, b)
    return draws
