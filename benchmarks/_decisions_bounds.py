"""What any allocation can gain, from the simulated truth (no fits).

Post-stratified on the judge's cell k (shares π_k, human-label sd σ_k within the cell), a
stratum's labelled-part variance per label is Σ π_k σ_k² under random labels and at best
(Σ π_k σ_k)² under Neyman allocation (labels in proportion to π_k σ_k); human-only labels
give Var(Y). Their ratios bound what (c) can save over (b), and (b) over (a), per label
(ignoring the judged part's variance, which favours human-only slightly at finite N).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._decisions_runs import world_table

__all__ = ["allocation_bounds"]


def _stratum_bounds(rows: pd.DataFrame) -> tuple[float, float]:
    """(random / Neyman, human-only / random) variance ratios for one stratum."""
    cells = rows.groupby("judge")["truth"].agg(["mean", "size"])
    share = cells["size"].to_numpy(float) / len(rows)
    mean = cells["mean"].to_numpy(float)
    sd = np.sqrt(mean * (1 - mean))
    random = float((share * sd**2).sum())
    neyman = float((share * sd).sum() ** 2)
    human = float(rows["truth"].var(ddof=0))
    return random / max(neyman, 1e-12), human / max(random, 1e-12)


def allocation_bounds(scenario: str, items: int, reps: int) -> list[dict[str, Any]]:
    """Per dimension: the median over models, regions and ``reps`` simulated studies of the
    most Neyman allocation can save over random labels, and post-stratification over
    human-only labels (per label, per model)."""
    found: dict[str, list[tuple[float, float]]] = {}
    for rep in range(reps):
        _, table, truth = world_table(scenario, rep, items)
        frame = table.assign(truth=truth.to_numpy())
        for (dim, _model, _region), rows in frame.groupby(["dimension", "model", "region"]):
            found.setdefault(str(dim), []).append(_stratum_bounds(rows))
    return [
        {
            "scenario": scenario,
            "dimension": dim,
            "strata × reps": len(values),
            "(b)/(c) at most (Neyman), median [range]": _text([v[0] for v in values]),
            "(a)/(b) per label (post-stratification), median [range]": _text(
                [v[1] for v in values]
            ),
        }
        for dim, values in sorted(found.items())
    ]


def _text(values: list[float]) -> str:
    return f"{np.median(values):.2f}× [{min(values):.2f}–{max(values):.2f}]"
