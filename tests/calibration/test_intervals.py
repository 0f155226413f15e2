"""The credible-interval rule keeps its coverage and still reaches a bound when the posterior
piles up against it (checked against the binomial truth, not by inspection)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from baton.calibration import credible_interval


def coverage(theta: float, n: int, level: float = 0.9) -> float:
    """Frequentist coverage of the rule on Jeffreys posteriors: exact over the n + 1 outcomes."""
    rng = np.random.default_rng(7)
    covered = 0.0
    for k in range(n + 1):
        draws = rng.beta(k + 0.5, n - k + 0.5, 4000)
        _, lower, upper = credible_interval(draws, level)
        if lower <= theta <= upper:
            covered += float(stats.binom.pmf(k, n, theta))
    return covered


@pytest.mark.parametrize("theta", [0.5, 0.7, 0.85, 0.95])
def test_coverage_is_near_nominal_where_the_shortest_rule_lost_it(theta: float) -> None:
    # Choosing the shortest of the central and one-sided intervals covered 0.757 at 0.85.
    assert coverage(theta, 20) >= 0.87


def test_agreeing_labels_reach_the_bound() -> None:
    rng = np.random.default_rng(1)
    all_pass = rng.beta(20.5, 0.5, 4000)
    _, lower, upper = credible_interval(all_pass, 0.9)
    assert upper == 1.0
    assert 0.85 < lower < 0.99
    _, lower, upper = credible_interval(1 - all_pass, 0.9)
    assert lower == 0.0
    assert 0.01 < upper < 0.15
    _, lower, upper = credible_interval(rng.beta(12.5, 8.5, 4000), 0.9)
    assert 0.0 < lower < upper < 1.0


def test_a_posterior_near_a_bound_but_not_against_it_gets_the_central_interval() -> None:
    """Piled against a bound is judged at the posterior's own scale: a pooled rate near 0.98
    with a standard deviation of 0.01 is not piled against 1 (with a fortieth of the range
    as the bin, it was, and its one-sided interval cost coverage near 100%)."""
    rng = np.random.default_rng(2)
    near = np.clip(rng.normal(0.98, 0.01, 4000), 0.0, 1.0)
    _, lower, upper = credible_interval(near, 0.9)
    central = np.quantile(near, [0.05, 0.95])
    assert upper < 1.0
    assert (lower, upper) == pytest.approx(tuple(central))
