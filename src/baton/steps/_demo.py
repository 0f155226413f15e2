"""``baton demo``: the whole job on an embedded simulated study, offline — sample, replay,
judge, label, analyse, report — over a store.

Each step is recorded as a run with the study's fingerprint, is idempotent, and commits in
batches, so an interrupted job re-run finishes with every row exactly once. The simulated
judges and raters stand in for real ones; the decisions are one look at the study's
confidence with the whole label budget in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from baton._version import __version__
from baton.analysis import AnalysisOptions, Evidence, StudyResult, analyse_study
from baton.data import stratified_sample
from baton.domain import Item, Label
from baton.judges import judge_responses
from baton.providers import Provider, close_providers, create_providers
from baton.replay import BatchOptions, ReplayOptions, ReplaySummary, replay_responses
from baton.report import ReportPaths, write_report
from baton.simulate import SimulatedStudy, demo_scenario, paired_label_requests, simulate_study
from baton.steps._open import recorded_step
from baton.steps._versions import record_version
from baton.storage import Store, open_store
from baton.study import ModelSpec, Study

__all__ = ["DemoOptions", "DemoRun", "LiveModel", "live_study", "run_demo"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LiveModel:
    """A real OpenAI-compatible server that answers for every model of the demo (``baton
    demo --live``): each model keeps its name and gets its own system prompt."""

    base_url: str
    model: str = "smollm2"
    max_tokens: int = 48


@dataclass(frozen=True)
class DemoOptions:
    """The demo's size and seed; ``live`` sends the prompts to a real server."""

    seed: int = 7
    log_items_per_region: int = 1000
    sample_per_region: int = 300
    store_url: str | None = None
    batch: BatchOptions = BatchOptions()
    replay: ReplayOptions = field(default_factory=ReplayOptions)
    live: LiveModel | None = None


@dataclass(frozen=True)
class DemoRun:
    """What the demo produced, with the simulated truth to check it against."""

    simulated: SimulatedStudy
    result: StudyResult
    paths: ReportPaths
    summaries: dict[str, dict[str, Any]]


def simulated_labels(world: SimulatedStudy, items: Sequence[Item], *, seed: int) -> list[Label]:
    """Labels from the simulated raters on a paired random sample within the budget.

    Each response goes to a rater drawn at random, so the raters' errors average out as
    the simulator's truth assumes.
    """
    study = world.study
    rng = np.random.default_rng(seed)
    requests = paired_label_requests(
        items,
        [m.name for m in study.models],
        [d.name for d in study.dimensions],
        budget=study.labels.budget,
        rng=rng,
    )
    labels = []
    for req in requests:
        rater = world.raters[int(rng.integers(len(world.raters)))]
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
    study: Study,
    providers: Mapping[str, Provider] | None,
    progress: Progress,
) -> dict[str, dict[str, Any]]:
    fingerprint = record_version(store, study).fingerprint
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
            _replay(world, study, sample, store=store, options=options, providers=providers)
        )
        s.update(vars(summary))
        summaries["replay"] = s
    with recorded_step(store, "judge", fingerprint, {}) as s:
        progress("judging every response on every dimension")
        judges = {d.name: [world.judge()] for d in study.dimensions}
        judged = asyncio.run(judge_responses(study, sample, judges, store, options=options.batch))
        s.update(vars(judged))
        summaries["judge"] = s
    with recorded_step(store, "label", fingerprint, {}) as s:
        progress("collecting simulated human labels")
        s["written"] = store.add_labels(simulated_labels(world, sample, seed=options.seed))
        summaries["label"] = s
    return summaries


async def _replay(
    world: SimulatedStudy,
    study: Study,
    sample: Sequence[Item],
    *,
    store: Store,
    options: DemoOptions,
    providers: Mapping[str, Provider] | None,
) -> ReplaySummary:
    """Replay through ``providers``, else the live server's or the simulated models."""
    if providers is not None:
        return await replay_responses(study, sample, providers, store, options=options.replay)
    if options.live is None:
        simulated = {m.name: world.provider(m.name) for m in study.models}
        return await replay_responses(study, sample, simulated, store, options=options.replay)
    live = create_providers(study)
    try:
        return await replay_responses(study, sample, live, store, options=options.replay)
    finally:
        await close_providers(live)


def live_study(study: Study, live: LiveModel) -> Study:
    """``study`` with every model sent to the live server, each with its own system prompt."""
    styles = ("", " Answer in one short sentence.", " Answer in at most two sentences.")

    def moved(spec: ModelSpec, style: str) -> ModelSpec:
        parameters = {**spec.parameters, "max_tokens": live.max_tokens, "temperature": 0}
        return spec.model_copy(
            update={
                "provider": "openai",
                "base_url": live.base_url,
                "model": live.model,
                "parameters": parameters,
                "system_prompt": study.service.system_prompt + style,
            }
        )

    models = [moved(spec, styles[i % len(styles)]) for i, spec in enumerate(study.models)]
    return study.model_copy(update={"incumbent": models[0], "candidates": models[1:]})


def run_demo(
    out_dir: Path,
    *,
    options: DemoOptions = DemoOptions(),
    progress: Progress | None = None,
    providers: Mapping[str, Provider] | None = None,
) -> DemoRun:
    """Run the whole job on the embedded simulated study and write the reports to ``out_dir``.

    ``providers`` replaces the simulated model providers (by model name), e.g. to send the
    prompts to real servers; ``options.live`` sends them to one OpenAI-compatible server
    (``live_study``). The simulated judges and raters still decide pass or fail.
    """
    say = progress or (lambda _message: None)
    world = simulate_study(
        demo_scenario(items_per_region=options.log_items_per_region),
        seed=options.seed,
        name="demo-migration",
    )
    study = world.study if options.live is None else live_study(world.study, options.live)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "study.yaml").write_text(
        yaml.safe_dump(study.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )
    store = open_store(options.store_url or f"sqlite:///{(out_dir / 'baton.db').resolve()}")
    try:
        summaries = _demo_steps(
            world, store, options, study=study, providers=providers, progress=say
        )
        say("calibrating the judges against the labels and deciding")
        evidence = Evidence(store.items(), store.responses(), store.verdicts(), store.labels())
        result = analyse_study(
            study, evidence, options=AnalysisOptions(seed=options.seed), version=__version__
        )
    finally:
        store.close()
    paths = write_report(study, result, out_dir)
    return DemoRun(world, result, paths, summaries)
