"""Post-stratified calibration, checked by simulation against a known truth."""

from __future__ import annotations

import numpy as np
import pytest

from baton.calibration import central_interval, pooled_draws, poststratified_pass_rate_draws


def draw_stratum(
    rng: np.random.Generator, theta: float, se: float, sp: float, *, n_judged: int, n_labelled: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    truth = rng.random(n_judged) < theta
    judged = np.where(truth, rng.random(n_judged) < se, rng.random(n_judged) >= sp).astype(int)
    chosen = rng.choice(n_judged, n_labelled, replace=False)
    return judged, judged[chosen], truth[chosen].astype(int)


@pytest.mark.parametrize(
    ("theta", "se", "sp", "n"),
    [(0.8, 0.9, 0.9, 20), (0.6, 0.97, 0.35, 50), (0.9, 0.5, 0.5, 40)],
)
def test_ninety_percent_intervals_cover_the_truth(
    theta: float, se: float, sp: float, n: int
) -> None:
    rng = np.random.default_rng(11)
    replications, hits = 400, 0
    for _ in range(replications):
        judged, labelled, labels = draw_stratum(rng, theta, se, sp, n_judged=2000, n_labelled=n)
        draws = poststratified_pass_rate_draws(
            judged, labelled, labels, categories=(0, 1), rng=rng, n_draws=2000
        )
        _, lower, upper = central_interval(draws, 0.9)
        hits += lower <= theta <= upper
    assert 0.86 <= hits / replications <= 0.96


def test_a_good_judge_narrows_the_interval_and_a_useless_one_does_not() -> None:
    rng = np.random.default_rng(5)
    widths: dict[str, list[float]] = {"good": [], "useless": [], "none": []}
    for _ in range(200):
        for name, quality in (("good", 0.95), ("useless", 0.5)):
            judged, labelled, labels = draw_stratum(
                rng, 0.7, quality, quality, n_judged=3000, n_labelled=60
            )
            draws = poststratified_pass_rate_draws(
                judged, labelled, labels, categories=(0, 1), rng=rng
            )
            _, lo, hi = central_interval(draws, 0.9)
            widths[name].append(hi - lo)
        constant = np.zeros(60, dtype=int)
        draws = poststratified_pass_rate_draws(
            np.zeros(3000, dtype=int), constant, labels, categories=(0, 1), rng=rng
        )
        _, lo, hi = central_interval(draws, 0.9)
        widths["none"].append(hi - lo)
    good, useless, none = (float(np.mean(widths[k])) for k in ("good", "useless", "none"))
    assert good < 0.6 * none
    assert useless == pytest.approx(none, rel=0.12)


def test_a_lenient_judge_is_corrected_by_labels() -> None:
    rng = np.random.default_rng(2)
    judged, labelled, labels = draw_stratum(rng, 0.55, 0.97, 0.3, n_judged=5000, n_labelled=400)
    draws = poststratified_pass_rate_draws(judged, labelled, labels, categories=(0, 1), rng=rng)
    assert judged.mean() > 0.8
    assert draws.mean() == pytest.approx(0.55, abs=0.04)


def test_unknown_categories_and_ragged_inputs_are_rejected() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="categories"):
        poststratified_pass_rate_draws(
            np.array([0, 3]), np.array([0]), np.array([1]), categories=(0, 1), rng=rng
        )
    with pytest.raises(ValueError, match="same length"):
        poststratified_pass_rate_draws(
            np.array([0, 1]), np.array([0, 1]), np.array([1]), categories=(0, 1), rng=rng
        )


def test_pooled_draws_weight_regions_by_traffic() -> None:
    draws = {"a": np.full(10, 0.2), "b": np.full(10, 0.8)}
    assert pooled_draws(draws, {"a": 0.75, "b": 0.25}) == pytest.approx(np.full(10, 0.35))


def test_central_interval_is_centred() -> None:
    draws = np.linspace(0.0, 1.0, 10_001)
    mean, lower, upper = central_interval(draws, 0.9)
    assert (mean, lower, upper) == pytest.approx((0.5, 0.05, 0.95))
