"""Δ pooled across regions: a robust normal hierarchy over each region's own Δ posterior.

Opt-in (``estimate_frame(pool_deltas=True)``, a study's ``decision.pool_regions``). Each
region's Δ posterior (from the joint model of its pairs) is summarised by its mean d_r and
standard deviation s_r and read as a normal likelihood. The regions' true differences are

    Δ_r = μ + u_r,   u_r ~ N(0, τ²) with probability 1 − ε,   N(0, W²) with probability ε,

μ flat, τ half-normal with scale ``tau_scale`` (in pass-rate points), W wide: a region
whose Δ differs clearly from the others is read as its own ("own" part) and keeps its own
estimate, the others borrow strength as much as their agreement allows. The posterior of
(μ, τ) is exact on a grid; given a draw of them, a region's part is drawn from its odds,
and its pooled draws are its own draws shrunk towards μ by B = s_r² / (s_r² + τ²) (mean
(1 − B) d_r + B μ, spread √(1 − B) around it: the shape of the region's own posterior is
kept). A region without draws stays without. The regions' own posteriors already share
the judge-cell rates' partial pooling (``_joint``); reading them as independent normal
likelihoods counts that shared part once per region, an approximation whose effect is in
the benchmark's figures.

The price is stated where the option is documented and measured in
``benchmarks/decisions_pooling.py``: when every region's Δ is alike, pooling buys a region
the information of several; when one region is truly worse by a margin and the others are
not, no prior can tell it from noise with few labels, and that region's chance of a false
go rises far above 1 − confidence. Per-region error control is the default for that reason.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from scipy.special import logsumexp

__all__ = ["DEFAULT_TAU_SCALE", "OWN_DELTA_PRIOR", "pooled_region_deltas"]

Array = NDArray[np.float64]

DEFAULT_TAU_SCALE = 0.05
"""Half-normal scale of the regions' spread τ (pass-rate points): 5 points."""
OWN_DELTA_PRIOR = 0.2
"""ε: prior probability that a region's Δ is its own rather than drawn with the others'."""
_OWN_SPREAD = 0.5  # W: an own region's Δ is N(μ, W²), nearly flat on [−1, 1]
_TAU_POINTS = 48
_MU_POINTS = 161


def _log_normal(x: Array, mean: Array, var: Array) -> Array:
    return np.asarray(-0.5 * ((x - mean) ** 2 / var + np.log(2.0 * np.pi * var)))


def _grid(d: Array, s: Array, tau_scale: float) -> tuple[Array, Array]:
    """The (μ, τ) grid: μ over the regions' estimates ± 4 of their largest s.d."""
    half = 4.0 * float(s.max())
    mu = np.linspace(float(d.min()) - half, float(d.max()) + half, _MU_POINTS)
    tau = np.linspace(0.0, 4.0 * tau_scale, _TAU_POINTS)
    return mu, tau


def _parts(d: Array, s: Array, mu: Array, tau: Array) -> tuple[Array, Array]:
    """log (1 − ε)·shared and log ε·own likelihood per (μ, τ, region)."""
    var = s[None, None, :] ** 2
    shared = _log_normal(d[None, None, :], mu[:, None, None], var + tau[None, :, None] ** 2)
    own = _log_normal(d[None, None, :], mu[:, None, None], var + _OWN_SPREAD**2)
    own = np.broadcast_to(own, shared.shape)
    return np.log1p(-OWN_DELTA_PRIOR) + shared, np.log(OWN_DELTA_PRIOR) + own


def _pool(draws: Array, tau_scale: float, rng: np.random.Generator) -> Array:
    """Pooled draws for regions whose draws are the columns of ``draws`` (n_draws, R)."""
    n_draws = draws.shape[0]
    d, s = draws.mean(axis=0), np.maximum(draws.std(axis=0), 1e-6)
    mu, tau = _grid(d, s, tau_scale)
    log_shared, log_own = _parts(d, s, mu, tau)
    log_mix = np.logaddexp(log_shared, log_own)
    log_post = log_mix.sum(axis=2) - 0.5 * (tau / tau_scale)[None, :] ** 2
    weights = np.exp(log_post - logsumexp(log_post)).ravel()
    picks = rng.choice(weights.size, size=n_draws, p=weights / weights.sum())
    i_mu, i_tau = np.divmod(picks, tau.size)
    p_own = np.exp(log_own[i_mu, i_tau] - log_mix[i_mu, i_tau])  # (n_draws, R)
    own = rng.random(p_own.shape) < p_own
    t2 = tau[i_tau][:, None] ** 2
    shrink = np.where(own, 0.0, s[None, :] ** 2 / (s[None, :] ** 2 + t2))
    centre = (1.0 - shrink) * d[None, :] + shrink * mu[i_mu][:, None]
    pooled: Array = centre + np.sqrt(1.0 - shrink) * (draws - d[None, :])
    return pooled


def pooled_region_deltas(
    by_region: Mapping[str, Array | None],
    *,
    rng: np.random.Generator,
    tau_scale: float = DEFAULT_TAU_SCALE,
) -> dict[str, Array | None]:
    """Each region's Δ draws pooled with the other regions' (see the module docstring).

    With fewer than two regions with draws nothing is pooled.
    """
    present = [r for r, x in by_region.items() if x is not None]
    out = dict(by_region)
    if len(present) < 2:
        return out
    stacked = np.column_stack([np.asarray(by_region[r], dtype=np.float64) for r in present])
    pooled = _pool(stacked, tau_scale, rng)
    for j, region in enumerate(present):
        out[region] = pooled[:, j]
    return out
