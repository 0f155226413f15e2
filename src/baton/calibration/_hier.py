"""Human pass rates within judge cells, regions partially and robustly pooled (exact grid).

For one model and dimension, region r and judge cell k, p_rk comes from a two-part prior:
with probability 1 − ε it is drawn from the cell's shared Beta(μ_k κ_k, (1 − μ_k) κ_k)
(regions borrow strength as much as the data say they agree), with probability ε from a
region-specific, unit-information Beta(μ_k, 1 − μ_k) (the data alone, centred on the other
regions, so rates near 0 or 1 are not pulled towards ½). The second part keeps one region
whose judge behaves differently (a poor judge, a worse model there) from being pulled to
the others: the data of such a region make its own part overwhelmingly likely. μ_k has a
Jeffreys prior; κ_k has p(κ) ∝ κ^(−3/2) on [0.5, 2000] (Gelman et al.'s hierarchical
binomial prior). No region's prior is more extreme than Jeffreys' at a bound: both Beta
parameters are at least ½ (``_MIN_PRIOR_COUNT``), so a cell whose labels all agree is not
read as certain — without this floor a shared mean near 0 or 1 with a small κ acts as a
Haldane prior, and intervals built on such cells under-covered. How the shared Beta
reaches the floor depends on how many groups have labels. With two or more, κ is raised
until both parameters reach ½, so the mean stays μ: raising only the smaller parameter
moved the mean towards ½ and biased every region near 0.97–0.995 by −0.01 to −0.025 with
15–40 labels, so that pooled 90% intervals there covered 0.67–0.87. With one group, μ and
the group's rate cannot be told apart, the raised κ would read n passes out of n as
near certainty (a 90% interval at θ = 0.9 with 10 labels covered 0.58), and the smaller
parameter is raised instead: the group's posterior then stays close to Jeffreys'. (The
constants and the choice were set on a simulation grid of fixed rate sets — 0.96–0.995
over 4 regions, 0.985 over 8, 0.975/0.99 over 8, 0.7–0.9 over 4, 15 and 40 labels — not
on the calibration benchmark's scenarios; ``benchmarks/calibration_boundary.py`` checks
the result on rates drawn from 0.97–0.995.) The hyperparameters'
posterior is exact on a grid (beta-binomial marginal likelihoods, no MCMC); given a
hyperparameter draw, each region's part and then p_rk are drawn conjugately. The grid's
likelihood terms are computed once for all cells, per distinct (shared prior, passes,
trials): regions and cells with the same counts share them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, expit

__all__ = ["OUTLIER_PRIOR", "hierarchical_cell_rate_draws"]

Array = NDArray[np.float64]

OUTLIER_PRIOR = 0.2
"""ε: prior probability that a region's cell rate is its own rather than the shared one."""
_OWN_KAPPA = 1.0
_MIN_PRIOR_COUNT = 0.5
_MU_LOGIT = np.linspace(-9.0, 9.0, 73)
_MU = expit(_MU_LOGIT)
_KAPPA = np.exp(np.linspace(np.log(0.5), np.log(2000.0), 41))
# Prior weights on the (logit μ, log κ) grid, Jacobians included:
# Jeffreys p(μ) dμ ∝ μ^½ (1 − μ)^½ d logit μ; p(κ) dκ ∝ κ^(−½) d log κ.
_LOG_PRIOR = (0.5 * np.log(_MU) + 0.5 * np.log1p(-_MU))[:, None] - 0.5 * np.log(_KAPPA)[None, :]
_RAW_ALPHA, _RAW_BETA = _MU[:, None] * _KAPPA[None, :], (1.0 - _MU)[:, None] * _KAPPA[None, :]
# one labelled group: the smaller parameter raised to the floor
_ALPHA_ONE = np.maximum(_RAW_ALPHA, _MIN_PRIOR_COUNT).ravel()
_BETA_ONE = np.maximum(_RAW_BETA, _MIN_PRIOR_COUNT).ravel()
# several: κ raised until both reach it, the mean kept at μ
_RAISE = np.maximum(1.0, _MIN_PRIOR_COUNT / np.minimum(_RAW_ALPHA, _RAW_BETA))
_ALPHA_MANY = (_RAW_ALPHA * _RAISE).ravel()
_BETA_MANY = (_RAW_BETA * _RAISE).ravel()
_MU_EACH = np.repeat(_MU, _KAPPA.size)  # μ at every grid point, aligned with _ALPHA_*
# each grid point's region-specific ("own") Beta: unit information centred on μ, floored
_OWN_ALPHA = np.maximum(_MU_EACH * _OWN_KAPPA, _MIN_PRIOR_COUNT)
_OWN_BETA = np.maximum((1.0 - _MU_EACH) * _OWN_KAPPA, _MIN_PRIOR_COUNT)
# the distinct own Betas, and which one each grid point has
_OWN_DISTINCT, _OWN_WHERE = np.unique(
    np.stack([_OWN_ALPHA, _OWN_BETA]), axis=1, return_inverse=True
)


