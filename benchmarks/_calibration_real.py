"""Real human-vs-judge data: NQ-301 (Kamalloo et al., 2023), read from ``$BATON_DATA_DIR``.

Twelve open-domain QA systems answer the same ~300 NaturalQuestions prompts; every answer
has a human correctness label and several automated judges (GPT-4, exact match, BEM,
text-davinci-003, token F1). Each replication keeps the labels of n random prompts (the
same prompts for every model: paired) and hides the rest; the all-human pass rate of each
model, and each model's difference from FiD, are the truth its intervals should cover.
Nothing is copied into the repository: the file is read where it lies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from baton import Estimates, estimate

from ._calibration_records import (
    Record,
    bound_width,
    comparison_records,
    estimate_records,
    with_central_intervals,
)
from ._calibration_sim import BASE_METHODS

__all__ = [
    "HEADLINE",
    "INCUMBENT",
    "JUDGES",
    "RealTask",
    "default_path",
    "headline_records",
    "run_real_task",
]

INCUMBENT = "FiD"
HEADLINE = "text-davinci-003_fewshot-n64"
JUDGES = ("auto_gpt4", "auto_em", "auto_bem", "auto_text_davinci_003", "auto_f1")
DIMENSION = "correct"


def default_path() -> Path:
    """``nq301/nq301_long.csv`` under the folder ``BATON_DATA_DIR`` names (the data set is
    not part of the repository: download it there); a path that does not exist if unset."""
    return Path(os.environ.get("BATON_DATA_DIR", "/nonexistent")) / "nq301" / "nq301_long.csv"


@dataclass(frozen=True)
class RealTask:
    path: str
    judge: str
    n: int
    rep: int
    draws: int


@dataclass(frozen=True)
class _Data:
    table: pd.DataFrame  # every label present
    items: np.ndarray  # the prompts' item_ids
    truth: dict[str, float]  # all-human pass rate per model
    eta_squared: dict[tuple[str, str], float]  # (judge, model) -> η² on all the data


def _eta_squared(labels: pd.Series, signal: pd.Series) -> float:
    means = labels.groupby(signal).transform("mean")
    variance = float(labels.var(ddof=0))
    return float(means.var(ddof=0) / variance) if variance > 0 else 0.0


@lru_cache(maxsize=2)
def _data(path: str) -> _Data:
    raw = pd.read_csv(path)
    table = pd.DataFrame(
        {
            "item_id": raw["item_id"].astype(str),
            "model": raw["model"],
            "dimension": DIMENSION,
            "human": raw["human_label"].astype(float),
        }
    )
    for judge in JUDGES:
        table[judge] = raw[judge].astype(float)
    truth = {str(m): float(v) for m, v in table.groupby("model")["human"].mean().items()}
    eta = {
        (judge, str(model)): _eta_squared(rows["human"], rows[judge])
        for judge in JUDGES
        for model, rows in table.groupby("model")
    }
    return _Data(table, table["item_id"].unique(), truth, eta)


def _subsample(data: _Data, task: RealTask) -> pd.DataFrame:
    rng = np.random.default_rng([JUDGES.index(task.judge), task.n, task.rep])
    keep = rng.choice(data.items, size=task.n, replace=False)
    table = data.table[["item_id", "model", "dimension", "human", task.judge]].copy()
    table.loc[~table["item_id"].isin(keep), "human"] = np.nan
    return table


def run_real_task(task: RealTask) -> list[Record]:
    """Every method with one judge on one subsample of the labels."""
    data = _data(task.path)
    table = _subsample(data, task)

    def truth(_dim: str, model: str, _region: str) -> float:
        return data.truth[model]

    def delta(_dim: str, model: str, _region: str) -> float:
        return data.truth[model] - data.truth[INCUMBENT]

    def bound(_dim: str, model: str, _region: str, n: int, unlabelled: int) -> float:
        eta2 = data.eta_squared[(task.judge, model)]
        return bound_width(data.truth[model], eta2, n, unlabelled)

    records: list[Record] = []
    for method in BASE_METHODS:
        result = estimate(
            table,
            [task.judge],
            baseline=INCUMBENT,
            margin=0.05,
            method=method,
            seed=task.rep,
            n_draws=task.draws,
        )
        fits: list[tuple[str, Estimates]] = [(method, result)]
        if method == "bayes":
            fits.append(("bayes-central", with_central_intervals(result)))
        for name, fit in fits:
            tag = (task.judge, task.n, name)
            records += estimate_records(fit, label=tag, truth=truth, bound=bound)
            records += comparison_records(fit, label=tag, truth=delta, margins=lambda _d: 0.05)
    return records


def headline_records(records: list[Record]) -> list[Record]:
    """The incumbent's and the headline candidate's intervals, and their comparison."""
    keep = {f"{DIMENSION}/{INCUMBENT}/all", f"{DIMENSION}/{HEADLINE}/all"}
    return [r for r in records if r.key in keep]
