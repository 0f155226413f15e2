"""A clear loser is called no-go on few labels, and the study path and the estimate path
give the same call and exit code on the same labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from baton.analysis import evidence_table
from baton.cli.main import main
from baton.decision import DEFAULT_DESIGN, MIN_LOOK_LABELS, SIGNAL
from baton.domain import Label, Response, Verdict
from baton.simulate import JudgeQuality, Scenario, paired_label_requests, simulate_study
from baton.steps import estimate, study_store
from baton.storage import default_store_url, open_store

REGIONS = {"na": 0.5, "eu": 0.3, "apac": 0.2}
DIMENSIONS = ("correctness", "refusal")
MODELS = ("incumbent", "cand-a", "cand-b")


LOSERS = {"cand-a": 0.35, "cand-b": 0.3}
"""Both candidates 50–60 points worse than the incumbent (0.9) everywhere."""


def _loser_study(
    folder: Path,
    *,
    labels_per_stratum: int,
    candidates: dict[str, float] = LOSERS,
    decision: dict[str, object] | None = None,
    budget: int = 3000,
) -> Path:
    """The incumbent at 0.9 and the ``candidates`` at their rates everywhere, a good judge,
    and ``labels_per_stratum`` paired items labelled per region × dimension; ``decision``
    overrides the study's decision settings."""
    rates = {}
    for dim in DIMENSIONS:
        for region in REGIONS:
            rates[(dim, "incumbent", region)] = 0.9
            for candidate, rate in candidates.items():
                rates[(dim, candidate, region)] = rate
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
    data["labels"]["budget"] = budget  # the team's budget: by default far more than these
    data["decision"].update(decision or {})
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


@pytest.mark.parametrize(
    ("decision", "pool", "per_stratum"),
    [({}, False, 40), ({"design": "pocock"}, False, 40), ({"pool_regions": True}, True, 40)],
    ids=["default", "pocock", "pooled"],
)
def test_both_paths_make_the_same_call_in_every_cell(
    tmp_path: Path, decision: dict[str, object], pool: bool, per_stratum: int
) -> None:
    """A candidate as good as the incumbent and one a margin worse (pooled: better, and two
    margins worse), 40 labels per model:
    some cells are called, some stay open; with the budget spent (the estimate path's one
    look is the loop's last), both paths agree cell by cell under each setting."""
    labels = per_stratum * len(REGIONS) * len(DIMENSIONS) * len(MODELS)
    study = _loser_study(
        tmp_path,
        labels_per_stratum=per_stratum,
        candidates={"cand-a": 0.95, "cand-b": 0.8} if pool else {"cand-a": 0.9, "cand-b": 0.85},
        decision=decision,
        budget=labels,
    )
    out = tmp_path / "decide.json"
    code = main(["decide", str(study), "-o", str(out)])
    decided = json.loads(out.read_text(encoding="utf-8"))
    with study_store(study) as opened:
        s, store = opened.study, opened.store
        table = evidence_table(s, store.items(), store.verdicts(), store.labels())
    fit = estimate(table, [SIGNAL], baseline=s.incumbent.name, margin=s.margins, pool_deltas=pool)
    estimate_json = tmp_path / "estimate.json"
    estimate_json.write_text(fit.to_json(), encoding="utf-8")
    design = str(decision.get("design", DEFAULT_DESIGN))
    args = ["report", "--from-estimate", str(estimate_json), "--design", design]
    assert main([*args, "--out-dir", str(tmp_path / "r")]) == code
    reported = json.loads((tmp_path / "r" / "result.json").read_text(encoding="utf-8"))

    def calls(result: dict[str, Any]) -> dict[tuple[str, str, str], str]:
        return {
            (d["candidate"], d["dimension"], d["region"]): d["outcome"]
            for d in result["decisions"]
            if d["region"] != "ALL"
        }

    assert calls(reported) == calls(decided)
    assert len(set(calls(decided).values())) > 1  # not a one-outcome study
