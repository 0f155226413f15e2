"""Pass rates near 100% (issue 16): pooled and regional θ intervals at true rates 0.97–0.995.

Run: ``python -m benchmarks.calibration_boundary --reps 300``; ``--first-rep 300 --reps 700``
adds replications on new tables (each replication's tables are seeded by its number).

Each replication draws six regional pass rates from 0.97–0.995 (a control: 0.6–0.9),
simulates one model's judged responses (400 per region; a judge with sensitivity 0.95
and specificity 0.6, difficulty shared through a logistic model) and ``--n`` human labels
per region, fits ``method="bayes"`` and checks the 90% intervals: the pooled ("all
regions") one against the mean rate, the regional ones against each region's rate.

It runs the fit on the same tables with the prior as shipped (``prior: shipped``: a
Jeffreys prior on the shared mean μ, the shared Beta floored by raising κ when several
regions have labels), with μ flat on the logit instead (``prior: flat-μ``, an alternative
that removes the Jeffreys pull on μ towards ½ and was not adopted, see
``docs/benchmarks/calibration.md``) and, with ``--with-minor``, with the floor before issue
16 (``prior: minor``: the smaller Beta parameter raised, which moved the mean). This grid
is where choices are checked, not where they were made: the prior was chosen on fixed rate
sets (see ``baton.calibration._hier``).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from scipy.special import expit

from baton.calibration import ALL_REGIONS, _hier, estimate_frame
from baton.simulate._truth import logit_offset

SCENARIOS = {"0.97–0.995": (0.97, 0.995), "0.6–0.9 (control)": (0.6, 0.9)}
PRIORS = ("shipped", "flat-μ", "minor")
_SHIPPED = _hier._shared_prior
_SHIPPED_LOG_PRIOR = _hier._LOG_PRIOR
_FLAT_LOG_PRIOR = (
    _SHIPPED_LOG_PRIOR - (0.5 * np.log(_hier._MU) + 0.5 * np.log1p(-_hier._MU))[:, None]
)


def _old_floor(trials: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _hier._ALPHA_ONE, _hier._BETA_ONE


def _use(prior: str) -> None:
    _hier._shared_prior = _old_floor if prior == "minor" else _SHIPPED
    _hier._LOG_PRIOR = _FLAT_LOG_PRIOR if prior == "flat-μ" else _SHIPPED_LOG_PRIOR


def _table(rng: np.random.Generator, rates: np.ndarray, n: int, items: int) -> pd.DataFrame:
    parts = []
    for r, rate in enumerate(rates):
        difficulty = rng.normal(0.0, 1.5, items)
        y = rng.random(items) < expit(logit_offset(float(rate), 1.5) + difficulty)
        says = np.where(y, rng.random(items) < 0.95, rng.random(items) >= 0.6)
        labelled = np.zeros(items, dtype=bool)
        labelled[rng.choice(items, n, replace=False)] = True
        parts.append(
            pd.DataFrame(
                {
                    "item_id": [f"r{r}-{i}" for i in range(items)],
                    "model": "m",
                    "region": f"r{r}",
                    "judge": says.astype(int),
                    "human": np.where(labelled, y.astype(float), np.nan),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _other_intervals(draws: np.ndarray, truth: float) -> dict[str, object]:
    """Whether the central (equal-tailed) and the highest-density 90% intervals of the same
    draws cover ``truth``: a diagnostic of the interval rule, not what Baton reports."""
    central = np.quantile(draws, [0.05, 0.95])
    ordered = np.sort(draws)
    k = int(np.floor(0.9 * ordered.size))
    start = int((ordered[k:] - ordered[: ordered.size - k]).argmin())
    return {
        "central": bool(central[0] <= truth <= central[1]),
        "hpd": bool(ordered[start] <= truth <= ordered[start + k]),
    }


def _replication(job: tuple[str, int, int, int, tuple[str, ...]]) -> list[dict[str, object]]:
    scenario, n, rep, items, priors = job
    rng = np.random.default_rng([16, n, rep, list(SCENARIOS).index(scenario)])
    low, high = SCENARIOS[scenario]
    rates = rng.uniform(low, high, 6)
    table = _table(rng, rates, n, items)
    rows: list[dict[str, object]] = []
    for prior in priors:
        _use(prior)
        fit = estimate_frame(table, ["judge"], seed=rep, n_draws=2000)
        for e in fit.estimates:
            pooled = e.stratum.region == ALL_REGIONS
            truth = float(rates.mean()) if pooled else float(rates[int(e.stratum.region[1:])])
            draws = fit.posteriors.strata[e.stratum]
            assert draws is not None
            rows.append(
                {
                    **_other_intervals(draws, truth),
                    "above": truth > e.upper,
                    "scenario": scenario,
                    "n": n,
                    "prior": prior,
                    "pooled": pooled,
                    "covered": e.lower <= truth <= e.upper,
                    "width": e.upper - e.lower,
                    "error": e.mean - truth,
                }
            )
    _use("shipped")
    return rows


def summarise(rows: pd.DataFrame) -> str:
    lines = [
        "| rates | n | prior | pooled cov | MC s.e. | pooled width | regional cov "
        "| regional width | regional bias |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (scenario, n, prior), cell in rows.groupby(["scenario", "n", "prior"], sort=False):
        pooled, regional = cell[cell["pooled"]], cell[~cell["pooled"]]
        cov = float(pooled["covered"].mean())
        se = math.sqrt(cov * (1 - cov) / len(pooled))
        lines.append(
            f"| {scenario} | {n} | {prior} | {cov:.3f} | {se:.3f} | "
            f"{pooled['width'].mean():.4f} | {regional['covered'].mean():.3f} | "
            f"{regional['width'].mean():.4f} | {regional['error'].mean():+.4f} |"
        )
    return "\n".join(lines)


def intervals(rows: pd.DataFrame) -> str:
    """The pooled interval's misses by side, and the coverage of two other interval rules
    on the same draws (``--intervals``)."""
    lines = [
        "| rates | n | prior | pooled cov (Baton's rule) | truth above the interval "
        "| central | highest density | regional: Baton's rule | central | highest density |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (scenario, n, prior), cell in rows.groupby(["scenario", "n", "prior"], sort=False):
        pooled, regional = cell[cell["pooled"]], cell[~cell["pooled"]]
        lines.append(
            f"| {scenario} | {n} | {prior} | {pooled['covered'].mean():.3f} | "
            f"{pooled['above'].mean():.3f} | {pooled['central'].mean():.3f} | "
            f"{pooled['hpd'].mean():.3f} | {regional['covered'].mean():.3f} | "
            f"{regional['central'].mean():.3f} | {regional['hpd'].mean():.3f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--ns", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--items", type=int, default=400, help="judged per region")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--with-minor", action="store_true", help="also the floor before #16")
    parser.add_argument(
        "--priors", nargs="+", choices=PRIORS, default=None, help="only these priors"
    )
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument(
        "--first-rep", type=int, default=0, help="start here: more replications, new tables"
    )
    parser.add_argument(
        "--intervals", action="store_true", help="also misses by side, other interval rules"
    )
    args = parser.parse_args(argv)
    priors = tuple(args.priors or (PRIORS if args.with_minor else PRIORS[:2]))
    reps = range(args.first_rep, args.first_rep + args.reps)
    jobs = [
        (scenario, n, rep, args.items, priors)
        for scenario in args.scenarios
        for n in args.ns
        for rep in reps
        if n == args.ns[0] or scenario == next(iter(SCENARIOS))
    ]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = [row for batch in pool.map(_replication, jobs, chunksize=4) for row in batch]
    frame = pd.DataFrame(rows)
    print(summarise(frame))
    if args.intervals:
        print("\n" + intervals(frame))
    print(f"\n{args.reps} replications per row, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
