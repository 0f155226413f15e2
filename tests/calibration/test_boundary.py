"""Pass rates near 100%: pooled figures over regions hold at 0.97–0.995."""

from __future__ import annotations

import numpy as np
import pandas as pd

from baton import estimate
from baton.calibration import ALL_REGIONS

from ._sim import paired_table


def test_pooled_intervals_cover_near_the_boundary() -> None:
    """Six regions with rates drawn from 0.97–0.995, 20 labels each. A floor that moved the
    shared Beta's mean towards ½ biased every region downwards (−0.016) and the pooled 90%
    interval covered 0.65 of the time (0.89 now, over 100 replications)."""
    rng = np.random.default_rng(16)
    hits, errors = [], []
    for rep in range(50):
        rates = rng.uniform(0.97, 0.995, 6)
        parts = []
        for r, rate in enumerate(rates):
            frame, _ = paired_table(
                rng,
                thetas={"m": float(rate)},
                judge={"m": (0.95, 0.6)},
                n_judged=400,
                n_labelled=20,
                regions=(f"r{r}",),
            )
            parts.append(frame)
        fit = estimate(pd.concat(parts, ignore_index=True), ["judge"], seed=rep, n_draws=1000)
        for e in fit.estimates:
            if e.stratum.region == ALL_REGIONS:
                hits.append(e.lower <= rates.mean() <= e.upper)
            else:
                errors.append(e.mean - rates[int(e.stratum.region[1:])])
    assert float(np.mean(hits)) >= 0.8
    assert float(np.mean(errors)) > -0.013
