"""The demo end to end: its calls agree with the simulated truth, and it survives a crash."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from baton.providers import Completion, CompletionRequest, Provider
from baton.simulate import demo_scenario, simulate_study
from baton.steps import DemoOptions, DemoRun, record_version, run_demo
from baton.storage import open_store


def assert_agrees_with_truth(run: DemoRun) -> None:
    """Every decided cell that blocks a go agrees with the truth the simulator exposes."""
    truth = run.simulated.truth
    study = run.simulated.study
    for d in run.result.decisions:
        if not d.blocking or d.outcome == "inconclusive":
            continue
        noninferior = truth.noninferior(
            d.dimension, d.candidate, d.region, study.dimension(d.dimension).margin
        )
        assert noninferior == (d.outcome == "go"), d


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_demo_calls_match_the_simulated_truth(demo_run: DemoRun) -> None:
    outcomes = {v.candidate: v.outcome for v in demo_run.result.verdicts}
    assert outcomes == {"cand-a": "go", "cand-b": "no_go"}
    by_candidate = {v.candidate: v for v in demo_run.result.verdicts}
    assert by_candidate["cand-a"].flagged_regions == ("africa",)
    assert any("correctness in eu" in r for r in by_candidate["cand-b"].reasons)
    assert_agrees_with_truth(demo_run)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decided_cells_agree_with_truth_on_other_seeds(tmp_path: Path, seed: int) -> None:
    assert_agrees_with_truth(run_demo(tmp_path, options=DemoOptions(seed=seed)))


def test_demo_writes_the_three_reports(demo_run: DemoRun) -> None:
    result = json.loads(demo_run.paths.json.read_text(encoding="utf-8"))
    assert result["schema"] == 1
    assert result["outcome"] == "go"
    assert demo_run.paths.markdown.read_text(encoding="utf-8").startswith("## Baton")
    assert "<svg" in demo_run.paths.html.read_text(encoding="utf-8")
    assert (demo_run.paths.html.parent / "study.yaml").exists()


def test_demo_spends_the_label_budget_and_judges_everything(demo_run: DemoRun) -> None:
    study = demo_run.simulated.study
    assert demo_run.result.labels_used <= study.labels.budget
    assert demo_run.summaries["judge"]["written"] == demo_run.summaries["replay"]["written"] * 3
    assert demo_run.summaries["replay"]["errors"] == 0


class PowerCut(Exception):
    """Stands for the process dying mid-step."""


class DyingProvider:
    """Answers like the simulated model until the shared call budget runs out, then dies."""

    name = "dying"

    def __init__(self, inner: Provider, budget: list[int]) -> None:
        self._inner = inner
        self._budget = budget

    async def complete(self, request: CompletionRequest) -> Completion:
        self._budget[0] -= 1
        if self._budget[0] < 0:
            raise PowerCut
        return await self._inner.complete(request)


def small(seed: int = 7) -> DemoOptions:
    return DemoOptions(seed=seed, log_items_per_region=200, sample_per_region=40)


def test_interrupted_run_resumes_without_duplicates(tmp_path: Path) -> None:
    options = small()
    world = simulate_study(demo_scenario(items_per_region=200), seed=7, name="demo-migration")
    budget = [300]
    dying = {m.name: DyingProvider(world.provider(m.name), budget) for m in world.study.models}
    with pytest.raises(PowerCut):
        run_demo(tmp_path / "a", options=options, providers=dying)
    store = open_store(f"sqlite:///{tmp_path / 'a' / 'baton.db'}")
    try:
        partial = store.responses()
        runs = store.runs()
    finally:
        store.close()
    assert 0 < len(partial) < 3 * 6 * 40
    assert len(partial) == 300  # every answer received before the crash was stored
    assert [r.status for r in runs if r.step == "replay"] == ["failed"]

    resumed = run_demo(tmp_path / "a", options=options)
    fresh = run_demo(tmp_path / "b", options=options)
    store = open_store(f"sqlite:///{tmp_path / 'a' / 'baton.db'}")
    try:
        keys = Counter((r.item_id, r.model) for r in store.responses())
        verdicts = store.verdicts()
    finally:
        store.close()
    assert len(keys) == 3 * 6 * 40
    assert max(keys.values()) == 1
    assert len(verdicts) == 3 * len(keys)
    assert resumed.result.decisions == fresh.result.decisions
    assert resumed.summaries["replay"]["written"] == 3 * 6 * 40 - len(partial)


def test_store_of_another_study_version_records_it_and_says_what_changed(
    tmp_path: Path,
) -> None:
    run_demo(tmp_path, options=small())
    other = simulate_study(demo_scenario(items_per_region=200), seed=7, name="renamed")
    store = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    try:
        changes = record_version(store, other.study)
        assert next((c.path, c.after, c.scope) for c in changes.changes) == (
            "name",
            "renamed",
            "nothing",
        )
        assert changes.new_version
        assert store.study_versions()[-1].digest == changes.digest
    finally:
        store.close()
