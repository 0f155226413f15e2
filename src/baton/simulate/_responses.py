"""How one stratum's responses are drawn: latent truth, judge categories, rater errors.

Shared by ``simulate_study`` (a whole study, item by item) and ``simulate_table`` (an
estimation table, thousands of times per benchmark), so both draw from the same model.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from baton.simulate._scenario import JudgeQuality
from baton.simulate._truth import logit_offset

__all__ = [
    "LIKERT_FAIL",
    "LIKERT_PASS",
    "judge_categories",
    "judge_category_probabilities",
    "latent_passes",
    "rater_flips",
]

LIKERT_PASS = (0.4, 0.6)  # P(4), P(5) among a judge's passes of a truly passing answer
LIKERT_FAIL = (0.3, 0.4, 0.3)  # P(1), P(2), P(3) among its fails

_cached_offset = lru_cache(maxsize=4096)(logit_offset)


def latent_passes(
    pass_rate: float,
    difficulty: NDArray[np.float64],
    difficulty_sd: float,
    rng: np.random.Generator,
) -> NDArray[np.bool_]:
    """Whether each answer truly passes, given its prompt's ``difficulty`` (logit scale).

    ``difficulty`` may have any shape; averaged over difficulty the pass rate is
    ``pass_rate``.
    """
    offset = _cached_offset(pass_rate, difficulty_sd)
    passed: NDArray[np.bool_] = rng.random(difficulty.shape) < expit(offset + difficulty)
    return passed


def judge_categories(
    latent: NDArray[np.bool_], quality: JudgeQuality, scale: str, rng: np.random.Generator
) -> NDArray[np.int64]:
    """The judge's verdict on each answer: 1/0 (binary) or 1-5 (Likert), from the latent truth.

    A Likert judge says "pass" with a 4 or a 5; ``quality.confident_errors`` is the share of
    its false passes that are a 5.
    """
    says_pass = np.where(
        latent,
        rng.random(latent.size) < quality.sensitivity,
        rng.random(latent.size) >= quality.specificity,
    )
    if scale == "binary":
        return says_pass.astype(np.int64)
    top_share = np.where(latent, LIKERT_PASS[1], quality.confident_errors)
    high = np.where(rng.random(latent.size) < top_share, 5, 4)
    low = rng.choice(np.array([1, 2, 3]), size=latent.size, p=LIKERT_FAIL)
    return np.where(says_pass, high, low).astype(np.int64)


def judge_category_probabilities(
    quality: JudgeQuality, scale: str
) -> tuple[tuple[int, ...], NDArray[np.float64]]:
    """The judge's categories and P(category | latent), shape (2, categories): row 0 for a
    truly failing answer, row 1 for a truly passing one (what ``judge_categories`` draws)."""
    se, sp = quality.sensitivity, quality.specificity
    if scale == "binary":
        return (0, 1), np.array([[sp, 1 - sp], [1 - se, se]])
    fail, (p4, p5) = np.asarray(LIKERT_FAIL), LIKERT_PASS
    wrong5 = quality.confident_errors
    given_fail = [*(sp * fail), (1 - sp) * (1 - wrong5), (1 - sp) * wrong5]
    given_pass = [*((1 - se) * fail), se * p4, se * p5]
    return (1, 2, 3, 4, 5), np.array([given_fail, given_pass])


def rater_flips(
    n: int, rater_errors: Sequence[float], rng: np.random.Generator
) -> NDArray[np.bool_]:
    """Whether each rater would flip each answer's latent truth: shape (n, raters)."""
    flips: NDArray[np.bool_] = rng.random((n, len(rater_errors))) < np.asarray(rater_errors)
    return flips
