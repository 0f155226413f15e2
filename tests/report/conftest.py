"""A small hand-made study and result with fixed numbers, for the report tests, and the
fixed simulated study of ``simulated.py`` (analysed once per session)."""

from __future__ import annotations

import math

import pytest

from baton.analysis import (
    FailureExample,
    JudgeCalibration,
    JudgeCategory,
    ModelUsage,
    Provenance,
    RefusalTransitions,
    StudyResult,
)
from baton.calibration import ALL_REGIONS, Comparison, PassRateEstimate
from baton.decision import CandidateVerdict, Decision, Outcome
from baton.domain import Stratum
from baton.study import Study, parse_study
from tests.report.simulated import SimulatedReport, simulated_report

INCUMBENT = "incumbent-4"
GOOD = "cand-a"
EVIL = "<script>alert(1)</script> | b"
REGIONS = ("eu", "us")
DIMENSIONS = ("correctness", "safety")


def _model(name: str, model: str) -> dict[str, object]:
    return {"name": name, "provider": "fake", "model": model}


def _judge(name: str) -> dict[str, object]:
    return {"name": name, "scale": "binary"}


def make_study() -> Study:
    """An incumbent, two candidates (one with a hostile name), 2 regions, 2 dimensions."""
    return parse_study(
        {
            "name": "support-bot migration",
            "service": {"system_prompt": "You are a helpful support agent."},
            "incumbent": _model(INCUMBENT, "old-large"),
            "candidates": [_model(GOOD, "new-small"), _model(EVIL, "new-evil")],
            "regions": [
                {"name": "eu", "traffic_share": 0.7},
                {"name": "us", "traffic_share": 0.3},
            ],
            "dimensions": [
                {
                    "name": "correctness",
                    "judge": _judge("rubric"),
                    "rubric": "Is the answer correct?",
                    "margin": 0.03,
                },
                {
                    "name": "safety",
                    "judge": _judge("refusal"),
                    "rubric": "Is the answer safe?",
                    "margin": 0.02,
                },
            ],
            "labels": {"budget": 600},
        }
    )


# (dimension, model, region) -> (mean, lower, upper, n_items, n_labelled, judge_mean)
_ESTIMATES: dict[tuple[str, str, str], tuple[float, float, float, int, int, float]] = {}
for _d, _base in (("correctness", 0.82), ("safety", 0.95)):
    for _m, _shift in ((INCUMBENT, 0.0), (GOOD, -0.004), (EVIL, -0.03)):
        for _r, _rs in (("eu", 0.01), ("us", -0.02), (ALL_REGIONS, 0.001)):
            _mean = _base + _shift + _rs
            _ESTIMATES[(_d, _m, _r)] = (_mean, _mean - 0.03, _mean + 0.025, 200, 40, _mean + 0.04)
_ESTIMATES[("safety", EVIL, "us")] = (math.nan, math.nan, math.nan, 120, 0, 0.8712)

# (dimension, candidate, region) -> (mean, lower, upper, p_noninferior, calibrated)
_COMPARISONS: dict[tuple[str, str, str], tuple[float, float, float, float, bool]] = {
    ("correctness", GOOD, "eu"): (-0.004, -0.021, 0.013, 0.992, True),
    ("correctness", GOOD, "us"): (0.006, -0.018, 0.029, 0.987, True),
    ("correctness", GOOD, ALL_REGIONS): (-0.001, -0.015, 0.012, 0.998, True),
    ("safety", GOOD, "eu"): (0.002, -0.009, 0.012, 0.999, True),
    ("safety", GOOD, "us"): (-0.011, -0.034, 0.011, 0.81, True),
    ("safety", GOOD, ALL_REGIONS): (-0.002, -0.012, 0.008, 0.991, True),
    ("correctness", EVIL, "eu"): (-0.052, -0.081, -0.024, 0.012, True),
    ("correctness", EVIL, "us"): (-0.02, -0.055, 0.012, 0.62, True),
    ("correctness", EVIL, ALL_REGIONS): (-0.043, -0.066, -0.02, 0.08, True),
    ("safety", EVIL, "eu"): (0.004, -0.006, 0.014, 0.9993, True),
    ("safety", EVIL, "us"): (math.nan, math.nan, math.nan, math.nan, False),
    ("safety", EVIL, ALL_REGIONS): (0.001, -0.012, 0.015, 0.97, True),
}

# (candidate, dimension, region) -> (outcome, labels_needed)
_DECISIONS: dict[tuple[str, str, str], tuple[Outcome, int | None]] = {
    (GOOD, "correctness", "eu"): ("go", None),
    (GOOD, "correctness", "us"): ("go", None),
    (GOOD, "safety", "eu"): ("go", None),
    (GOOD, "safety", "us"): ("inconclusive", 120),
    (EVIL, "correctness", "eu"): ("no_go", None),
    (EVIL, "correctness", "us"): ("inconclusive", 80),
    (EVIL, "safety", "eu"): ("go", None),
    (EVIL, "safety", "us"): ("inconclusive", 40),
}


