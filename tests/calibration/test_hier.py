"""The pooled cell model's grid is computed once per distinct (prior, passes, trials) for all
cells at once; the draws must be those of a grid computed cell by cell."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import betaln

from baton.calibration import _hier
from baton.calibration._hier import hierarchical_cell_rate_draws


def _cell_by_cell(
    passes: np.ndarray, trials: np.ndarray, *, rng: np.random.Generator, n_draws: int
) -> np.ndarray:
    """The model's draws with each cell's grid computed on its own (the definition)."""
    draws = np.empty((n_draws, *trials.shape))
    for k in range(trials.shape[1]):
        s, n = passes[:, k], trials[:, k]
        alpha, beta = _hier._shared_prior(n)
        own_a, own_b = _hier._OWN_ALPHA, _hier._OWN_BETA
        shared = betaln(alpha[:, None] + s, beta[:, None] + n - s) - betaln(alpha, beta)[:, None]
        own = betaln(own_a[:, None] + s, own_b[:, None] + n - s) - betaln(own_a, own_b)[:, None]
        log_shared = np.log1p(-_hier.OUTLIER_PRIOR) + shared
        log_own = np.log(_hier.OUTLIER_PRIOR) + own
        log_mix = np.logaddexp(log_shared, log_own)
        log_post = _hier._LOG_PRIOR.ravel() + log_mix.sum(axis=1)
        weights = np.exp(log_post - log_post.max())
        picks = rng.choice(weights.size, size=n_draws, p=weights / weights.sum())
        p_own = np.exp(log_own[picks] - log_mix[picks])
        is_own = rng.random(p_own.shape) < p_own
        a = np.where(is_own, own_a[picks][:, None], alpha[picks][:, None]) + s[None, :]
        b = np.where(is_own, own_b[picks][:, None], beta[picks][:, None]) + (n - s)[None, :]
        draws[:, :, k] = rng.beta(a, b)
    return draws


@pytest.mark.parametrize("weighted", [False, True], ids=["counts", "effective-counts"])
def test_shared_grid_terms_give_the_cell_by_cell_draws(weighted: bool) -> None:
    rng = np.random.default_rng(11)
    trials = rng.integers(0, 6, size=(12, 7)).astype(float)
    trials[:, 0] = 0.0  # no labels in the cell
    trials[1:, 1] = 0.0  # one labelled group: the other floor
    trials[:, 2] = 4.0  # every group alike: one grid column
    if weighted:
        trials = trials * rng.uniform(0.6, 1.0, trials.shape)
    passes = np.floor(trials * rng.uniform(0.0, 1.0, trials.shape))
    passes[:, 2] = 3.0 * (trials[:, 2] > 0)
    fast = hierarchical_cell_rate_draws(passes, trials, rng=np.random.default_rng(5), n_draws=300)
    slow = _cell_by_cell(passes, trials, rng=np.random.default_rng(5), n_draws=300)
    np.testing.assert_array_equal(fast, slow)
