"""Pooled θ near 100% (issue 16): candidate changes to the pooled prior on a tuning grid.

Run: ``python -m benchmarks.calibration_prior_grid --reps 400``.

The cell model alone (``baton.calibration._hier``), without the rest of the engine: each
replication draws the regions' judge-cell label counts directly (a judge with the given
sensitivity and specificity; n labels per region spread over its cells by their shares),
fits the pooled cell rates and forms θ per region with judge-cell shares from a Dirichlet
on 400 judged items, then checks the pooled ("all regions") 90% interval against the mean
rate, the regional ones against each region's rate and, in the ``odd`` row, the last
region (0.85 among regions at 0.99) against its own rate: a prior that helps the pooled
figure by giving up the robust component shows there.

The grid is not the calibration benchmark's (``benchmarks/calibration_boundary.py`` draws
six rates from 0.97–0.995 with 20 labels): rates from 0.96–0.99 over 8 regions, from
0.975–0.998 over 4, 0.95 over 2 with a sharper judge, the odd region, and a 0.65–0.85
control. The variants:

- ``shipped``: Jeffreys prior on the shared mean μ; the own component Beta(μ, 1 − μ)
  with both parameters floored at ½ (its mean moves towards ½ near a bound);
- ``flat-μ``: μ flat on the logit (no pull of μ towards ½);
- ``own-mean``: the own component keeps its mean μ, κ raised until both parameters reach ½.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from baton.calibration import _hier

Rates = Callable[[np.random.Generator], np.ndarray]
GRID: dict[str, tuple[Rates, int, float, float]] = {
    "0.96–0.99 ×8, n=20": (lambda r: r.uniform(0.96, 0.99, 8), 20, 0.95, 0.6),
    "0.975–0.998 ×4, n=30": (lambda r: r.uniform(0.975, 0.998, 4), 30, 0.95, 0.6),
    "0.95 ×2, n=30, judge 0.95/0.9": (lambda r: np.full(2, 0.95), 30, 0.95, 0.9),
    "odd: 0.99 ×5 + 0.85, n=15": (lambda r: np.array([0.99] * 5 + [0.85]), 15, 0.95, 0.6),
    "control 0.65–0.85 ×5, n=20": (lambda r: r.uniform(0.65, 0.85, 5), 20, 0.95, 0.6),
}
VARIANTS = ("shipped", "flat-μ", "own-mean")
_SHIPPED = (_hier._LOG_PRIOR, _hier._OWN_ALPHA, _hier._OWN_BETA)


def _use(variant: str) -> None:
    log_prior, own_alpha, own_beta = _SHIPPED
    mu = _hier._MU_EACH
    if variant == "flat-μ":
        log_prior = -0.5 * np.log(_hier._KAPPA)[None, :] + 0.0 * _hier._MU[:, None]
    if variant == "own-mean":
        kappa = np.maximum(1.0, _hier._MIN_PRIOR_COUNT / np.minimum(mu, 1.0 - mu))
        own_alpha, own_beta = mu * kappa, (1.0 - mu) * kappa
    _hier._LOG_PRIOR, _hier._OWN_ALPHA, _hier._OWN_BETA = log_prior, own_alpha, own_beta
    distinct, where = np.unique(np.stack([own_alpha, own_beta]), axis=1, return_inverse=True)
    _hier._OWN_DISTINCT, _hier._OWN_WHERE = distinct, where


def _cells(theta: np.ndarray, sens: float, spec: float) -> tuple[np.ndarray, np.ndarray]:
    """P(human pass | judge fail, pass) and the judge's shares, per region: (regions, 2)."""
    says_fail = theta * (1 - sens) + (1 - theta) * spec
    rates = np.stack([theta * (1 - sens) / says_fail, theta * sens / (1 - says_fail)], -1)
    return rates, np.stack([says_fail, 1 - says_fail], -1)


def run_row(rates: Rates, n: int, sens: float, spec: float, reps: int) -> dict[str, float]:
    rng = np.random.default_rng([3, n])
    pooled, width, regional, last, bias = [], [], [], [], []
    for _ in range(reps):
        theta = rates(rng)
        p, shares = _cells(theta, sens, spec)
        trials = np.array([rng.multinomial(n, s) for s in shares]).astype(float)
        passes = rng.binomial(trials.astype(int), p).astype(float)
        draws = _hier.hierarchical_cell_rate_draws(passes, trials, rng=rng, n_draws=1000)
        judged = np.array([rng.dirichlet(s * 400, size=1000) for s in shares]).transpose(1, 0, 2)
        thetas = (draws * judged).sum(-1)
        lo, hi = np.quantile(thetas.mean(1), [0.05, 0.95])
        pooled.append(lo <= theta.mean() <= hi)
        width.append(hi - lo)
        lo_r, hi_r = np.quantile(thetas, [0.05, 0.95], axis=0)
        hits = (lo_r <= theta) & (theta <= hi_r)
        regional.append(hits.mean())
        last.append(hits[-1])
        bias.append((thetas.mean(0) - theta).mean())
    return {
        "pooled": float(np.mean(pooled)),
        "width": float(np.mean(width)),
        "regional": float(np.mean(regional)),
        "last": float(np.mean(last)),
        "bias": float(np.mean(bias)),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(
        "| rates | prior | pooled cov | MC s.e. | pooled width | regional cov | last region cov "
        "| regional bias |\n|---|---|---|---|---|---|---|---|"
    )
    for name, (rates, n, sens, spec) in GRID.items():
        for variant in args.variants:
            _use(variant)
            row = run_row(rates, n, sens, spec, args.reps)
            se = math.sqrt(row["pooled"] * (1 - row["pooled"]) / args.reps)
            print(
                f"| {name} | {variant} | {row['pooled']:.3f} | {se:.3f} | {row['width']:.4f} "
                f"| {row['regional']:.3f} | {row['last']:.3f} | {row['bias']:+.4f} |",
                flush=True,
            )
    _use("shipped")
    print(f"\n{args.reps} replications per row, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
