"""A clear loser is called no-go on few labels, and the study path and the estimate path
give the same call and exit code on the same labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from baton.analysis import evidence_table
from baton.cli.main import main
from baton.decision import MIN_LOOK_LABELS, SIGNAL
from baton.domain import Label, Response, Verdict
from baton.simulate import JudgeQuality, Scenario, paired_label_requests, simulate_study
from baton.steps import estimate, study_store
from baton.storage import default_store_url, open_store

REGIONS = {"na": 0.5, "eu": 0.3, "apac": 0.2}
DIMENSIONS = ("correctness", "refusal")
MODELS = ("incumbent", "cand-a", "cand-b")


def _loser_study(folder: Path, *, labels_per_stratum: int) -> Path:
    """Both candidates 50–60 points worse than the incumbent everywhere, a good judge, and
    ``labels_per_stratum`` paired items labelled per region × dimension."""
    rates = {}
    for dim in DIMENSIONS:
        for region in REGIONS:
            rates[(dim, "incumbent", region)] = 0.9
            rates[(dim, "cand-a", region)] = 0.35
            rates[(dim, "cand-b", region)] = 0.3
    scenario = Scenario(
        regions=REGIONS,
        incumbent="incumbent",
        candidates=MODELS[1:],
        dimensions=dict.fromkeys(DIMENSIONS, "binary"),
        margins=dict.fromkeys(DIMENSIONS, 0.05),
        pass_rates=rates,
        items_per_region=150,
        default_judge=JudgeQuality(0.9, 0.9),
        rater_errors=(0.01, 0.02),
        label_budget=labels_per_stratum * len(REGIONS) * len(DIMENSIONS) * len(MODELS),
    )
    world = simulate_study(scenario, seed=4, name="support-assistant")
    path = folder / "study.yaml"
    data = world.study.model_dump(mode="json", exclude_none=True)
    data["labels"]["budget"] = 3000  # the team's budget: far more than these labels
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    rng = np.random.default_rng(2)
    requests = paired_label_requests(
        world.items, list(MODELS), list(DIMENSIONS), budget=scenario.label_budget, rng=rng
    )
    store = open_store(default_store_url(path))
    try:
        store.add_items(world.items)
        store.add_responses(
            [Response(i.item_id, m, f"answer of {m}") for i in world.items for m in MODELS]
        )
        store.add_verdicts(
            [
                Verdict(i.item_id, m, d, "simulated", "sim-1", world.judge_category(i, m, d))
                for i in world.items
                for m in MODELS
                for d in DIMENSIONS
            ]
        )
        store.add_labels(
            [
                Label(
                    r.item_id,
                    r.model,
                    r.dimension,
                    world.raters[0],
                    world.label(r.item_id, r.model, r.dimension, world.raters[0]).value,
                    r.inclusion_prob,
                )
                for r in requests
            ]
        )
    finally:
        store.close()
    return path


def test_clear_losers_are_no_go_on_both_paths_before_the_minimum(tmp_path: Path) -> None:
    labels = MIN_LOOK_LABELS // 2
    study = _loser_study(tmp_path, labels_per_stratum=labels)
    out = tmp_path / "decide.json"
    assert main(["decide", str(study), "-o", str(out)]) == 1
    decided = json.loads(out.read_text(encoding="utf-8"))
    assert [c["outcome"] for c in decided["candidates"]] == ["no_go", "no_go"]
    regional = [d for d in decided["decisions"] if d["region"] != "ALL"]
    assert any(d["outcome"] == "no_go" for d in regional)
    for d in regional:
        assert (d["outcome"] == "inconclusive") == bool(d["reason"]), d

    with study_store(study) as opened:
        s, store = opened.study, opened.store
        table = evidence_table(s, store.items(), store.verdicts(), store.labels())
    fit = estimate(table, [SIGNAL], baseline=s.incumbent.name, margin=s.margins)
    estimate_json = tmp_path / "estimate.json"
    estimate_json.write_text(fit.to_json(), encoding="utf-8")
    code = main(["report", "--from-estimate", str(estimate_json), "--out-dir", str(tmp_path / "r")])
    assert code == 1
    reported = json.loads((tmp_path / "r" / "result.json").read_text(encoding="utf-8"))
    assert [c["outcome"] for c in reported["candidates"]] == ["no_go", "no_go"]
    for candidate in reported["candidates"]:
        assert "ALL" not in candidate["flagged_regions"]
