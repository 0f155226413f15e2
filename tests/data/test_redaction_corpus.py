"""Recall and false positives of the built-in redaction over the corpus (``redaction_corpus``):
at least 95% of every type's positives redacted under that type's placeholder, and no more
than 2% of the sentences without personal data touched."""

from __future__ import annotations

from collections import Counter

import pytest

from baton.data import Redactor
from tests.data.redaction_corpus import NEGATIVES, KindScore, positives, score

MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.02
KINDS = ["secret", "email", "iban", "card", "ssn", "nino", "ip", "phone"]


Scored = tuple[dict[str, KindScore], list[str]]


@pytest.fixture(scope="module")
def scored() -> Scored:
    return score(Redactor())


def test_the_corpus_is_large_and_covers_every_type() -> None:
    cases = positives()
    assert len(cases) >= 300
    assert len(NEGATIVES) >= 100
    per_kind = Counter(case.kind for case in cases)
    assert set(per_kind) == set(KINDS)
    assert min(per_kind.values()) >= 20
    assert all(case.value in case.text for case in cases)
    assert positives() == cases  # generated from a fixed seed


@pytest.mark.parametrize("kind", KINDS)
def test_recall_of_each_type(scored: Scored, kind: str) -> None:
    scores, _fired = scored
    assert scores[kind].recall >= MIN_RECALL, scores[kind]


def test_false_positive_rate_over_the_negatives(scored: Scored) -> None:
    _scores, fired = scored
    assert len(fired) / len(NEGATIVES) <= MAX_FALSE_POSITIVE_RATE, fired
