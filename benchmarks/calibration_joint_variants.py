"""The shipped joint model of Δ against its alternatives (issue 16): a region alone a margin
worse, power when regions agree, and a region far off with few labels.

Run: ``python -m benchmarks.calibration_joint_variants --studies 300 --outliers 40``.

Variants (``benchmarks._joint_variants``): the shipped chain rule; the chain rule with the
candidate's conditional rate pooled within each region only, or not pooled; and the
symmetric model (agreement and direction of disagreement, each pooled over regions).

- ``zero``, ``margin``, ``odd, others 0``: the tables of ``benchmarks.decisions_pooling``
  (5 regions, 400 judged items and 120 labelled pairs per region, incumbent 0.85, a judge
  that errs 15–20% of the time; Δ = 0 everywhere, −margin everywhere, or −margin in region 1
  and 0 elsewhere), one look: the share of regional cells called go at P(Δ > −0.05) ≥ 0.95
  (for ``odd``, region 1's cell only: every go there is false).
- ``outlier``: seven regions agree (both models 0.85, 40 labelled pairs each), in an eighth
  the candidate is at 0.45 with 10 labelled pairs (judge 0.9/0.9); the coverage of that
  region's 90% Δ interval and its bias (the case of ``tests/calibration/test_joint.py``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
from tests.calibration._sim import outlier_region_table

from baton.calibration import estimate_frame
from benchmarks._joint_variants import VARIANTS, use
from benchmarks._rates import hit_rate
from benchmarks.decisions_pooling import SCENARIOS, Settings, _table

ONE_LOOK = ("zero", "margin", "odd, others 0")
_SETTINGS = Settings(regions=5, items=400, labels=120, margin=0.05, confidence=0.95, draws=2000)


def one_look(name: str, studies: int) -> list[bool]:
    """Go or not for each counted cell of ``studies`` studies (the seeds of
    ``benchmarks.decisions_pooling``, so each variant sees the same tables)."""
    s, k = _SETTINGS, list(SCENARIOS).index(name)
    first, others = SCENARIOS[name]
    hits: list[bool] = []
    for i in range(studies):
        seed = int(np.random.SeedSequence([15, k, i]).generate_state(1)[0])
        rng = np.random.default_rng(seed)
        table = _table(rng, s, [first * s.margin] + [others * s.margin] * (s.regions - 1))
        fit = estimate_frame(
            table, ["judge"], baseline="inc", margin=s.margin, seed=seed % 1000, n_draws=s.draws
        )
        p = {c.region: c.p_noninferior for c in fit.comparisons if c.region != "ALL"}
        go = [p[f"r{r + 1}"] >= s.confidence for r in range(s.regions)]
        hits.extend(go[:1] if name.startswith("odd") else go)
    return hits


def outlier(reps: int) -> tuple[list[bool], list[float]]:
    """Coverage and error of the far-off region's Δ over ``reps`` tables (seed 9)."""
    rng = np.random.default_rng(9)
    covered, errors = [], []
    for rep in range(reps):
        table, truth = outlier_region_table(rng)
        fit = estimate_frame(table, ["judge"], baseline="inc", seed=rep, n_draws=1500)
        delta = next(c for c in fit.comparisons if c.region == "odd")
        true_delta = truth[("cand", "odd")] - truth[("inc", "odd")]
        covered.append(delta.lower <= true_delta <= delta.upper)
        errors.append(delta.mean - true_delta)
    return covered, errors


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=100, help="per one-look scenario")
    parser.add_argument("--outliers", type=int, default=40, help="tables of the outlier case")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(
        "| variant | go at Δ = 0 | go at −margin | go, region alone at −margin "
        "| outlier Δ cov | outlier Δ bias |"
    )
    print("|---|---|---|---|---|---|")
    for variant in args.variants:
        use(variant)
        cells = [hit_rate(one_look(name, args.studies)) for name in ONE_LOOK]
        covered, errors = outlier(args.outliers)
        cov, se = hit_rate(covered)
        print(
            f"| {variant} | "
            + " | ".join(f"{p:.3f} ± {e:.3f}" for p, e in cells)
            + f" | {cov:.3f} ± {se:.3f} | {np.mean(errors):+.3f} |",
            flush=True,
        )
    use("chain")
    print(
        f"\n{args.studies} studies per one-look scenario, {args.outliers} outlier tables, "
        f"{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
