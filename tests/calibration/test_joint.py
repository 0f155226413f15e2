"""Δ from the joint model of both models' answers to the same items: simulated from a known
truth, at the sizes and boundaries where a plug-in correlation failed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from baton import estimate
from baton.calibration import ALL_REGIONS
from baton.decision import allocate_units
from tests.calibration._sim import outlier_region_table, paired_table

JUDGE = {"inc": (0.85, 0.8), "cand": (0.8, 0.85)}
REGIONS = ("eu", "us", "apac")


def _delta_coverage(
    thetas: dict[str, float], n: int, *, reps: int, method: str = "bayes"
) -> tuple[float, float]:
    """Share of regional 90% Δ intervals that cover the truth, and their mean width."""
    rng = np.random.default_rng(21)
    hits, widths = [], []
    for rep in range(reps):
        frame, truth = paired_table(
            rng, thetas=thetas, judge=JUDGE, n_judged=300, n_labelled=n, regions=REGIONS
        )
        fit = estimate(
            frame,
            ["judge"],
            baseline="inc",
            seed=rep,
            n_draws=1000,
            method=method,  # type: ignore[arg-type]
        )
        for c in fit.comparisons:
            if c.region != ALL_REGIONS:
                t = truth[("cand", c.region)] - truth[("inc", c.region)]
                hits.append(c.lower <= t <= c.upper)
                widths.append(c.upper - c.lower)
    return float(np.mean(hits)), float(np.mean(widths))


@pytest.mark.parametrize(
    ("thetas", "n"),
    [
        ({"inc": 0.8, "cand": 0.75}, 2),
        ({"inc": 0.7, "cand": 0.75}, 5),
        ({"inc": 0.99, "cand": 0.975}, 5),
        ({"inc": 0.995, "cand": 0.97}, 30),
    ],
)
def test_delta_covers_with_few_labels_and_near_the_boundary(
    thetas: dict[str, float], n: int
) -> None:
    """A plug-in correlation covered 0.74 with 2 labels per model in a region."""
    coverage, _ = _delta_coverage(thetas, n, reps=30)
    assert coverage >= 0.88


def _all_pass(n_labelled: int, *, n_judged: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for model in ("inc", "cand"):
        judge = (rng.random(n_judged) < 0.95).astype(int)
        human = np.full(n_judged, np.nan)
        human[:n_labelled] = 1.0
        rows.append(
            pd.DataFrame(
                {"item_id": np.arange(n_judged).astype(str), "model": model, "judge": judge}
            ).assign(human=human)
        )
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("method", ["bayes", "human"])
def test_every_label_agreeing_does_not_collapse_delta(method: str) -> None:
    """Identical all-pass label vectors once gave Δ in [−0.004, +0.002]: the discordant
    rates keep their uncertainty, as human-only Jeffreys intervals do."""
    for n in (1, 2, 20):
        fit = estimate(_all_pass(n), ["judge"], baseline="inc", method=method)  # type: ignore[arg-type]
        comp = fit.comparisons[0]
        assert comp.upper - comp.lower > 0.3 / np.sqrt(n + 2), (n, comp)
        assert comp.lower < 0 < comp.upper


def test_delta_falls_back_to_the_unpaired_difference_without_shared_items() -> None:
    rng = np.random.default_rng(3)
    frame, _ = paired_table(
        rng, thetas={"inc": 0.7, "cand": 0.7}, judge=JUDGE, n_judged=400, n_labelled=40
    )
    frame.loc[frame["model"] == "cand", "item_id"] += "-other"
    fit = estimate(frame, ["judge"], baseline="inc", n_draws=4000)
    region = frame["region"].iloc[0]
    draws = fit.posteriors
    a, b = (
        draws.strata[next(s for s in draws.strata if s.model == m and s.region == region)]
        for m in ("inc", "cand")
    )
    assert a is not None
    assert b is not None
    delta = draws.deltas[("default", "cand", region)]
    assert delta is not None
    assert delta.std() == pytest.approx(np.sqrt(a.var() + b.var()), rel=0.1)


def test_a_region_that_differs_keeps_its_own_difference() -> None:
    """Seven regions agree and have many labels; in a small eighth one the candidate is 40
    points worse. The robust component keeps that region's figures near its own data (with
    the outlier prior switched off, θ's error there is 0.12 and Δ covers 2 times in 10)."""
    rng = np.random.default_rng(9)
    errors, covered = [], []
    for rep in range(10):
        table, truth = outlier_region_table(rng)
        fit = estimate(table, ["judge"], baseline="inc", seed=rep, n_draws=1500)
        theta = next(
            e for e in fit.estimates if e.stratum.region == "odd" and e.stratum.model == "cand"
        )
        delta = next(c for c in fit.comparisons if c.region == "odd")
        errors.append(theta.mean - truth[("cand", "odd")])
        true_delta = truth[("cand", "odd")] - truth[("inc", "odd")]
        covered.append(delta.lower <= true_delta <= delta.upper)
    assert float(np.mean(errors)) < 0.10
    assert float(np.mean(covered)) >= 0.5