def _shared_prior(trials: Array) -> tuple[Array, Array]:
    """The shared Beta's parameters at every grid point: floored by raising κ when two or
    more groups have labels, by raising the smaller parameter when one has (see above)."""
    if np.count_nonzero(trials > 0) >= 2:
        return _ALPHA_MANY, _BETA_MANY
    return _ALPHA_ONE, _BETA_ONE


def _own_log_likelihood(passes: Array, fails: Array) -> Array:
    """log of the own Beta's marginal likelihood at every grid point, per column: computed
    once per distinct own prior (it varies with μ only) and spread over the grid."""
    a, b = _OWN_DISTINCT[0][:, None], _OWN_DISTINCT[1][:, None]
    distinct = betaln(a + passes, b + fails) - betaln(a, b)
    likelihood: Array = distinct[_OWN_WHERE.reshape(-1)]
    return likelihood


def _grid_terms(passes: Array, trials: Array, alpha: Array, beta: Array) -> tuple[Array, Array]:
    """Per grid point and (passes, trials) column: the log marginal likelihood of the two-part
    prior, (1 − ε)·shared + ε·own, and the probability that the column's rate is its own."""
    fails = trials - passes
    shared = betaln(alpha[:, None] + passes, beta[:, None] + fails) - betaln(alpha, beta)[:, None]
    log_shared = np.log1p(-OUTLIER_PRIOR) + shared
    log_own = np.log(OUTLIER_PRIOR) + _own_log_likelihood(passes, fails)
    log_mix = np.logaddexp(log_shared, log_own)
    return log_mix, np.exp(log_own - log_mix)


@dataclass(frozen=True)
class _CellGrid:
    """One cell's shared prior and its regions' grid terms (columns of ``log_mix``/``p_own``
    picked by ``columns``: regions with equal counts share a column)."""

    alpha: Array
    beta: Array
    log_mix: Array  # (grid, distinct columns)
    p_own: Array  # (grid, distinct columns)
    columns: NDArray[np.intp]  # (regions,)


def _cell_grids(passes: Array, trials: Array) -> list[_CellGrid]:
    """Grid terms for every cell, each distinct (shared prior, passes, trials) computed once."""
    priors = [_shared_prior(trials[:, k]) for k in range(trials.shape[1])]
    out: dict[int, _CellGrid] = {}
    # the shared priors in use: arrays of this module (two at most), told apart by identity
    for alpha, beta in {(id(a), id(b)): (a, b) for a, b in priors}.values():
        cells = [k for k, (a, b) in enumerate(priors) if a is alpha and b is beta]
        counts = np.stack([passes[:, cells].ravel(), trials[:, cells].ravel()])
        distinct, where = np.unique(counts, axis=1, return_inverse=True)
        log_mix, p_own = _grid_terms(distinct[0], distinct[1], alpha, beta)
        columns = where.reshape(len(passes), len(cells))
        for j, k in enumerate(cells):
            out[k] = _CellGrid(alpha, beta, log_mix, p_own, columns[:, j])
    return [out[k] for k in range(trials.shape[1])]


def _cell_draws(
    passes: Array, trials: Array, grid: _CellGrid, *, rng: np.random.Generator, n_draws: int
) -> Array:
    """Draws of p_r for one cell across regions: shape (n_draws, regions)."""
    log_post = _LOG_PRIOR.ravel() + grid.log_mix[:, grid.columns].sum(axis=1)
    weights = np.exp(log_post - log_post.max())
    picks = rng.choice(weights.size, size=n_draws, p=weights / weights.sum())
    p_own = grid.p_own[picks[:, None], grid.columns[None, :]]
    own = rng.random(p_own.shape) < p_own
    fails = trials - passes
    a = np.where(own, _OWN_ALPHA[picks][:, None], grid.alpha[picks][:, None]) + passes[None, :]
    b = np.where(own, _OWN_BETA[picks][:, None], grid.beta[picks][:, None]) + fails[None, :]
    draws: Array = rng.beta(a, b)
    return draws


def hierarchical_cell_rate_draws(
    passes: Array, trials: Array, *, rng: np.random.Generator, n_draws: int
) -> Array:
    """Draws of P(human pass | cell k) in each region: shape (n_draws, regions, cells).

    ``passes`` and ``trials`` have shape (regions, cells); they may be weighted
    (effective) counts.
    """
    regions, cells = trials.shape
    draws = np.empty((n_draws, regions, cells))
    for k, grid in enumerate(_cell_grids(passes, trials)):
        draws[:, :, k] = _cell_draws(passes[:, k], trials[:, k], grid, rng=rng, n_draws=n_draws)
    return draws
