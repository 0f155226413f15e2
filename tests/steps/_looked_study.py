"""A simulated study on disk whose labels arrive in stages, for the label loop's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from baton.domain import Label, Response, Verdict
from baton.simulate import JudgeQuality, Scenario, SimulatedStudy, simulate_study
from baton.storage import default_store_url, open_store

REGIONS = {"na": 0.6, "eu": 0.4}
DIMENSION = "correctness"


def looked_study(
    folder: Path, *, candidates: tuple[str, ...], budget: int, margin: float = 0.05
) -> tuple[Path, SimulatedStudy]:
    """Every candidate as good as the incumbent (θ 0.85) in every region, a fair judge,
    150 items per region judged for every model and no label yet; ``budget`` in the file."""
    models = ("incumbent", *candidates)
    scenario = Scenario(
        regions=REGIONS,
        incumbent="incumbent",
        candidates=candidates,
        dimensions={DIMENSION: "binary"},
        margins={DIMENSION: margin},
        pass_rates={(DIMENSION, m, r): 0.85 for m in models for r in REGIONS},
        items_per_region=150,
        default_judge=JudgeQuality(0.85, 0.85),
        rater_errors=(0.0,),
        label_budget=budget,
    )
    world = simulate_study(scenario, seed=7, name="looked")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.yaml"
    set_study(path, world, budget=budget)
    store = open_store(default_store_url(path))
    try:
        store.add_items(world.items)
        store.add_responses(
            [Response(i.item_id, m, f"answer of {m}") for i in world.items for m in models]
        )
        store.add_verdicts(
            [
                Verdict(
                    i.item_id,
                    m,
                    DIMENSION,
                    "simulated",
                    "sim-1",
                    world.judge_category(i, m, DIMENSION),
                )
                for i in world.items
                for m in models
            ]
        )
    finally:
        store.close()
    return path, world


def set_study(path: Path, world: SimulatedStudy, *, budget: int, **decision: object) -> None:
    """Write the study file with ``budget`` and the ``decision`` settings given."""
    data = world.study.model_dump(mode="json", exclude_none=True)
    data["labels"]["budget"] = budget
    data["decision"].update(decision)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def label_items(path: Path, world: SimulatedStudy, per_region: int) -> int:
    """Label the first ``per_region`` items of each region for every model (adding to the
    labels already there); returns the labels in the store."""
    models = world.study.models
    rater = world.raters[0]
    chosen = []
    for region in REGIONS:
        pool = sorted(i.item_id for i in world.items if i.region == region)
        order = np.random.default_rng(3).permutation(len(pool))
        chosen += [pool[j] for j in order[:per_region]]
    store = open_store(default_store_url(path))
    try:
        store.add_labels(
            [
                Label(
                    item,
                    m.name,
                    DIMENSION,
                    rater,
                    world.label(item, m.name, DIMENSION, rater).value,
                )
                for item in chosen
                for m in models
            ]
        )
        return len(store.labels())
    finally:
        store.close()
