from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from baton.decision import allocate_units, systematic_pps


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
    assert all(u.inclusion_prob == pytest.approx(50 / 300) for u in uniform)


def test_estimates_stay_unbiased_under_allocation() -> None:
    """Labels drawn by the allocation, weighted by their inclusion probabilities, estimate
    the true pass rate without bias (fixed seeds, 60 replications)."""
    from baton.estimate import estimate

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
