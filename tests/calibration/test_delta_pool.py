"""Δ pooled across regions (``pool_deltas``): borrowing when regions agree, none for an
outlier, calibrated on draws simulated from the model it assumes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from baton.calibration import estimate_frame
from baton.calibration._delta_pool import pooled_region_deltas


def _normal_draws(means: list[float], sd: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {f"r{i}": m + sd * rng.standard_normal(4000) for i, m in enumerate(means)}


def test_regions_that_agree_borrow_strength() -> None:
    rng = np.random.default_rng(1)
    own = _normal_draws([0.0, 0.01, -0.01, 0.005, -0.005], 0.03, rng)
    pooled = pooled_region_deltas(own, rng=rng)
    for region, draws in own.items():
        out = pooled[region]
        assert out is not None
        assert out.std() < 0.75 * draws.std()  # five regions' information, partly
        assert abs(out.mean()) < 0.01


def test_a_region_far_from_the_others_keeps_its_own_estimate() -> None:
    rng = np.random.default_rng(2)
    own = _normal_draws([0.0, 0.0, 0.0, 0.0, -0.30], 0.02, rng)
    pooled = pooled_region_deltas(own, rng=rng)
    odd = pooled["r4"]
    assert odd is not None
    assert odd.mean() == pytest.approx(-0.30, abs=0.01)
    assert odd.std() == pytest.approx(0.02, rel=0.15)


def test_nothing_to_pool_with_fewer_than_two_regions() -> None:
    rng = np.random.default_rng(3)
    lone = np.linspace(-0.1, 0.1, 1000)
    out = pooled_region_deltas({"a": lone, "b": None}, rng=rng)
    assert out["b"] is None
    assert out["a"] is lone


def test_pooled_intervals_cover_when_the_model_holds() -> None:
    """Regions' Δ drawn around a shared μ with τ from the prior's own scale; each region's
    own posterior N(d_r, s²): the pooled 90% intervals cover about 90% (and own ones too)."""
    rng = np.random.default_rng(4)
    hits, own_hits, n = 0, 0, 0
    for _ in range(300):
        tau = abs(rng.normal(0.0, 0.05))
        truth = rng.normal(0.0, 0.1) + tau * rng.standard_normal(5)
        d = truth + 0.04 * rng.standard_normal(5)
        own = {f"r{i}": d[i] + 0.04 * rng.standard_normal(2000) for i in range(5)}
        pooled = pooled_region_deltas(own, rng=rng)
        for i in range(5):
            draws = pooled[f"r{i}"]
            assert draws is not None
            low, high = np.quantile(draws, [0.05, 0.95])
            hits += low <= truth[i] <= high
            lo, hi = np.quantile(own[f"r{i}"], [0.05, 0.95])
            own_hits += lo <= truth[i] <= hi
            n += 1
    assert 0.86 <= hits / n <= 0.95
    assert 0.86 <= own_hits / n <= 0.95


def _paired_table(rng: np.random.Generator, deltas: list[float], labels: int) -> pd.DataFrame:
    parts = []
    for r, delta in enumerate(deltas):
        difficulty = rng.normal(0.0, 1.0, 300)
        labelled = np.zeros(300, dtype=bool)
        labelled[:labels] = True
        for model, theta in (("inc", 0.85), ("cand", 0.85 + delta)):
            y = rng.random(300) < expit(logit(theta) + difficulty)
            judge = np.where(y, rng.random(300) < 0.85, rng.random(300) < 0.2)
            parts.append(
                pd.DataFrame(
                    {
                        "item_id": [f"r{r}-{i}" for i in range(300)],
                        "model": model,
                        "region": f"r{r}",
                        "judge": judge.astype(int),
                        "human": np.where(labelled, y.astype(float), np.nan),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def test_estimate_pools_regional_differences_only_when_asked() -> None:
    table = _paired_table(np.random.default_rng(5), [0.0] * 5, labels=60)
    fits = {
        pool: estimate_frame(
            table, ["judge"], baseline="inc", margin=0.05, n_draws=2000, pool_deltas=pool
        )
        for pool in (False, True)
    }
    assert fits[True].diagnostics.pooled_regions
    assert not fits[False].diagnostics.pooled_regions
    width = {
        pool: {c.region: c.upper - c.lower for c in fit.comparisons} for pool, fit in fits.items()
    }
    for region in ("r0", "r1", "r2", "r3", "r4"):
        assert width[True][region] < 0.8 * width[False][region]
    # the pooled ALL comparison is the same either way (pooling acts on the regions)
    assert width[True]["ALL"] == pytest.approx(width[False]["ALL"], rel=0.1)
