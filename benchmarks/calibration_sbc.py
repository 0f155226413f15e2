"""Simulation-based calibration (Talts et al., 2018) of ``method="bayes"``'s joint Δ with
several regions, through ``estimate`` (issue 16: "SBC of the full pipeline").

Run: ``python -m benchmarks.calibration_sbc --reps 400``; ``--mutation`` breaks the
engine on purpose (see ``mutate``) to show what the SBC can and cannot detect.

Each replication draws the truth from the joint model's own prior (``_joint``, ``_hier``),
a table from the truth, fits it and ranks the true Δ among the posterior draws — in each
region and pooled over the regions ("ALL", by traffic share). Ranks must be uniform.

The truth, with a binary judge for each model (K_A = K_B = 2) and ``REGIONS`` regions:

- joint judge-cell shares π_r ~ Dirichlet(1) over the four cells (k_A, k_B), independently
  in each region (a proper prior; the engine's Bayesian bootstrap is its limit with many
  judged items);
- a = P(y_A = 1 | r, k_A, k_B): one column per k_A, pooled over the groups (r, k_B) — as
  ``_joint._a_draws`` pools them;
- t = P(y_B = 1 | y_A, r, k_A, k_B): one column per (k_B, y_A), pooled over the groups
  (r, k_A) — as ``_joint._t_draws``;
- in each column one grid point (μ, κ) from ``_hier``'s grid prior, then each group own
  (probability ``OUTLIER_PRIOR``, the own Beta) or shared, then its rate.

Every region's items are judged for both models; ``PAIRS`` of them labelled for both, at
random. The shared prior's floor in the engine depends on the data: the several-groups
floor when two or more groups of a column have labels, the one-group floor otherwise. The
truth uses the same rule, drawn in an order that makes it a prior given observed data
(``draw_table``), so no table is skipped and every column's floor is the engine's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from baton import estimate
from baton.calibration import _engine, _hier, _joint
from baton.calibration._hier import (
    _ALPHA_MANY,
    _ALPHA_ONE,
    _BETA_MANY,
    _BETA_ONE,
    _LOG_PRIOR,
    _OWN_ALPHA,
    _OWN_BETA,
    OUTLIER_PRIOR,
)

Array = NDArray[np.float64]

REGIONS = ("eu", "us", "apac", "latam")
ITEMS = (120, 160, 200, 240)
"""Items judged for both models in each region (unequal, so ALL's traffic shares differ)."""
PAIRS = (30, 40, 50, 60)
"""Items labelled for both models in each region."""
DRAWS = 99
_GRID_PRIOR = np.exp(_LOG_PRIOR.ravel() - _LOG_PRIOR.max())
_GRID_PRIOR /= _GRID_PRIOR.sum()


@dataclass(frozen=True)
class Truth:
    """One replication's parameters: shares (regions, K_A, K_B), a (regions, K_A, K_B),
    t (regions, K_A, K_B, y_A)."""

    shares: Array
    a: Array
    t: Array

    def deltas(self) -> Array:
        """Δ_r = Σ_j π_rj (a_j (t_j1 − 1) + (1 − a_j) t_j0) for every region r."""
        per_cell = self.a * (self.t[..., 1] - 1.0) + (1.0 - self.a) * self.t[..., 0]
        deltas: Array = (self.shares * per_cell).sum(axis=(1, 2))
        return deltas


def pooled_column(rng: np.random.Generator, labelled: Array) -> Array:
    """Rates of one pooled column of ``_hier`` over its groups: a grid point (μ, κ) from its
    prior, then each group's own or shared Beta, then the rate. The shared Beta's floor is
    the engine's for this column: the several-groups floor when two or more groups have
    labels (``labelled``: a flag per group), the one-group floor otherwise."""
    g = rng.choice(_GRID_PRIOR.size, p=_GRID_PRIOR)
    many = np.count_nonzero(labelled) >= 2
    own = rng.random(labelled.size) < OUTLIER_PRIOR
    alpha, beta = (_ALPHA_MANY, _BETA_MANY) if many else (_ALPHA_ONE, _BETA_ONE)
    a = np.where(own, _OWN_ALPHA[g], alpha[g])
    b = np.where(own, _OWN_BETA[g], beta[g])
    rates: Array = rng.beta(a, b)
    return rates


@dataclass(frozen=True)
class _Region:
    """One region's items: judge categories, human answers, which are labelled."""

    k_a: NDArray[np.int64]
    k_b: NDArray[np.int64]
    y_a: NDArray[np.bool_]
    y_b: NDArray[np.bool_]
    labelled: NDArray[np.bool_]


def _has_labels(k_a: Sequence[NDArray[np.int64]], k_b: Sequence[NDArray[np.int64]]) -> Array:
    """Whether each (region, k_A, k_B) has a labelled item: (regions, 2, 2)."""
    out = np.zeros((len(k_a), 2, 2))
    for r, (ka, kb) in enumerate(zip(k_a, k_b, strict=True)):
        out[r, ka, kb] = 1.0
    return out


def draw_table(rng: np.random.Generator, pairs: Sequence[int]) -> tuple[Truth, list[_Region]]:
    """The parameters from the joint model's prior and a table from them. The order follows
    the engine's floor, which depends on which groups have labels: the joint cells and the
    labelled items first, then a (its floor from the labelled (r, k_B) groups of each k_A),
    the incumbent's labels, then t (its floor from the labelled (r, k_A) groups of each
    (k_B, y_A)) and the candidate's labels. The floors are functions of observed data, so
    the engine, which applies the same rule, computes this model's posterior."""
    n_r = len(REGIONS)
    shares = rng.dirichlet(np.ones(4), size=n_r).reshape(n_r, 2, 2)
    cells = [rng.choice(4, ITEMS[r], p=shares[r].ravel()) for r in range(n_r)]
    labelled = []
    for r, n in enumerate(pairs):
        chosen = np.zeros(ITEMS[r], dtype=bool)
        chosen[rng.choice(ITEMS[r], n, replace=False)] = True
        labelled.append(chosen)
    k_a = [c // 2 for c in cells]
    k_b = [c % 2 for c in cells]
    seen = _has_labels([ka[at] for ka, at in zip(k_a, labelled, strict=True)],
                       [kb[at] for kb, at in zip(k_b, labelled, strict=True)])  # fmt: skip
    # a: columns k_A, groups (r, k_B)
    a = np.empty((n_r, 2, 2))
    for ka in (0, 1):
        a[:, ka, :] = pooled_column(rng, seen[:, ka, :].ravel()).reshape(n_r, 2)
    y_a = [rng.random(ITEMS[r]) < a[r, k_a[r], k_b[r]] for r in range(n_r)]
    # t: columns (k_B, y_A), groups (r, k_A)
    t = np.empty((n_r, 2, 2, 2))
    for kb in (0, 1):
        for ya in (0, 1):
            groups = np.array(
                [
                    np.any(labelled[r] & (k_b[r] == kb) & (y_a[r] == bool(ya)) & (k_a[r] == ka))
                    for r in range(n_r)
                    for ka in (0, 1)
                ],
                dtype=float,
            )
            t[:, :, kb, ya] = pooled_column(rng, groups).reshape(n_r, 2)
    regions = []
    for r in range(n_r):
        y_b = rng.random(ITEMS[r]) < t[r, k_a[r], k_b[r], y_a[r].astype(int)]
        regions.append(_Region(k_a[r], k_b[r], y_a[r], y_b, labelled[r]))
    return Truth(shares, a, t), regions


def _frame(regions: Sequence[_Region]) -> pd.DataFrame:
    parts = []
    for name, reg in zip(REGIONS, regions, strict=True):
        ids = np.char.add(f"{name}-", np.arange(reg.k_a.size).astype(str))
        for model, judge, y in (("inc", reg.k_a, reg.y_a), ("cand", reg.k_b, reg.y_b)):
            human = np.where(reg.labelled, y.astype(float), np.nan)
            parts.append(
                pd.DataFrame(
                    {"item_id": ids, "model": model, "region": name, "judge": judge, "human": human}
                )
            )
    return pd.concat(parts, ignore_index=True)


def regional_sbc_ranks(
    rng: np.random.Generator,
    wanted: int,
    max_attempts: int,
    *,
    pairs: Sequence[int] = PAIRS,
    n_draws: int = DRAWS,
) -> tuple[NDArray[np.int64], int]:
    """Ranks of the true Δ among ``estimate``'s draws, one row per kept table: a column per
    region (``REGIONS``' order) and a last one for ALL; and the tables drawn. ``pairs``:
    items labelled for both models in each region."""
    weights = np.asarray(ITEMS, dtype=float) / sum(ITEMS)  # ALL's traffic shares
    rows: list[list[int]] = []
    attempts = 0
    while len(rows) < wanted and attempts < max_attempts:
        attempts += 1
        truth, regions = draw_table(rng, pairs)
        fit = estimate(_frame(regions), ["judge"], baseline="inc", seed=attempts, n_draws=n_draws)
        deltas = fit.posteriors.deltas
        true = truth.deltas()
        row = []
        for name, value in [*zip(REGIONS, true, strict=True), ("ALL", float(weights @ true))]:
            draws = deltas[("default", "cand", name)]
            assert draws is not None
            row.append(int((draws < value).sum()))
        rows.append(row)
    return np.asarray(rows, dtype=np.int64).reshape(-1, len(REGIONS) + 1), attempts


def chi2_uniform(ranks: NDArray[np.int64], n_draws: int = DRAWS) -> float:
    """χ² p-value of ranks 0..n_draws in ten equal bins against uniform."""
    counts = np.histogram(ranks, bins=10, range=(0, n_draws + 1))[0]
    return float(stats.chisquare(counts).pvalue)


def ks_uniform(ranks: NDArray[np.int64], rng: np.random.Generator, n_draws: int = DRAWS) -> float:
    """Kolmogorov–Smirnov p-value of the jittered ranks, (rank + U) / (n_draws + 1)."""
    jittered = (ranks + rng.random(ranks.size)) / (n_draws + 1)
    return float(stats.kstest(jittered, "uniform").pvalue)


def summary(ranks: NDArray[np.int64], rng: np.random.Generator) -> list[str]:
    """One line per region, one for a region per table (rotating: independent across
    tables) and one for ALL: counts per tenth, χ² and KS p-values, mean rank."""
    reps = len(ranks)
    rotating = ranks[np.arange(reps), np.arange(reps) % len(REGIONS)]
    columns = [*((n, ranks[:, i]) for i, n in enumerate(REGIONS))]
    columns += [("one region per table", rotating), ("ALL", ranks[:, -1])]
    lines = []
    for name, r in columns:
        counts = np.histogram(r, bins=10, range=(0, DRAWS + 1))[0]
        lines.append(
            f"{name}: n {r.size}, counts {counts.tolist()}, χ² p {chi2_uniform(r):.3f}, "
            f"KS p {ks_uniform(r, rng):.3f}, mean rank {r.mean():.1f} "
            f"(± {r.std(ddof=1) / np.sqrt(r.size):.1f}; {DRAWS / 2:.1f} expected)"
        )
    return lines


def _shifted(draws: Callable[..., Array], by: float, last: int | None) -> Callable[..., Array]:
    """``draws`` with ``by`` added to every rate (``last``: only that index of the last axis)."""

    def shifted(*args: Any, **kwargs: Any) -> Array:
        out = draws(*args, **kwargs).copy()
        at = (..., last) if last is not None else (...,)
        out[at] = np.clip(out[at] + by, 0.0, 1.0)
        return out

    return shifted


def mutate(name: str) -> None:
    """Break the engine (not the truth) in this process, to see whether the SBC notices:
    ``no-robust``: ε → 0 (no own component); ``one-floor``: the one-group floor in every
    column; ``equal-shares``: ALL pooled with equal region shares; ``shift-a``: +0.02 on
    P(y_A = 1 | cell); ``shift-t0``: +0.02 on P(y_B = 1 | y_A = 0, cell)."""
    if name == "no-robust":
        _hier.OUTLIER_PRIOR = 1e-12  # the truth keeps its own ε (imported above)
    elif name == "one-floor":
        _hier._shared_prior = lambda trials: (_hier._ALPHA_ONE, _hier._BETA_ONE)
    elif name == "equal-shares":
        _engine._shares = lambda rows, regions: {r: 1.0 / len(regions) for r in regions}
    elif name == "shift-a":
        _joint._a_draws = _shifted(_joint._a_draws, 0.02, None)
    elif name == "shift-t0":
        _joint._t_draws = _shifted(_joint._t_draws, 0.02, 0)


MUTATIONS = ("none", "no-robust", "one-floor", "equal-shares", "shift-a", "shift-t0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pairs", type=int, nargs=len(REGIONS), default=PAIRS)
    parser.add_argument("--mutation", choices=MUTATIONS, default="none")
    args = parser.parse_args()
    mutate(args.mutation)
    start = time.perf_counter()
    ranks, attempts = regional_sbc_ranks(
        np.random.default_rng(args.seed),
        args.reps,
        max_attempts=20 * args.reps,
        pairs=tuple(args.pairs),
    )
    print(f"{len(ranks)} tables kept of {attempts} drawn; {time.perf_counter() - start:.0f} s")
    for line in summary(ranks, np.random.default_rng(args.seed + 1)):
        print(line)


if __name__ == "__main__":
    main()