def test_pooled_figures_leave_out_an_unlabelled_region_and_say_so() -> None:
    rng = np.random.default_rng(2)
    frame, _ = paired_table(
        rng,
        thetas={"inc": 0.8, "cand": 0.8},
        judge=JUDGE,
        n_judged=300,
        n_labelled=30,
        regions=("big", "small"),
    )
    frame.loc[frame["region"] == "small", "human"] = np.nan
    fit = estimate(frame, ["judge"], baseline="inc")
    pooled = [e for e in fit.estimates if e.stratum.region == ALL_REGIONS]
    assert all(not np.isnan(e.mean) for e in pooled)
    assert not np.isnan(next(c for c in fit.comparisons if c.region == ALL_REGIONS).mean)
    assert any("left out: small" in w for w in fit.diagnostics.warnings)


def test_delta_stays_unbiased_under_allocation_when_models_differ_within_judge_cells() -> None:
    """Two models whose human pass rates differ within the same judge cell, labels drawn by
    the allocation with unequal inclusion probabilities (which vary within one model's judge
    cells, since they follow both models' categories): each θ and Δ stay unbiased."""
    rng = np.random.default_rng(4)
    errors, theta_errors = [], []
    for rep in range(30):
        n = 600
        difficulty = rng.normal(0, 1.5, n)
        y_a = rng.random(n) < 1 / (1 + np.exp(-(1.4 + difficulty)))
        y_b = rng.random(n) < 1 / (1 + np.exp(-(0.6 + difficulty)))
        judge_a = np.where(y_a, rng.random(n) < 0.9, rng.random(n) < 0.4).astype(int)
        judge_b = np.where(y_b, rng.random(n) < 0.7, rng.random(n) < 0.1).astype(int)
        ids = np.arange(n).astype(str)
        table = pd.concat(
            [
                pd.DataFrame({"item_id": ids, "model": "inc", "judge": judge_a}),
                pd.DataFrame({"item_id": ids, "model": "cand", "judge": judge_b}),
            ],
            ignore_index=True,
        ).assign(dimension="d", region="r", human=np.nan, inclusion_prob=1.0)
        truth = pd.Series(np.concatenate([y_a, y_b]).astype(float), index=table.index)
        units = allocate_units(table, {("d", "r"): 1.0}, 80, signal="judge", rng=rng)
        probs = {u.item_id: u.inclusion_prob for u in units}
        picked = table["item_id"].isin(probs).to_numpy()
        table.loc[picked, "human"] = truth[picked]
        table.loc[picked, "inclusion_prob"] = table.loc[picked, "item_id"].map(probs)
        fit = estimate(table, ["judge"], baseline="inc", seed=rep, n_draws=500)
        errors.append(fit.comparisons[0].mean - (y_b.mean() - y_a.mean()))
        means = {e.stratum.model: e.mean for e in fit.estimates if e.stratum.region == "r"}
        theta_errors.append((means["inc"] - y_a.mean(), means["cand"] - y_b.mean()))
    assert abs(float(np.mean(errors))) < 0.015
    assert np.abs(np.mean(theta_errors, axis=0)).max() < 0.015