def _estimates() -> tuple[PassRateEstimate, ...]:
    return tuple(
        PassRateEstimate(
            stratum=Stratum(dimension=d, model=m, region=r),
            mean=mean,
            lower=lower,
            upper=upper,
            n_items=n_items,
            n_labelled=n_labelled,
            calibrated=n_labelled > 0,
            judge_mean=judge_mean,
        )
        for (d, m, r), (mean, lower, upper, n_items, n_labelled, judge_mean) in _ESTIMATES.items()
    )


def _comparisons(study: Study) -> tuple[Comparison, ...]:
    return tuple(
        Comparison(
            dimension=d,
            candidate=c,
            baseline=INCUMBENT,
            region=r,
            mean=mean,
            lower=lower,
            upper=upper,
            margin=study.dimension(d).margin,
            p_noninferior=p,
            calibrated=calibrated,
        )
        for (d, c, r), (mean, lower, upper, p, calibrated) in _COMPARISONS.items()
    )


def _decisions() -> tuple[Decision, ...]:
    decisions = []
    for (c, d, r), (outcome, needed) in _DECISIONS.items():
        p = _COMPARISONS[(d, c, r)][3]
        decisions.append(Decision(c, d, r, outcome, p, blocking=True, labels_needed=needed))
    return tuple(decisions)


def _judges() -> tuple[JudgeCalibration, ...]:
    """The judge is lenient on the hostile candidate (flagged)."""
    return tuple(
        JudgeCalibration(
            "correctness",
            "rubric",
            "binary",
            model,
            (JudgeCategory(0, 50, 20, 4), JudgeCategory(1, 150, 20, 19)),
            40,
            0.95,
            0.8,
            0.75 - gap,
            -gap,
            gap > 0.2,
        )
        for model, gap in ((INCUMBENT, 0.0), (GOOD, 0.05), (EVIL, 0.4))
    )


_REFUSALS = (
    RefusalTransitions(
        GOOD,
        "safety",
        "refuse",
        {
            ("complied", "complied"): 1,
            ("complied", "refused"): 3,
            ("refused", "complied"): 2,
            ("refused", "refused"): 14,
        },
        from_labels=30,
        from_judge=10,
    ),
)
_EXAMPLES = (
    FailureExample(
        EVIL,
        "correctness",
        "eu",
        "eu-1",
        "What is <b>2+2</b>?",
        "4",
        '<img src=x onerror="alert(1)"> five & <script>alert(2)</script>',
        "human labels",
    ),
)


def make_result(study: Study) -> StudyResult:
    """A result with fixed numbers: one no-go, two inconclusive cells, one uncalibrated stratum."""
    verdicts = (
        CandidateVerdict(GOOD, "inconclusive", ("undecided on safety in us",)),
        CandidateVerdict(EVIL, "no_go", ("worse than the margin on correctness in eu",)),
    )
    usage = (
        ModelUsage(INCUMBENT, 400, 0, 4.2, 1.8, 4.1),
        ModelUsage(GOOD, 400, 2, 1.05, 0.9, 2.2),
        ModelUsage(EVIL, 400, 11, 0.6, 0.7, 1.9),
    )
    provenance = Provenance(
        study_name="support-bot migration",
        study_fingerprint="0123456789abcdef",
        baton_version="0.1.0",
        seed=7,
        created_at="2025-01-02T03:04:05+00:00",
        models={INCUMBENT: "fake:old-large", GOOD: "fake:new-small", EVIL: "fake:new-evil"},
        judges={"correctness": "rubric@1", "safety": "refusal@2"},
    )
    return StudyResult(
        estimates=_estimates(),
        comparisons=_comparisons(study),
        decisions=_decisions(),
        verdicts=verdicts,
        usage=usage,
        provenance=provenance,
        level=0.9,
        confidence=0.95,
        labels_used=240,
        labels_budget=600,
        margins=study.margins,
        warnings=(
            f"judge abstained on 3 responses of {EVIL}",
            "region us | safety has no human labels\nfor one model",
        ),
        judges=_judges(),
        refusals=_REFUSALS,
        examples=_EXAMPLES,
    )


@pytest.fixture
def study() -> Study:
    return make_study()


@pytest.fixture
def result(study: Study) -> StudyResult:
    return make_result(study)


@pytest.fixture(scope="session")
def simulated() -> SimulatedReport:
    """The fixed simulated study, its evidence and its analysed result."""
    return simulated_report()
