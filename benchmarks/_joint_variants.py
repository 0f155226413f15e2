"""Alternatives to the joint model of Δ (``baton.calibration._joint``), for comparison in the
benchmarks only: each is installed by patching the engine for the life of the process.

- ``chain`` (shipped): P(y_A | j), then P(y_B | y_A, j), each pooled over regions (and the
  other model's judge categories) with the robust hierarchical prior.
- ``chain, t per region``: the same, with P(y_B | y_A, j) pooled over A's categories within
  each region only (no borrowing of the candidate's conditional rate across regions).
- ``chain, t unpooled``: P(y_B | y_A, j) with a Jeffreys prior in every region and cell.
- ``symmetric``: c_j = P(y_A = y_B | j) and u_j = P(y_B = 1 | y_A ≠ y_B, j), each pooled
  over the regions within its joint cell; Δ = Σ_j π_j (1 − c_j)(2 u_j − 1). Swapping the
  models maps u to 1 − u, so neither model is favoured by the prior (issue 16's "Dirichlet
  over the four joint outcomes within joint judge cells", in two rates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from baton.calibration import _engine, _joint

__all__ = ["VARIANTS", "use"]

Array = NDArray[np.float64]
_SHIPPED_T, _SHIPPED_JOINT = _joint._t_draws, _joint.joint_delta_draws


def _t_per_region(cells: Any, *, pool: bool, rng: np.random.Generator, n_draws: int) -> Array:
    n_r, k_a, k_b = cells.judged.shape
    if not pool:
        return _SHIPPED_T(cells, pool=pool, rng=rng, n_draws=n_draws)
    out = np.empty((n_draws, n_r, k_a, k_b, 2))
    for r in range(n_r):
        passes = cells.passes_b[r].reshape(k_a, k_b * 2)
        trials = cells.trials_b[r].reshape(k_a, k_b * 2)
        draws = _joint._rate_draws(passes, trials, pool=True, rng=rng, n_draws=n_draws)
        out[:, r] = draws.reshape(n_draws, k_a, k_b, 2)
    return out


def _t_unpooled(cells: Any, *, pool: bool, rng: np.random.Generator, n_draws: int) -> Array:
    return _SHIPPED_T(cells, pool=False, rng=rng, n_draws=n_draws)


def _symmetric(
    cells: Any, *, pool: bool, rng: np.random.Generator, n_draws: int
) -> dict[str, Array | None]:
    """Δ per region from (c, u), counted from the shipped cells' pair counts."""
    n_r, k_a, k_b = cells.judged.shape
    both, a_only = cells.passes_b[..., 1], cells.trials_b[..., 1] - cells.passes_b[..., 1]
    b_only, neither = cells.passes_b[..., 0], cells.trials_b[..., 0] - cells.passes_b[..., 0]

    def flat(x: Array) -> Array:
        return x.reshape(n_r, k_a * k_b)

    agree = _joint._rate_draws(
        flat(both + neither), flat(cells.trials_b.sum(axis=-1)), pool=pool, rng=rng, n_draws=n_draws
    )
    b_wins = _joint._rate_draws(
        flat(b_only), flat(a_only + b_only), pool=pool, rng=rng, n_draws=n_draws
    )
    per_cell = (1.0 - agree) * (2.0 * b_wins - 1.0)
    return _joint.region_deltas(cells, per_cell.reshape(n_draws, n_r, k_a, k_b), rng=rng)


VARIANTS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "chain": (_SHIPPED_T, _SHIPPED_JOINT),
    "chain, t per region": (_t_per_region, _SHIPPED_JOINT),
    "chain, t unpooled": (_t_unpooled, _SHIPPED_JOINT),
    "symmetric": (_SHIPPED_T, _symmetric),
}


def use(variant: str) -> None:
    """Install ``variant`` in the engine (``chain`` restores the shipped model)."""
    _joint._t_draws, joint = VARIANTS[variant]
    # the name the engine calls it by (not exported, so mypy wants setattr)
    setattr(_engine, "joint_delta_draws", joint)  # noqa: B010
