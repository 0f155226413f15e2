"""The decisions benchmark's scenarios: studies shaped like the demo's (six regions of uneven
traffic, three dimensions, an incumbent and two candidates), each a named factory."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from baton.decision import JudgePrior
from baton.simulate import JudgeQuality, Scenario, StratumKey, demo_scenario

__all__ = [
    "CHECKS",
    "DECISION_SCENARIOS",
    "ODD_REGION",
    "SCENARIOS",
    "ScenarioSpec",
    "scenario_spec",
]

GOOD_JUDGE = JudgeQuality(0.95, 0.95)


@dataclasses.dataclass(frozen=True)
class ScenarioSpec:
    """A scenario, what it is for, and the judge prior a planner would start from."""

    name: str
    description: str
    build: Callable[[int], Scenario]
    prior: JudgePrior
    kind: str  # "decisions": arms compared on labels; "check": P(go) of the whole rule


def _good(items: int) -> Scenario:
    """The demo's rates with a good judge (Se = Sp = .95) on every model."""
    return dataclasses.replace(
        demo_scenario(items_per_region=items), judge_quality={}, default_judge=GOOD_JUDGE
    )


def _lenient(items: int) -> Scenario:
    """The demo itself: the judge is lenient (Se .97/Sp .35) on cand-b's correctness."""
    return dataclasses.replace(demo_scenario(items_per_region=items), default_judge=GOOD_JUDGE)


def _useless(items: int) -> Scenario:
    return dataclasses.replace(
        demo_scenario(items_per_region=items),
        judge_quality={},
        default_judge=JudgeQuality(0.5, 0.5),
    )


def _latent(human_rate: float, rater_error: float) -> float:
    """The latent pass rate whose human-label rate (raters err both ways) is ``human_rate``."""
    return float(np.clip((human_rate - rater_error) / (1 - 2 * rater_error), 0.0, 1.0))


def _shifted(items: int, *, margins: float) -> Scenario:
    """Every candidate cell at Δ = −``margins`` × margin (human terms): 0, 1 or 3."""
    base = _good(items)
    eps = float(np.mean(base.rater_errors))
    rates: dict[StratumKey, float] = {}
    for dim, model, region in base.strata():
        incumbent = base.pass_rates[(dim, base.incumbent, region)]
        if model == base.incumbent or margins == 0:
            rates[(dim, model, region)] = incumbent
            continue
        human = incumbent * (1 - eps) + (1 - incumbent) * eps
        rates[(dim, model, region)] = _latent(human - margins * base.margins[dim], eps)
    return dataclasses.replace(base, pass_rates=rates)


ODD_REGION = "latam"
"""The region that alone is worse in the ``odd-region`` scenario (12% of traffic, blocking)."""


def _odd_region(items: int) -> Scenario:
    """Every candidate cell at Δ = 0 except in ``ODD_REGION``, at Δ = −margin there."""
    base, odd = _shifted(items, margins=0.0), _shifted(items, margins=1.0)
    rates = {
        key: odd.pass_rates[key] if key[2] == ODD_REGION else rate
        for key, rate in base.pass_rates.items()
    }
    return dataclasses.replace(base, pass_rates=rates)


def _at_margin(items: int) -> Scenario:
    return _shifted(items, margins=1.0)


def _at_zero(items: int) -> Scenario:
    return _shifted(items, margins=0.0)


def _clear_loser(items: int) -> Scenario:
    return _shifted(items, margins=3.0)


# A scenario's position seeds its replications: new ones go last, so the others keep theirs.
SCENARIOS: dict[str, ScenarioSpec] = {
    spec.name: spec
    for spec in (
        ScenarioSpec(
            "good",
            "demo rates; judge Se = Sp = .95 on every model",
            _good,
            JudgePrior(0.95, 0.95),
            "decisions",
        ),
        ScenarioSpec(
            "lenient",
            "the demo: judge .95/.95, but lenient (Se .97/Sp .35) on cand-b correctness",
            _lenient,
            JudgePrior(0.95, 0.95),
            "decisions",
        ),
        ScenarioSpec(
            "useless",
            "demo rates; judge Se = Sp = .5 (no signal)",
            _useless,
            JudgePrior(0.55, 0.55),
            "decisions",
        ),
        ScenarioSpec(
            "at-margin",
            "every candidate cell at Δ = −margin; judge .95/.95 (false acceptance)",
            _at_margin,
            JudgePrior(0.95, 0.95),
            "check",
        ),
        ScenarioSpec(
            "clear-loser",
            "every candidate cell at Δ = −3 margins; judge .95/.95 (no-go speed)",
            _clear_loser,
            JudgePrior(0.95, 0.95),
            "check",
        ),
        ScenarioSpec(
            "at-zero",
            "every candidate cell at Δ = 0; judge .95/.95 (power)",
            _at_zero,
            JudgePrior(0.95, 0.95),
            "check",
        ),
        ScenarioSpec(
            "odd-region",
            f"Δ = 0 everywhere but {ODD_REGION}, at Δ = −margin there (pooling's price)",
            _odd_region,
            JudgePrior(0.95, 0.95),
            "check",
        ),
    )
}
DECISION_SCENARIOS = tuple(n for n, s in SCENARIOS.items() if s.kind == "decisions")
CHECKS = tuple(n for n, s in SCENARIOS.items() if s.kind == "check")


def scenario_spec(name: str) -> ScenarioSpec:
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; one of {', '.join(SCENARIOS)}")
    return SCENARIOS[name]
