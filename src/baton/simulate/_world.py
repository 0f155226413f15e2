"""A simulated study drawn from a scenario: items, providers, judges and raters with known truth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from baton.domain import ExpectedBehaviour, Item, Label, Verdict
from baton.errors import ProviderError, ProviderFatalError
from baton.judges import JudgeCase
from baton.providers import Completion, CompletionRequest, FakeProvider
from baton.simulate._responses import judge_categories, latent_passes, rater_flips
from baton.simulate._scenario import Scenario, StratumKey
from baton.simulate._truth import Truth
from baton.study import Study, parse_study

__all__ = ["SIMULATED_JUDGE", "SimulatedJudge", "SimulatedStudy", "simulate_study"]

SIMULATED_JUDGE = "simulated"


@dataclass(frozen=True)
class _Draws:
    latent: dict[StratumKey, NDArray[np.bool_]]  # per stratum, one per item of the region
    judged: dict[StratumKey, NDArray[np.int64]]
    rater_flip: dict[StratumKey, NDArray[np.bool_]]  # (items, raters)
    latency: dict[str, NDArray[np.float64]]
    output_tokens: dict[str, NDArray[np.int64]]


class SimulatedJudge:
    """A judge whose verdicts were drawn from the scenario's judge quality."""

    name = SIMULATED_JUDGE
    version = "sim-1"

    def __init__(self, world: SimulatedStudy) -> None:
        self._world = world

    async def judge(self, case: JudgeCase) -> Verdict:
        model, dimension = case.response.model, case.dimension.name
        category = self._world.judge_category(case.item, model, dimension)
        return Verdict(case.item.item_id, model, dimension, self.name, self.version, category)


@dataclass(frozen=True)
class SimulatedStudy:
    """A study with known truth: everything the job needs, and the answers it should find."""

    scenario: Scenario
    study: Study
    items: tuple[Item, ...]
    truth: Truth
    raters: tuple[str, ...]
    _draws: _Draws
    _index: Mapping[str, tuple[str, int]]  # item_id -> (region, position in region)
    _by_prompt: Mapping[str, str]

    def provider(self, model: str) -> FakeProvider:
        """A fake provider that answers as ``model`` would, with simulated tokens and latency."""

        def reply(request: CompletionRequest) -> Completion | ProviderError:
            item_id = self._by_prompt.get(request.messages[-1].content)
            if item_id is None:
                return ProviderFatalError("the simulated model was asked an unknown prompt")
            region, pos = self._index[item_id]
            tokens = int(self._draws.output_tokens[model][self._flat(region, pos)])
            latency = float(self._draws.latency[model][self._flat(region, pos)])
            text = f"Simulated answer of {model} to {item_id}."
            words = sum(len(m.content.split()) for m in request.messages)
            return Completion(text, input_tokens=words, output_tokens=tokens, latency_s=latency)

        return FakeProvider(reply_function=reply)

    def judge(self) -> SimulatedJudge:
        return SimulatedJudge(self)

    def judge_category(self, item: Item, model: str, dimension: str) -> int:
        region, pos = self._index[item.item_id]
        return int(self._draws.judged[(dimension, model, region)][pos])

    def label(self, item_id: str, model: str, dimension: str, rater: str) -> Label:
        """The human label ``rater`` gives this response: the latent truth, with their errors."""
        region, pos = self._index[item_id]
        key = (dimension, model, region)
        passed = bool(self._draws.latent[key][pos])
        flipped = bool(self._draws.rater_flip[key][pos, self.raters.index(rater)])
        return Label(item_id, model, dimension, rater, int(passed != flipped))

    def _flat(self, region: str, pos: int) -> int:
        return list(self.scenario.regions).index(region) * self.scenario.items_per_region + pos


def _draw(scenario: Scenario, rng: np.random.Generator) -> _Draws:
    n = scenario.items_per_region
    latent, judged, flips = {}, {}, {}
    for dimension, scale in scenario.dimensions.items():
        for region in scenario.regions:
            difficulty = rng.normal(0.0, scenario.difficulty_sd, n)
            for model in scenario.models:
                key = (dimension, model, region)
                rate = scenario.pass_rates[key]
                latent[key] = latent_passes(rate, difficulty, scenario.difficulty_sd, rng)
                judged[key] = judge_categories(latent[key], scenario.judge(key), scale, rng)
                flips[key] = rater_flips(n, scenario.rater_errors, rng)
    total = n * len(scenario.regions)
    latency = {
        m: rng.lognormal(np.log(0.8 + 0.4 * i), 0.4, total) for i, m in enumerate(scenario.models)
    }
    tokens = {
        m: rng.poisson(120 + 30 * i, total).astype(np.int64) for i, m in enumerate(scenario.models)
    }
    return _Draws(latent, judged, flips, latency, tokens)


def _items(scenario: Scenario, rng: np.random.Generator) -> list[Item]:
    items = []
    n = scenario.items_per_region
    for region, share in scenario.regions.items():
        for pos in range(n):
            expected: ExpectedBehaviour = "refuse" if rng.random() < 0.1 else "answer"
            items.append(
                Item(
                    item_id=f"{region}-{pos:05d}",
                    region=region,
                    prompt=f"Simulated question {pos} from {region}.",
                    expected_behaviour=expected,
                    weight=share / n,
                )
            )
    return items


def _study(scenario: Scenario, name: str) -> Study:
    def model(model_name: str, i: int) -> dict[str, object]:
        return {
            "name": model_name,
            "provider": "fake",
            "model": f"sim/{model_name}",
            "price_per_mtok_input": 1.0 + i,
            "price_per_mtok_output": 4.0 + 2 * i,
        }

    dims = [
        {
            "name": d,
            "judge": {"name": SIMULATED_JUDGE, "scale": scale},
            "rubric": f"Does the answer pass on {d}?",
            "margin": scenario.margins[d],
        }
        for d, scale in scenario.dimensions.items()
    ]
    data = {
        "name": name,
        "service": {"system_prompt": "You are a helpful assistant.", "parameters": {}},
        "incumbent": model(scenario.incumbent, 0),
        "candidates": [model(c, i + 1) for i, c in enumerate(scenario.candidates)],
        "regions": [{"name": r, "traffic_share": s} for r, s in scenario.regions.items()],
        "dimensions": dims,
        "labels": {"budget": scenario.label_budget},
        "decision": {
            "confidence": scenario.confidence,
            "min_traffic_share": scenario.min_traffic_share,
        },
    }
    return parse_study(data, source=f"<simulated study {name}>")


def simulate_study(scenario: Scenario, *, seed: int, name: str = "simulated") -> SimulatedStudy:
    """Draw a study from ``scenario``: the same seed gives the same study."""
    rng = np.random.default_rng(seed)
    items = _items(scenario, rng)
    draws = _draw(scenario, rng)
    n = scenario.items_per_region
    index = {item.item_id: (item.region, i % n) for i, item in enumerate(items)}
    truth = Truth(
        latent=dict(scenario.pass_rates),
        mean_rater_error=float(np.mean(scenario.rater_errors)),
        shares=dict(scenario.regions),
        incumbent=scenario.incumbent,
    )
    raters = tuple(f"rater-{i + 1}" for i in range(len(scenario.rater_errors)))
    return SimulatedStudy(
        scenario=scenario,
        study=_study(scenario, name),
        items=tuple(items),
        truth=truth,
        raters=raters,
        _draws=draws,
        _index=index,
        _by_prompt={item.prompt: item.item_id for item in items},
    )
