"""The calibration benchmark's scenario families, as named factories.

Each family is a scenario plus where its labels come from. Rates are set as *human* pass
rates (what Baton estimates) and converted to the latent rates the simulator draws from, so
a candidate "at Δ = −margin" is exactly at the margin in human terms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from baton.simulate._scenario import JudgeQuality, Scale, Scenario, StratumKey
from baton.simulate._table import LabelDesign

__all__ = ["CALIBRATION_FAMILIES", "Family", "calibration_family"]

INCUMBENT, CANDIDATE = "incumbent", "candidate"
_RATER_ERRORS = (0.02, 0.03, 0.05)
_SIX_REGIONS = {"na": 0.34, "eu": 0.26, "apac": 0.18, "latam": 0.12, "mena": 0.07, "africa": 0.03}
_UNEVEN_REGIONS = {"na": 0.55, "eu": 0.25, "apac": 0.15, "latam": 0.05}


@dataclass(frozen=True)
class Family:
    """A benchmark scenario and where its human labels come from."""

    name: str
    description: str
    scenario: Scenario
    label_models: tuple[str, ...] | None = None
    label_regions: tuple[str, ...] | None = None

    def plan(self, per_stratum: int) -> LabelDesign:
        """``per_stratum`` paired labels in every stratum the family labels."""
        return LabelDesign(per_stratum, models=self.label_models, regions=self.label_regions)


def _latent(human_rate: float, rater_errors: tuple[float, ...]) -> float:
    """The latent pass rate whose human-label rate (raters err both ways) is ``human_rate``."""
    eps = float(np.mean(rater_errors))
    return float(np.clip((human_rate - eps) / (1.0 - 2.0 * eps), 0.0, 1.0))


def _scenario(
    human_rates: Mapping[StratumKey, float],
    *,
    regions: Mapping[str, float],
    dimensions: Mapping[str, tuple[Scale, float]],
    judge: JudgeQuality,
    judge_quality: Mapping[StratumKey, JudgeQuality],
    items_per_region: int,
    rater_errors: tuple[float, ...] = _RATER_ERRORS,
) -> Scenario:
    return Scenario(
        regions=regions,
        incumbent=INCUMBENT,
        candidates=(CANDIDATE,),
        dimensions={d: scale for d, (scale, _) in dimensions.items()},
        margins={d: margin for d, (_, margin) in dimensions.items()},
        pass_rates={key: _latent(rate, rater_errors) for key, rate in human_rates.items()},
        items_per_region=items_per_region,
        default_judge=judge,
        judge_quality=judge_quality,
        rater_errors=rater_errors,
    )


def _two_models(
    incumbent: float,
    *,
    margin: float = 0.05,
    scale: Scale = "binary",
    judge: JudgeQuality = JudgeQuality(0.9, 0.9),
    candidate_judge: JudgeQuality | None = None,
    items_per_region: int,
    rater_errors: tuple[float, ...] = _RATER_ERRORS,
) -> Scenario:
    """One dimension, one region, the candidate exactly at Δ = −margin."""
    rates = {
        ("quality", INCUMBENT, "all"): incumbent,
        ("quality", CANDIDATE, "all"): incumbent - margin,
    }
    special = {} if candidate_judge is None else {("quality", CANDIDATE, "all"): candidate_judge}
    return _scenario(
        rates,
        regions={"all": 1.0},
        dimensions={"quality": (scale, margin)},
        judge=judge,
        judge_quality=special,
        items_per_region=items_per_region,
        rater_errors=rater_errors,
    )


def _lenient(items: int) -> Scenario:
    lenient = JudgeQuality(0.97, 0.35)
    return _two_models(0.85, candidate_judge=lenient, items_per_region=items)


def _uneven(items: int) -> Scenario:
    """Four regions of uneven traffic; in ``eu`` the judge is poor and the candidate sits at
    Δ = −margin, elsewhere it is 2 points better."""
    rates: dict[StratumKey, float] = {}
    for region in _UNEVEN_REGIONS:
        rates[("quality", INCUMBENT, region)] = 0.85
        rates[("quality", CANDIDATE, region)] = 0.80 if region == "eu" else 0.87
    poor = JudgeQuality(0.75, 0.6)
    return _scenario(
        rates,
        regions=_UNEVEN_REGIONS,
        dimensions={"quality": ("binary", 0.05)},
        judge=JudgeQuality(0.9, 0.9),
        judge_quality={("quality", m, "eu"): poor for m in (INCUMBENT, CANDIDATE)},
        items_per_region=items,
    )


def _many(items: int) -> Scenario:
    """Three dimensions × six regions, the candidate at Δ = −margin in every one."""
    dims: dict[str, tuple[Scale, float]] = {
        "correctness": ("binary", 0.05),
        "refusal": ("binary", 0.04),
        "style": ("likert5", 0.05),
    }
    base = {"correctness": 0.78, "refusal": 0.90, "style": 0.82}
    rates: dict[StratumKey, float] = {}
    for dim, (_, margin) in dims.items():
        for region in _SIX_REGIONS:
            rates[(dim, INCUMBENT, region)] = base[dim]
            rates[(dim, CANDIDATE, region)] = base[dim] - margin
    return _scenario(
        rates,
        regions=_SIX_REGIONS,
        dimensions=dims,
        judge=JudgeQuality(0.9, 0.9),
        judge_quality={},
        items_per_region=items,
    )


def _good(items: int) -> Scenario:
    return _two_models(0.8, judge=JudgeQuality(0.95, 0.95), items_per_region=items)


def _rare(items: int) -> Scenario:
    """Failures are rare, so raters err rarely too (else their noise is most failures)."""
    careful = (0.005, 0.01, 0.015)
    return _two_models(0.955, margin=0.02, items_per_region=items, rater_errors=careful)


def _likert(items: int) -> Scenario:
    judge = JudgeQuality(0.85, 0.75, confident_errors=0.85)
    return _two_models(0.8, scale="likert5", judge=judge, items_per_region=items)


def _useless(items: int) -> Scenario:
    return _two_models(0.8, judge=JudgeQuality(0.5, 0.5), items_per_region=items)


@dataclass(frozen=True)
class _Spec:
    description: str
    scenario: Callable[[int], Scenario]
    label_models: tuple[str, ...] | None = None
    label_regions: tuple[str, ...] | None = None


_SPECS: dict[str, _Spec] = {
    "lenient": _Spec(
        "judge lenient on the candidate (Se .97/Sp .35; .9/.9 on the incumbent)", _lenient
    ),
    "good": _Spec("good binary judge (Se = Sp = .95)", _good),
    "rare": _Spec("rare failures (human θ .955 and .935, margin .02, raters err 1%)", _rare),
    "uneven": _Spec(
        "uneven regions .55/.25/.15/.05; eu: judge .75/.6, candidate at −margin", _uneven
    ),
    "likert": _Spec("Likert judge, Se .85/Sp .75, 85% of its false passes a confident 5", _likert),
    "useless": _Spec("useless judge (Se = Sp = .5)", _useless),
    "incumbent-labels": _Spec(
        "lenient judge; human labels on the incumbent only", _lenient, (INCUMBENT,)
    ),
    "one-region-labels": _Spec("uneven regions; human labels from na only", _uneven, None, ("na",)),
    "3x6": _Spec("3 dimensions × 6 regions, all at Δ = −margin (judge .9/.9, style Likert)", _many),
}

CALIBRATION_FAMILIES: tuple[str, ...] = tuple(_SPECS)


def calibration_family(name: str, *, items_per_region: int = 2000) -> Family:
    """The named family with ``items_per_region`` judged responses per stratum."""
    if name not in _SPECS:
        raise ValueError(f"unknown family {name!r}; one of {', '.join(CALIBRATION_FAMILIES)}")
    spec = _SPECS[name]
    return Family(
        name,
        spec.description,
        spec.scenario(items_per_region),
        label_models=spec.label_models,
        label_regions=spec.label_regions,
    )
