"""A small study with items, every model's response and judge verdicts, but no labels: what
the review app starts from."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sqlalchemy import create_engine, text

from baton.domain import Item, Message, Response, Verdict
from baton.steps import StudyStore, open_study
from baton.storage import open_store
from baton.storage._engine import parse_store_url
from baton.study import load_study
from tests.storage.conftest import POSTGRES_SKIP_REASON, POSTGRES_URL_VARIABLE

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Parameters of a test run on both backends (PostgreSQL when the test server is named)."""

MODELS = ("gpt-old", "gpt-new")
"""Model names that must never reach a rater's page."""

XSS = (
    "Sure! <script>window.__xss = 1</script>\n\n"
    '<img src=x onerror="window.__xss = 2">\n\n'
    "[click](javascript:window.__xss=3) **bold**"
)


@dataclass(frozen=True)
class StudySize:
    items_per_region: int = 12
    regions: tuple[str, ...] = ("eu", "us")
    dimensions: tuple[str, ...] = ("correctness", "style")
    budget: int = 400
    xss: bool = False
    seed: int = 0
    style_guide: str | None = None
    expected: bool = False


def study_document(size: StudySize, *, store: str | None = None) -> dict[str, Any]:
    share = 1 / len(size.regions)
    document: dict[str, Any] = {
        "name": "review-study",
        "service": {"system_prompt": "Be helpful.", "style_guide": size.style_guide},
        "incumbent": {"name": MODELS[0], "provider": "fake", "model": "m-old"},
        "candidates": [{"name": m, "provider": "fake", "model": "m-new"} for m in MODELS[1:]],
        "regions": [{"name": r, "traffic_share": share} for r in size.regions],
        "dimensions": [
            {
                "name": d,
                "judge": {"name": "simulated"},
                "rubric": f"Is the answer good on {d}?",
                "margin": 0.05,
            }
            for d in size.dimensions
        ],
        "labels": {"budget": size.budget},
    }
    if store is not None:
        document["store"] = store
    return document


def contents(size: StudySize) -> tuple[list[Item], list[Response], list[Verdict]]:
    rng = np.random.default_rng(size.seed)
    items: list[Item] = []
    responses: list[Response] = []
    verdicts: list[Verdict] = []
    for region in size.regions:
        for i in range(size.items_per_region):
            item_id = f"{region}-{i:03d}"
            context = (Message("user", "Earlier question"), Message("assistant", "Earlier answer"))
            items.append(
                Item(
                    item_id,
                    region,
                    f"Question {i} asked in {region}?",
                    context=context if i % 3 == 0 else (),
                    reference=f"Reference {i}" if i % 2 == 0 else None,
                    expected_behaviour=(
                        ("refuse" if i % 2 else "answer") if size.expected else None
                    ),
                )
            )
            for k, model in enumerate(MODELS):
                text = XSS if size.xss and k == 1 else f"Answer {k + 1} to question {i}."
                responses.append(Response(item_id, model, text))
                verdicts.extend(
                    Verdict(item_id, model, d, "simulated", "v1", int(rng.random() < 0.7))
                    for d in size.dimensions
                )
    return items, responses, verdicts


def write_study(folder: Path, size: StudySize = StudySize(), *, store: str | None = None) -> Path:
    """``folder/study.yaml`` and its store, filled; returns the study's path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study_document(size, store=store)), encoding="utf-8")
    opened = open_study(path)
    try:
        items, responses, verdicts = contents(size)
        opened.store.add_items(items)
        opened.store.add_responses(responses)
        opened.store.add_verdicts(verdicts)
    finally:
        opened.store.close()
    return path


def opened_study(folder: Path, size: StudySize = StudySize()) -> StudyStore:
    return open_study(write_study(folder, size))


@contextmanager
def study_on(backend: str, folder: Path, size: StudySize = StudySize()) -> Iterator[StudyStore]:
    """The study, open on ``backend``: SQLite in ``folder``, or PostgreSQL in a fresh schema
    of the server named by ``BATON_TEST_POSTGRES_URL`` (dropped afterwards; skips without
    one). Closed afterwards."""
    if backend == "sqlite":
        opened = opened_study(folder, size)
        try:
            yield opened
        finally:
            opened.store.close()
        return
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        pytest.skip(POSTGRES_SKIP_REASON)
    schema = f"baton_test_{uuid.uuid4().hex}"
    admin = create_engine(parse_store_url(url))
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "study.yaml"
        path.write_text(yaml.safe_dump(study_document(size)), encoding="utf-8")
        opened = StudyStore(load_study(path), open_store(url, schema=schema))
        try:
            items, responses, verdicts = contents(size)
            opened.store.add_items(items)
            opened.store.add_responses(responses)
            opened.store.add_verdicts(verdicts)
            yield opened
        finally:
            opened.store.close()
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def names(values: Sequence[Any]) -> list[str]:
    return [getattr(v, "name", str(v)) for v in values]


def check_stored(opened: StudyStore, acknowledged: list[tuple[str, int]]) -> None:
    """Exactly the acknowledged submissions are stored, each once, with its labels."""
    assert len(set(acknowledged)) == len(acknowledged)
    slots = opened.store.review.slots()
    done = [s for s in slots if s.done_at is not None]
    assert {(s.rater, s.slot_id) for s in done} == set(acknowledged)
    units = Counter((s.item_id, s.dimension, s.rater) for s in done)
    assert max(units.values()) == 1  # nobody labelled a unit twice
    labels = opened.store.labels()
    assert len(labels) == len(MODELS) * len(acknowledged)
    by_unit = Counter((lab.item_id, lab.dimension, lab.rater) for lab in labels)
    assert by_unit == {unit: len(MODELS) for unit in units}
    probability = {(s.item_id, s.dimension): s.inclusion_prob for s in done}
    assert all(lab.inclusion_prob == probability[lab.item_id, lab.dimension] for lab in labels)
