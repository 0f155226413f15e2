from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from baton import estimate
from baton.calibration._baselines import human_pass_rate_draws, ppi_mean_estimate

from ._sim import paired_table, unequal_inclusion_table


def test_ppi_plus_plus_matches_a_hand_computed_case() -> None:
    """n = 4 labels, N = 6 unlabelled judge scores, worked through on paper:
    Cov(Y, f_L) = 0.5/3, Var(f) over all ten scores = 2.4/9, λ = (1/6) / ((1 + 4/6)·(4/15))
    = 0.375; θ = 0.375·(4/6) + mean(Y − 0.375·f_L) = 0.25 + 0.5625 = 0.8125;
    Var = 0.375²·(4/15)/6 + (0.515625/3)/4 = 0.00625 + 0.04296875."""
    labels = np.array([1.0, 0.0, 1.0, 1.0])
    labelled_scores = np.array([1.0, 0.0, 0.0, 1.0])
    unlabelled_scores = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    result = ppi_mean_estimate(labels, labelled_scores, unlabelled_scores)
    assert result is not None
    assert result.lam == pytest.approx(0.375)
    assert result.estimate == pytest.approx(0.8125)
    assert result.se == pytest.approx(np.sqrt(0.00625 + 0.04296875))


def test_ppi_keeps_a_jeffreys_width_when_every_label_agrees() -> None:
    """Twenty labels that all pass and a judge that agrees with them: the textbook PPI++
    standard error is 0 (a zero-width interval, which covered a rate of 0.98 in 16% of
    strata). The Jeffreys pseudo-labels give the width of a Jeffreys posterior."""
    labels = np.ones(20)
    textbook = ppi_mean_estimate(labels, np.ones(20), np.ones(500))
    assert textbook is not None
    assert textbook.se == 0.0
    result = ppi_mean_estimate(labels, np.ones(20), np.ones(500), label_bounds=(0.0, 1.0))
    assert result is not None
    jeffreys = np.sqrt(20.5 / 21 * 0.5 / 21 / 20)
    assert result.se == pytest.approx(jeffreys, rel=0.05)
    frame = pd.DataFrame({"item_id": np.arange(500).astype(str), "model": "m", "judge": 1}).assign(
        human=np.where(np.arange(500) < 20, 1.0, np.nan)
    )
    fit = estimate(frame, ["judge"], method="ppi")
    region = next(e for e in fit.estimates if e.stratum.region != "ALL")
    assert region.upper == 1.0
    assert region.lower < 0.975


def test_ppi_covers_near_the_boundary() -> None:
    """θ = 0.98 with 20 labels: most strata have no failing label."""
    rng = np.random.default_rng(11)
    hits = []
    for rep in range(60):
        frame, truth = paired_table(
            rng,
            thetas={"inc": 0.98, "cand": 0.96},
            judge={"inc": (0.95, 0.6), "cand": (0.95, 0.6)},
            n_judged=600,
            n_labelled=20,
            regions=("a", "b"),
        )
        fit = estimate(frame, ["judge"], baseline="inc", method="ppi", seed=rep, n_draws=2000)
        for e in fit.estimates:
            if e.stratum.region != "ALL":
                hits.append(e.lower <= truth[(e.stratum.model, e.stratum.region)] <= e.upper)
        for c in fit.comparisons:
            if c.region != "ALL":
                hits.append(c.lower <= -0.02 <= c.upper)
    assert float(np.mean(hits)) >= 0.85


@pytest.mark.parametrize("method", ["bayes", "human", "ppi"])
def test_unequal_inclusion_probabilities_leave_no_bias(method: str) -> None:
    """Labels chosen 30 times as often where the judge fails the candidate: each method
    weights them by the inverse of their inclusion probability. Read as equally likely
    (inclusion_prob dropped), human-only and PPI++ are off by 0.05–0.27 and the Bayesian
    incumbent by 0.05 (its judge cells do not explain the choice)."""
    rng = np.random.default_rng(8)
    errors = []
    for rep in range(40):
        frame, truth = unequal_inclusion_table(rng)
        fit = estimate(
            frame,
            ["judge"],
            baseline="inc",
            method=method,  # type: ignore[arg-type]
            seed=rep,
            n_draws=500,
        )
        theta = {e.stratum.model: e.mean for e in fit.estimates if e.stratum.region != "ALL"}
        errors.append(
            (
                theta["inc"] - truth["inc"],
                theta["cand"] - truth["cand"],
                fit.comparisons[0].mean - (truth["cand"] - truth["inc"]),
            )
        )
    assert np.abs(np.mean(errors, axis=0)).max() < 0.03


def test_ppi_needs_two_labels_and_falls_back_without_unlabelled_rows() -> None:
    assert ppi_mean_estimate(np.array([1.0]), np.array([1.0]), np.array([0.0, 1.0])) is None
    result = ppi_mean_estimate(np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([]))
    assert result is not None
    assert (result.estimate, result.lam) == (0.5, 0.0)


def test_human_baseline_is_jeffreys_beta() -> None:
    rng = np.random.default_rng(0)
    draws = human_pass_rate_draws(np.array([1.0] * 8 + [0.0] * 2), rng=rng, n_draws=200_000)
    assert draws is not None
    assert draws.mean() == pytest.approx(8.5 / 11, abs=0.002)
    assert human_pass_rate_draws(np.array([]), rng=rng, n_draws=10) is None


def test_every_method_shares_the_interface_and_the_judge_one_is_biased() -> None:
    rng = np.random.default_rng(9)
    frame, truth = paired_table(
        rng,
        thetas={"inc": 0.8, "cand": 0.6},
        judge={"inc": (0.9, 0.9), "cand": (0.97, 0.35)},
        n_judged=3000,
        n_labelled=150,
    )
    fits = {
        m: estimate(frame, ["judge"], baseline="inc", margin=0.05, method=m)
        for m in ("bayes", "human", "ppi", "judge")
    }
    true_delta = truth[("cand", "r")] - truth[("inc", "r")]
    for method in ("bayes", "human", "ppi"):
        comp = next(c for c in fits[method].comparisons if c.region == "r")
        assert comp.lower <= true_delta <= comp.upper, method
        assert comp.p_noninferior < 0.05, method
    naive = next(c for c in fits["judge"].comparisons if c.region == "r")
    assert naive.mean > true_delta + 0.1  # the lenient judge hides the drop


def test_judge_diagnostics_recover_se_sp_and_warn_on_a_lenient_judge() -> None:
    rng = np.random.default_rng(3)
    frame, _ = paired_table(
        rng,
        thetas={"inc": 0.7, "cand": 0.7},
        judge={"inc": (0.9, 0.9), "cand": (0.97, 0.35)},
        n_judged=2000,
        n_labelled=600,
    )
    fit = estimate(frame, ["judge"], baseline="inc")
    rows = {(j.model, j.region): j for j in fit.judges}
    cand = rows[("cand", "ALL")]
    assert cand.sensitivity == pytest.approx(0.97, abs=0.03)
    assert cand.specificity == pytest.approx(0.35, abs=0.07)
    assert cand.j_gap == pytest.approx(0.32 - 0.8, abs=0.1)
    assert any("treats cand differently" in w for w in fit.diagnostics.warnings)
    fair = estimate(frame[frame["model"] == "inc"], ["judge"], baseline="inc")
    assert not any("treats" in w for w in fair.diagnostics.warnings)
