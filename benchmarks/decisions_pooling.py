"""Pooling Δ across regions (issue 15): power when regions agree, false go when one differs.

Run: ``python -m benchmarks.decisions_pooling --studies 200``.

Each study has ``--regions`` regions and two models answering the same ``--items`` items
per region (a shared item difficulty, incumbent θ 0.85), a judge that errs 15–20% of the
time, and ``--labels`` labelled pairs per region. Each is fitted through the engine
(``estimate_frame``, method bayes) twice — each region's Δ on its own (the default) and
pooled across regions (``pool_deltas=True``) — and every region's cell is called go when
P(Δ > −margin) ≥ ``--confidence`` (one look with every label in: the plain rule). The
scenarios set each region's true Δ:

- ``zero``: Δ = 0 everywhere (a go is right: power);
- ``margin``: Δ = −margin everywhere (every go is false);
- ``odd, others 0``: region 1 at −margin, the others at 0 (region 1's go is false);
- ``odd, others +margin``: region 1 at −margin, the others at +margin.

It prints the share of cells called go (for the odd scenarios: region 1's cell only) with
its Monte Carlo standard error.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from baton.calibration import estimate_frame

from ._rates import hit_rate

SCENARIOS: dict[str, tuple[float, ...]] = {
    "zero": (0.0, 0.0),
    "margin": (-1.0, -1.0),
    "odd, others 0": (-1.0, 0.0),
    "odd, others +margin": (-1.0, 1.0),
}
"""(region 1's Δ, the other regions' Δ), in margins."""


@dataclass(frozen=True)
class Settings:
    regions: int
    items: int
    labels: int
    margin: float
    confidence: float
    draws: int


def _table(rng: np.random.Generator, s: Settings, deltas: Sequence[float]) -> pd.DataFrame:
    """Both models on the same items per region, ``labels`` pairs labelled."""
    parts = []
    for r, delta in enumerate(deltas):
        difficulty = rng.normal(0.0, 1.0, s.items)
        ids = [f"r{r}-{i}" for i in range(s.items)]
        labelled = np.zeros(s.items, dtype=bool)
        labelled[rng.choice(s.items, s.labels, replace=False)] = True
        for model, theta in (("inc", 0.85), ("cand", 0.85 + delta)):
            y = rng.random(s.items) < expit(logit(theta) + difficulty - difficulty.mean())
            judge = np.where(y, rng.random(s.items) < 0.85, rng.random(s.items) < 0.2)
            parts.append(
                pd.DataFrame(
                    {
                        "item_id": ids,
                        "model": model,
                        "region": f"r{r + 1}",
                        "judge": judge.astype(int),
                        "human": np.where(labelled, y.astype(float), np.nan),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _study(args: tuple[int, str, Settings]) -> dict[str, list[bool]]:
    """Per way (own, pooled): whether each region's cell went go."""
    seed, scenario, s = args
    rng = np.random.default_rng(seed)
    first, others = SCENARIOS[scenario]
    deltas = [first * s.margin] + [others * s.margin] * (s.regions - 1)
    table = _table(rng, s, deltas)
    out = {}
    for way, pool in (("own", False), ("pooled", True)):
        fit = estimate_frame(
            table, ["judge"], baseline="inc", margin=s.margin, seed=seed % 1000,
            n_draws=s.draws, pool_deltas=pool,
        )  # fmt: skip
        p = {c.region: c.p_noninferior for c in fit.comparisons if c.region != "ALL"}
        out[way] = [p[f"r{r + 1}"] >= s.confidence for r in range(s.regions)]
    return out


def run(studies: int, s: Settings, workers: int) -> dict[tuple[str, str], list[bool]]:
    jobs = [
        (int(np.random.SeedSequence([15, k, i]).generate_state(1)[0]), name, s)
        for k, name in enumerate(SCENARIOS)
        for i in range(studies)
    ]
    merged: dict[tuple[str, str], list[bool]] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for (_, name, _), result in zip(jobs, pool.map(_study, jobs), strict=True):
            for way, hits in result.items():
                cells = hits[:1] if name.startswith("odd") else hits
                merged.setdefault((name, way), []).extend(cells)
    return merged


def to_markdown(merged: dict[tuple[str, str], list[bool]], s: Settings) -> str:
    lines = [
        f"{s.regions} regions, {s.labels} labelled pairs and {s.items} judged items per "
        f"region, margin {s.margin}, go at P(Δ > −margin) ≥ {s.confidence} (one look)",
        "",
        "| scenario | cells counted | go, each region on its own | go, pooled |",
        "|---|---|---|---|",
    ]
    for name in SCENARIOS:
        row = [name, str(len(merged[(name, "own")]))]
        for way in ("own", "pooled"):
            p, se = hit_rate(merged[(name, way)])
            row.append(f"{p:.3f} ± {se:.3f}")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=200, help="studies per scenario")
    parser.add_argument("--regions", type=int, default=5)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--labels", type=int, default=120)
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    settings = Settings(
        args.regions, args.items, args.labels, args.margin, args.confidence, args.draws
    )
    started = time.perf_counter()
    merged = run(args.studies, settings, args.workers)
    print(to_markdown(merged, settings))
    print(f"\n{args.studies} studies per scenario, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
