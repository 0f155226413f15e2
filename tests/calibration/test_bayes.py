"""The bayes method, checked by simulation against a known truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from baton import estimate
from baton.calibration._hier import (
    _ALPHA_MANY,
    _ALPHA_ONE,
    _BETA_MANY,
    _BETA_ONE,
    _LOG_PRIOR,
    _OWN_ALPHA,
    _OWN_BETA,
    OUTLIER_PRIOR,
    hierarchical_cell_rate_draws,
)

from ._sim import paired_table


@pytest.mark.parametrize(
    "sizes", [(5.0, 12.0, 30.0, 8.0), (10.0,)], ids=["several-groups", "one-group"]
)
def test_simulation_based_calibration_of_the_pooled_cell_model(
    sizes: tuple[float, ...],
) -> None:
    """Draw hyperparameters and rates from the prior, data from the rates; the rank of the
    true rate among posterior draws must be uniform (Talts et al., 2018). Several labelled
    groups and one use different floors of the shared Beta; each is checked."""
    rng = np.random.default_rng(3)
    prior = np.exp(_LOG_PRIOR.ravel() - _LOG_PRIOR.max())
    prior /= prior.sum()
    trials = np.array(sizes)[:, None]
    alpha, beta = (_ALPHA_MANY, _BETA_MANY) if len(sizes) > 1 else (_ALPHA_ONE, _BETA_ONE)
    ranks = []
    for _ in range(300 if len(sizes) > 1 else 1000):
        g = rng.choice(prior.size, p=prior)
        own = rng.random(len(sizes)) < OUTLIER_PRIOR
        a = np.where(own, _OWN_ALPHA[g], alpha[g])
        b = np.where(own, _OWN_BETA[g], beta[g])
        p = rng.beta(a, b)
        passes = rng.binomial(trials[:, 0].astype(int), p)[:, None].astype(float)
        draws = hierarchical_cell_rate_draws(passes, trials, rng=rng, n_draws=99)
        ranks.extend((draws[:, :, 0] < p[None, :]).sum(axis=0).tolist())
    counts = np.histogram(ranks, bins=10, range=(0, 100))[0]
    assert stats.chisquare(counts).pvalue > 0.001, counts


@pytest.mark.parametrize(
    ("thetas", "judge", "n"),
    [
        ({"inc": 0.8, "cand": 0.75}, {"inc": (0.9, 0.9), "cand": (0.97, 0.35)}, 20),
        ({"inc": 0.95, "cand": 0.95}, {"inc": (0.95, 0.9), "cand": (0.95, 0.9)}, 30),
        ({"inc": 0.7, "cand": 0.7}, {"inc": (0.5, 0.5), "cand": (0.5, 0.5)}, 40),
    ],
    ids=["lenient-judge", "rare-failures", "useless-judge"],
)
def test_ninety_percent_intervals_cover_rates_and_differences(
    thetas: dict[str, float], judge: dict[str, tuple[float, float]], n: int
) -> None:
    rng = np.random.default_rng(7)
    hits, delta_hits, total = 0, 0, 0
    for rep in range(60):
        frame, truth = paired_table(
            rng, thetas=thetas, judge=judge, n_judged=600, n_labelled=n, regions=("eu", "us")
        )
        fit = estimate(frame, ["judge"], baseline="inc", seed=rep, n_draws=1500)
        for e in fit.estimates:
            if e.stratum.region != "ALL":
                t = truth[(e.stratum.model, e.stratum.region)]
                hits += e.lower <= t <= e.upper
                total += 1
        for c in fit.comparisons:
            if c.region != "ALL":
                t = truth[("cand", c.region)] - truth[("inc", c.region)]
                delta_hits += c.lower <= t <= c.upper
    assert 0.85 <= hits / total <= 0.97
    assert 0.85 <= delta_hits / (total / 2) <= 0.98


def test_pairing_narrows_the_difference_and_a_useless_judge_adds_nothing() -> None:
    rng = np.random.default_rng(1)
    widths: dict[str, list[float]] = {"paired": [], "unpaired": [], "human": []}
    for rep in range(20):
        frame, _ = paired_table(
            rng,
            thetas={"inc": 0.7, "cand": 0.7},
            judge={"inc": (0.5, 0.5), "cand": (0.5, 0.5)},
            n_judged=500,
            n_labelled=80,
            difficulty_sd=2.5,
        )
        unpaired = frame.copy()
        unpaired.loc[unpaired["model"] == "cand", "item_id"] += "-other"
        for name, table, method in (
            ("paired", frame, "bayes"),
            ("unpaired", unpaired, "bayes"),
            ("human", frame, "human"),
        ):
            fit = estimate(
                table,
                ["judge"],
                baseline="inc",
                seed=rep,
                method=method,  # type: ignore[arg-type]
                n_draws=1500,
            )
            comp = next(c for c in fit.comparisons if c.region != "ALL")
            widths[name].append(comp.upper - comp.lower)
    paired, unpaired_w, human = (float(np.mean(widths[k])) for k in widths)
    assert paired < 0.85 * unpaired_w
    assert paired == pytest.approx(human, rel=0.12)


def test_an_interval_reaches_the_boundary_when_every_label_agrees() -> None:
    frame = pd.DataFrame(
        {
            "item_id": [str(i) for i in range(300)],
            "model": "m",
            "judge": 1,
            "human": [1.0] * 40 + [None] * 260,
        }
    )
    e = next(iter(estimate(frame, ["judge"]).estimates))
    assert e.upper == 1.0
    assert 0.9 < e.lower < 1.0


@pytest.mark.parametrize("n", [10, 40])
def test_a_cell_whose_labels_all_agree_is_no_surer_than_jeffreys(n: int) -> None:
    """One region, every label a pass (or all but one a fail): the cell's posterior is at
    least as wide as Jeffreys' Beta. A hierarchical prior whose shared mean sits near the
    bound with little concentration acts as a Haldane prior and would read n passes out
    of n as near certainty (its 5% quantile was 0.894 for 10 of 10, Jeffreys' 0.829), which
    made intervals built on such cells under-cover."""
    rng = np.random.default_rng(11)
    trials = np.array([[float(n)]])
    all_pass = hierarchical_cell_rate_draws(trials, trials, rng=rng, n_draws=20_000)[:, 0, 0]
    assert np.quantile(all_pass, 0.05) <= stats.beta(n + 0.5, 0.5).ppf(0.05) + 0.01
    one_pass = hierarchical_cell_rate_draws(np.array([[1.0]]), trials, rng=rng, n_draws=20_000)
    assert np.quantile(one_pass[:, 0, 0], 0.95) >= stats.beta(1.5, n - 0.5).ppf(0.95) - 0.01


def test_a_stratum_without_labels_is_uncalibrated_never_invented() -> None:
    rng = np.random.default_rng(2)
    frame, _ = paired_table(
        rng,
        thetas={"inc": 0.8, "cand": 0.8},
        judge={"inc": (0.9, 0.9), "cand": (0.9, 0.9)},
        n_judged=200,
        n_labelled=30,
    )
    frame.loc[frame["model"] == "cand", "human"] = np.nan
    fit = estimate(frame, ["judge"], baseline="inc")
    cand = [e for e in fit.estimates if e.stratum.model == "cand"]
    assert all(not e.calibrated and np.isnan(e.mean) for e in cand)
    assert all(0.5 < e.judge_mean < 1 for e in cand)
    assert all(not c.calibrated for c in fit.comparisons)
    assert any("cand has no human labels" in w for w in fit.diagnostics.warnings)
    data = json.loads(fit.to_json())
    assert data["schema"] == 1
    assert next(e for e in data["estimates"] if e["model"] == "cand")["mean"] is None


def test_inclusion_probabilities_undo_unequal_selection() -> None:
    rng = np.random.default_rng(5)
    weighted, unweighted = [], []
    for _ in range(150):
        n = 2000
        segment = rng.random(n) < 0.5
        y = rng.random(n) < np.where(segment, 0.5, 0.9)
        prob = np.where(segment, 0.02, 0.08)
        chosen = rng.random(n) < prob
        frame = pd.DataFrame(
            {
                "item_id": np.arange(n).astype(str),
                "model": "m",
                "judge": 1,
                "human": np.where(chosen, y.astype(float), np.nan),
                "inclusion_prob": prob,
            }
        )
        weighted.append(estimate(frame, ["judge"], n_draws=500).estimates[0].mean)
        plain = frame.drop(columns="inclusion_prob")
        unweighted.append(estimate(plain, ["judge"], n_draws=500).estimates[0].mean)
    assert float(np.mean(weighted)) == pytest.approx(0.7, abs=0.015)
    assert float(np.mean(unweighted)) > 0.76


def test_ordinal_human_labels_estimate_the_mean_label() -> None:
    rng = np.random.default_rng(4)
    n, hits, means = 600, 0, []
    for rep in range(40):
        labels = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.1, 0.1, 0.2, 0.3, 0.3])
        judge = np.clip(labels + rng.integers(-1, 2, n), 1, 5)
        human = np.where(rng.random(n) < 0.1, labels.astype(float), np.nan)
        frame = pd.DataFrame(
            {"item_id": np.arange(n).astype(str), "model": "m", "judge": judge, "human": human}
        )
        e = estimate(frame, ["judge"], seed=rep, n_draws=1000).estimates[0]
        hits += e.lower <= 3.6 <= e.upper
        means.append(e.mean)
    assert float(np.mean(means)) == pytest.approx(3.6, abs=0.05)
    assert hits >= 32  # 90% intervals: 36 expected of 40


def test_frames_and_json_carry_every_part() -> None:
    rng = np.random.default_rng(0)
    frame, _ = paired_table(
        rng,
        thetas={"inc": 0.8, "cand": 0.7},
        judge={"inc": (0.9, 0.9), "cand": (0.9, 0.9)},
        n_judged=300,
        n_labelled=40,
    )
    fit = estimate(frame, ["judge"], baseline="inc", margin=0.05)
    assert set(fit.to_frame()["model"]) == {"inc", "cand"}
    assert set(fit.to_frame("comparisons")["candidate"]) == {"cand"}
    assert {"sensitivity", "specificity", "youden_j", "j_gap"} <= set(fit.to_frame("judges"))
    data = json.loads(fit.to_json())
    assert {"estimates", "comparisons", "judges", "diagnostics"} <= set(data)
    assert data["diagnostics"]["rhat_max"] is None  # no MCMC
    with pytest.raises(ValueError, match="kind"):
        fit.to_frame("nope")
