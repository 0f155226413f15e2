from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from baton.decision import LabelUnit, allocate_units, systematic_pps
from baton.decision._allocation import REFERENCE_FRACTION, unit_intensities


def test_systematic_pps_takes_exactly_n_with_the_stated_probabilities() -> None:
    rng = np.random.default_rng(0)
    sizes = np.array([10.0, 5.0, 1.0, 1.0, 1.0, 2.0, 30.0, 0.5])
    counts = np.zeros(sizes.size)
    reps = 20_000
    for _ in range(reps):
        chosen, probs = systematic_pps(sizes, 3, rng)
        assert chosen.size == 3
        counts[chosen] += 1
    assert probs.sum() == pytest.approx(3.0)
    assert probs.max() == 1.0  # the largest unit is certain
    assert counts / reps == pytest.approx(probs, abs=0.015)


def evidence(n_items: int = 60, n_labelled: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for region in ("eu", "us"):
        for i in range(n_items):
            for model in ("inc", "cand"):
                judge = int(rng.random() < 0.8)
                human = float(judge) if i < n_labelled else np.nan
                rows.append((f"{region}{i}", model, "correctness", region, judge, human))
    return pd.DataFrame(rows, columns=["item_id", "model", "dimension", "region", "judge", "human"])


def test_allocation_respects_the_batch_skips_labelled_and_decided_strata() -> None:
    table = evidence()
    units = allocate_units(
        table, {("correctness", "eu"): 1.0}, 12, signal="judge", rng=np.random.default_rng(2)
    )
    assert len(units) == 12
    assert {u.region for u in units} == {"eu"}
    labelled = set(table.loc[table["human"].notna(), "item_id"])
    assert not {u.item_id for u in units} & labelled
    assert len({u.item_id for u in units}) == 12
    assert all(0 < u.inclusion_prob <= 1 for u in units)


def test_allocation_favours_cells_where_humans_and_judge_disagree() -> None:
    table = evidence(400, n_labelled=100)
    # In the judge's "fail" cell humans split evenly; in its "pass" cell they always agree.
    split = (table["judge"] == 0) & table["human"].notna()
    table.loc[split, "human"] = np.resize([0.0, 1.0], int(split.sum()))
    units = allocate_units(
        table,
        {("correctness", "eu"): 1.0, ("correctness", "us"): 1.0},
        100,
        signal="judge",
        rng=np.random.default_rng(3),
    )
    chosen = {u.item_id for u in units}
    rows = table[table["item_id"].isin(chosen)]
    fail_share = float((rows.groupby("item_id")["judge"].min() == 0).mean())
    pool = table[table["human"].isna()]
    base_share = float((pool.groupby("item_id")["judge"].min() == 0).mean())
    assert fail_share > base_share + 0.1
    uniform = allocate_units(
        table,
        {("correctness", "eu"): 1.0},
        50,
        signal="judge",
        rng=np.random.default_rng(3),
        uniform=True,
    )
    assert all(u.inclusion_prob == pytest.approx(REFERENCE_FRACTION) for u in uniform)


def test_estimates_stay_unbiased_under_allocation() -> None:
    """Labels drawn by the allocation, weighted by their inclusion probabilities, estimate
    the true pass rate without bias (fixed seeds, 60 replications)."""
    from baton import estimate

    rng = np.random.default_rng(4)
    errors = []
    for rep in range(60):
        n = 800
        y = rng.random(n) < 0.7
        judge = np.where(y, rng.random(n) < 0.85, rng.random(n) < 0.3).astype(int)
        table = pd.DataFrame(
            {
                "item_id": np.arange(n).astype(str),
                "model": "m",
                "dimension": "d",
                "region": "r",
                "judge": judge,
                "human": np.nan,
                "inclusion_prob": 1.0,
            }
        )
        seed = table.sample(20, random_state=rep).index
        table.loc[seed, "human"] = y[seed].astype(float)
        table.loc[seed, "inclusion_prob"] = 20 / n
        units = allocate_units(table, {("d", "r"): 1.0}, 60, signal="judge", rng=rng)
        picked = table["item_id"].isin([u.item_id for u in units]).to_numpy()
        probs = {u.item_id: u.inclusion_prob for u in units}
        table.loc[picked, "human"] = y[picked].astype(float)
        table.loc[picked, "inclusion_prob"] = table.loc[picked, "item_id"].map(probs)
        errors.append(estimate(table, ["judge"], seed=rep, n_draws=500).estimates[0].mean - 0.7)
    assert abs(float(np.mean(errors))) < 0.015


def test_intensities_are_relative_to_the_stratum_mean_and_bounded() -> None:
    scores = np.array([0.2, 0.2, 0.4, 0.4, 0.0])
    assert unit_intensities(scores).mean() == pytest.approx(1.0, abs=0.1)
    assert unit_intensities(scores)[2] == pytest.approx(2 * unit_intensities(scores)[0])
    assert unit_intensities(scores).min() == pytest.approx(0.1)  # the floor
    assert unit_intensities(np.array([1.0] + [1e-6] * 99)).max() == pytest.approx(20.0)
    assert (unit_intensities(scores, uniform=True) == 1.0).all()


def _label(table: pd.DataFrame, units: list[LabelUnit], truth: pd.Series) -> None:
    probs = {u.item_id: u.inclusion_prob for u in units}
    picked = table["item_id"].isin(list(probs)).to_numpy()
    table.loc[picked, "human"] = truth[picked]
    table.loc[picked, "inclusion_prob"] = table.loc[picked, "item_id"].map(probs)


def test_batches_of_different_sizes_record_one_scale() -> None:
    """A uniform batch of 2 and one of 20 record the same probability, so their labels
    weigh alike (a per-batch probability would weigh the first ten times the second)."""
    table = evidence(200, n_labelled=0).assign(inclusion_prob=1.0)
    truth = pd.Series(np.random.default_rng(5).integers(0, 2, len(table)), dtype=float)
    weights = {("correctness", "eu"): 1.0}
    rng = np.random.default_rng(6)
    small = allocate_units(table, weights, 2, signal="judge", rng=rng, uniform=True)
    _label(table, small, truth)
    large = allocate_units(table, weights, 20, signal="judge", rng=rng, uniform=True)
    assert {u.inclusion_prob for u in small + large} == {REFERENCE_FRACTION}
    _label(table, large, truth)
    allocated = allocate_units(table, weights, 20, signal="judge", rng=rng)
    assert all(0 < u.inclusion_prob <= 1 for u in allocated)


def test_recorded_probabilities_are_proportional_to_how_often_units_are_drawn() -> None:
    table = evidence(120, n_labelled=40)
    split = (table["judge"] == 0) & table["human"].notna()
    table.loc[split, "human"] = np.resize([0.0, 1.0], int(split.sum()))
    weights = {("correctness", "us"): 1.0}
    rng = np.random.default_rng(7)
    drawn: dict[str, int] = {}
    recorded: dict[str, float] = {}
    reps = 3000
    for _ in range(reps):
        for u in allocate_units(table, weights, 10, signal="judge", rng=rng):
            drawn[u.item_id] = drawn.get(u.item_id, 0) + 1
            recorded[u.item_id] = u.inclusion_prob
    assert len(set(recorded.values())) > 1  # the allocation is not uniform here
    ratio = np.array([drawn[i] / reps / recorded[i] for i in drawn])
    assert ratio.std() / ratio.mean() < 0.1


def test_estimates_stay_unbiased_over_batches_of_changing_size() -> None:
    """Five allocated batches of 2 to 30 units after a uniform one: the weighted estimate of
    the pass rate is unbiased (fixed seeds, 40 replications)."""
    from baton import estimate

    rng = np.random.default_rng(8)
    errors = []
    for rep in range(40):
        n = 600
        y = rng.random(n) < 0.7
        judge = np.where(y, rng.random(n) < 0.9, rng.random(n) < 0.2).astype(int)
        table = pd.DataFrame(
            {
                "item_id": np.arange(n).astype(str),
                "model": "m",
                "dimension": "d",
                "region": "r",
                "judge": judge,
                "human": np.nan,
                "inclusion_prob": 1.0,
            }
        )
        truth = pd.Series(y.astype(float))
        for k, size in enumerate((10, 2, 30, 3, 15, 5)):
            units = allocate_units(
                table, {("d", "r"): 1.0}, size, signal="judge", rng=rng, uniform=k == 0
            )
            _label(table, units, truth)
        errors.append(estimate(table, ["judge"], seed=rep, n_draws=500).estimates[0].mean - 0.7)
    assert abs(float(np.mean(errors))) < 0.015
