from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from baton.decision import JudgePrior, plan_labels, simulated_labels_from_prior


def judged(
    n: int = 400, *, share: float = 0.75, regions: tuple[str, ...] = ("eu",)
) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    parts = []
    for region in regions:
        for model in ("inc", "cand"):
            parts.append(
                pd.DataFrame(
                    {
                        "item_id": [f"{region}{i}" for i in range(n)],
                        "model": model,
                        "dimension": "c",
                        "region": region,
                        "weight": 1.0,
                        "judge": (rng.random(n) < share).astype(int),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def test_simulated_labels_match_the_pass_rate_the_prior_implies() -> None:
    table = judged(20_000, share=0.74)
    labels = simulated_labels_from_prior(table, JudgePrior(0.9, 0.8), np.random.default_rng(1))
    q = table["judge"].mean()
    assert labels.mean() == pytest.approx((q + 0.8 - 1) / (0.9 + 0.8 - 1), abs=0.01)
    passed = labels[table["judge"] == 1].mean()
    assert passed > labels[table["judge"] == 0].mean() + 0.5


def test_a_judge_without_signal_is_refused() -> None:
    with pytest.raises(ValueError, match="no signal"):
        JudgePrior(0.5, 0.5)


def test_plan_gives_quantiles_and_cost() -> None:
    plan = plan_labels(
        judged(),
        baseline="inc",
        margins={"c": 0.1},
        blocking={"eu": True},
        confidence=0.9,
        prior=JudgePrior(0.95, 0.95),
        minutes_per_label=1.5,
        batch_units=20,
        max_labels=800,
        replications=4,
        seed=3,
    )
    (stratum,) = plan.strata
    assert stratum.decided_share == 1.0
    assert stratum.labels_80 is not None
    assert stratum.labels_95 is not None
    assert 0 < stratum.labels_80 <= stratum.labels_95 <= 800
    assert plan.total_80 is not None
    assert plan.hours(plan.total_80) == pytest.approx(plan.total_80 * 1.5 / 60)
