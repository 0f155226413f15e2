"""The job, step by step, over a store: sample, replay, judge, label, analyse, report.

Each step is recorded as a run with the study's fingerprint, is idempotent, and commits in
batches, so an interrupted job re-run finishes with every row exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from baton._analyse import AnalysisOptions, analyse_study
from baton._batches import BatchOptions
from baton._version import __version__
from baton.analysis import StudyResult
from baton.data import stratified_sample
from baton.domain import Item, Label
from baton.errors import StudyMismatchError
from baton.judges import judge_responses
from baton.providers import Provider
from baton.replay import replay_responses
from baton.report import ReportPaths, write_report
from baton.review import paired_label_requests
from baton.simulate import SimulatedStudy, demo_scenario, simulate_study
from baton.storage import Store, open_store
from baton.study import Study, study_fingerprint

__all__ = ["DemoOptions", "DemoRun", "check_fingerprint", "recorded_step", "run_demo"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    """The demo's size and seed."""

    seed: int = 7
    log_items_per_region: int = 1000
    sample_per_region: int = 300
    store_url: str | None = None
    batch: BatchOptions = BatchOptions()


@dataclass(frozen=True)
class DemoRun:
    """What the demo produced, with the simulated truth to check it against."""

    simulated: SimulatedStudy
    result: StudyResult
    paths: ReportPaths
    summaries: dict[str, dict[str, Any]]


def check_fingerprint(store: Store, study: Study) -> str:
    """The study's fingerprint, after checking the store holds no run of another version."""
    fingerprint = study_fingerprint(study)
    other = {run.fingerprint for run in store.runs()} - {fingerprint}
    if other:
        raise StudyMismatchError(
            f"{store.url} holds runs of another version of study {study.name!r} "
            f"(fingerprint {sorted(other)[0]}, now {fingerprint}); use a new store"
        )
    return fingerprint


@contextmanager
def recorded_step(
    store: Store, step: str, fingerprint: str, summary: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Record one step as a run: done with its summary, or failed if it raised."""
    run_id = store.start_run(step, fingerprint)
    try:
        yield summary
    except BaseException as exc:
        store.finish_run(run_id, "failed", {**summary, "error": type(exc).__name__})
        raise
    store.finish_run(run_id, "done", summary)


def simulated_labels(world: SimulatedStudy, items: Sequence[Item], *, seed: int) -> list[Label]:
    """Labels from the simulated raters on a paired random sample within the budget."""
    study = world.study
    requests = paired_label_requests(
        items,
        [m.name for m in study.models],
        [d.name for d in study.dimensions],
        budget=study.labels.budget,
        rng=np.random.default_rng(seed),
    )
    labels = []
    for i, req in enumerate(requests):
        rater = world.raters[i % len(world.raters)]
        label = world.label(req.item_id, req.model, req.dimension, rater)
        labels.append(
            Label(
                label.item_id,
                label.model,
                label.dimension,
                rater,
                label.value,
                inclusion_prob=req.inclusion_prob,
            )
        )
    return labels


def _demo_steps(
    world: SimulatedStudy,
    store: Store,
    options: DemoOptions,
    *,
    providers: Mapping[str, Provider],
    progress: Progress,
) -> dict[str, dict[str, Any]]:
    study = world.study
    fingerprint = check_fingerprint(store, study)
    rng = np.random.default_rng(options.seed)
    sample = stratified_sample(
        world.items, options.sample_per_region, study.traffic_shares, rng=rng
    )
    summaries: dict[str, dict[str, Any]] = {}
    with recorded_step(store, "sample", fingerprint, {}) as s:
        progress(f"sampling {len(sample)} items from {len(world.items)} logged interactions")
        s["written"] = store.add_items(sample)
        summaries["sample"] = s
    with recorded_step(store, "replay", fingerprint, {}) as s:
        progress("replaying the items to every model")
        summary = asyncio.run(
            replay_responses(study, sample, providers, store, options=options.batch)
        )
        s.update(vars(summary))
        summaries["replay"] = s
    with recorded_step(store, "judge", fingerprint, {}) as s:
        progress("judging every response on every dimension")
        judges = {d.name: world.judge() for d in study.dimensions}
        judged = asyncio.run(judge_responses(study, sample, judges, store, options=options.batch))
        s.update(vars(judged))
        summaries["judge"] = s
    with recorded_step(store, "label", fingerprint, {}) as s:
        progress("collecting simulated human labels")
        s["written"] = store.add_labels(simulated_labels(world, sample, seed=options.seed))
        summaries["label"] = s
    return summaries


def run_demo(
    out_dir: Path,
    *,
    options: DemoOptions = DemoOptions(),
    progress: Progress | None = None,
    providers: Mapping[str, Provider] | None = None,
) -> DemoRun:
    """Run the whole job on the embedded simulated study and write the reports to ``out_dir``.

    ``providers`` replaces the simulated model providers (by model name), e.g. to send the
    prompts to real servers; the simulated judges and raters still decide pass or fail.
    """
    say = progress or (lambda _message: None)
    world = simulate_study(
        demo_scenario(items_per_region=options.log_items_per_region),
        seed=options.seed,
        name="demo-migration",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "study.yaml").write_text(
        yaml.safe_dump(world.study.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )
    store = open_store(options.store_url or f"sqlite:///{(out_dir / 'baton.db').resolve()}")
    try:
        chosen = providers or {m.name: world.provider(m.name) for m in world.study.models}
        summaries = _demo_steps(world, store, options, providers=chosen, progress=say)
        say("calibrating the judges against the labels and deciding")
        result = analyse_study(
            world.study,
            store.items(),
            store.responses(),
            store.verdicts(),
            store.labels(),
            options=AnalysisOptions(seed=options.seed),
            version=__version__,
        )
    finally:
        store.close()
    paths = write_report(world.study, result, out_dir)
    return DemoRun(world, result, paths, summaries)
