"""Inter-rater agreement on the responses two or more raters labelled.

Per dimension: Krippendorff's alpha (nominal; the ``krippendorff`` package) over every
rater, and Cohen's kappa (``scikit-learn``) averaged over the pairs of raters who share
responses (Light's kappa). Per rater: Cohen's kappa and raw agreement with the panel (the
majority of the other raters on each shared response; ties are left out). A statistic that
is undefined (no shared responses, or a single value used by everyone) is None, never 0.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np

from baton.domain import Label

__all__ = [
    "DimensionAgreement",
    "RaterAgreement",
    "cohen_kappa",
    "dimension_agreement",
    "krippendorff_alpha",
    "rater_agreement",
]

ResponseKey = tuple[str, str, str]
"""(item_id, model, dimension): one labelled response."""


@dataclass(frozen=True)
class DimensionAgreement:
    """Agreement on one dimension over its responses labelled more than once."""

    dimension: str
    shared_responses: int
    alpha: float | None
    kappa: float | None
    rater_pairs: int


@dataclass(frozen=True)
class RaterAgreement:
    """One rater against the panel on the responses they share with it."""

    rater: str
    shared_responses: int
    agreement: float | None
    kappa: float | None


def cohen_kappa(first: Sequence[int], second: Sequence[int]) -> float | None:
    """Cohen's kappa of two raters' labels of the same responses; None when undefined."""
    if len(first) == 0 or len(set(first) | set(second)) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score  # noqa: PLC0415 (a heavy import: when needed)

    value = float(cohen_kappa_score(list(first), list(second)))
    return None if math.isnan(value) else value


def krippendorff_alpha(by_response: dict[ResponseKey, dict[str, int]]) -> float | None:
    """Krippendorff's alpha (nominal) of ``response -> rater -> value``; None when
    undefined (no response labelled twice, or one value only)."""
    shared = {k: v for k, v in by_response.items() if len(v) >= 2}
    values = {value for ratings in shared.values() for value in ratings.values()}
    if not shared or len(values) < 2:
        return None
    raters = sorted({rater for ratings in shared.values() for rater in ratings})
    matrix = np.full((len(raters), len(shared)), np.nan)
    for column, ratings in enumerate(shared.values()):
        for rater, value in ratings.items():
            matrix[raters.index(rater), column] = value
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def _by_response(labels: Sequence[Label]) -> dict[ResponseKey, dict[str, int]]:
    grouped: dict[ResponseKey, dict[str, int]] = defaultdict(dict)
    for label in labels:
        grouped[(label.item_id, label.model, label.dimension)][label.rater] = label.value
    return dict(grouped)


def _light_kappa(by_response: dict[ResponseKey, dict[str, int]]) -> tuple[float | None, int]:
    """Mean Cohen's kappa over the rater pairs whose kappa is defined, and how many."""
    pairs: dict[tuple[str, str], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for ratings in by_response.values():
        for a, b in itertools.combinations(sorted(ratings), 2):
            pairs[(a, b)][0].append(ratings[a])
            pairs[(a, b)][1].append(ratings[b])
    kappas = [k for x, y in pairs.values() if (k := cohen_kappa(x, y)) is not None]
    return (float(np.mean(kappas)) if kappas else None), len(kappas)


def dimension_agreement(labels: Sequence[Label]) -> list[DimensionAgreement]:
    """Alpha and mean pairwise kappa per dimension, in dimension order."""
    out = []
    for dimension in sorted({label.dimension for label in labels}):
        by_response = _by_response([lab for lab in labels if lab.dimension == dimension])
        kappa, pairs = _light_kappa(by_response)
        shared = sum(len(ratings) >= 2 for ratings in by_response.values())
        out.append(
            DimensionAgreement(dimension, shared, krippendorff_alpha(by_response), kappa, pairs)
        )
    return out


def rater_agreement(labels: Sequence[Label]) -> list[RaterAgreement]:
    """Each rater against the majority of the others, over every dimension, by name."""
    by_response = _by_response(labels)
    out = []
    for rater in sorted({label.rater for label in labels}):
        own, panel = [], []
        for ratings in by_response.values():
            others = [v for r, v in ratings.items() if r != rater]
            if rater not in ratings or not others or 2 * sum(others) == len(others):
                continue
            own.append(ratings[rater])
            panel.append(int(2 * sum(others) > len(others)))
        agreement = float(np.mean(np.equal(own, panel))) if own else None
        out.append(RaterAgreement(rater, len(own), agreement, cohen_kappa(own, panel)))
    return out
