"""The parts of the ``Store`` contract judging relies on, on every backend: a verdict of a new
judge version replaces the old one (and only it), costs and outcomes round-trip, and the judge
model's answers are stored in the same transaction as the verdicts."""

from __future__ import annotations

from dataclasses import replace

from baton.domain import Verdict
from baton.storage import CacheEntry, Store


def verdict(item: str, judge: str = "correctness", version: str = "v1", **how: object) -> Verdict:
    fields: dict[str, object] = {"category": 1, **how}
    return Verdict(item, "new", "correctness", judge, version, **fields)  # type: ignore[arg-type]


def test_costs_and_outcomes_round_trip(store: Store) -> None:
    stored = verdict(
        "a", "refusal", outcome="over_refusal", input_tokens=300, output_tokens=20, cost_usd=0.004
    )
    assert store.add_verdicts([stored]) == 1
    assert store.verdicts() == [stored]


def test_a_new_version_replaces_only_its_own_judges_verdict(store: Store) -> None:
    old = [verdict("a"), verdict("b"), verdict("a", "length", "l1")]
    store.add_verdicts(old)
    assert store.add_verdicts([verdict("a", version="v1", category=0)]) == 0  # same version: kept
    newer = verdict("a", version="v2", category=0, rationale="stricter")
    assert store.add_verdicts([newer]) == 1
    assert sorted(store.verdicts(), key=lambda v: (v.item_id, v.judge)) == [
        newer,
        old[2],
        old[1],
    ]


def test_verdicts_and_their_cache_entries_are_stored_together(store: Store) -> None:
    entry = CacheEntry("judge-key", "openai", "judge-1", '{"verdict": "pass"}', 300, 20, 0.5)
    assert store.add_verdicts([verdict("a")], cache=[entry]) == 1
    assert store.cached(["judge-key"]) == {"judge-key": entry}
    assert store.add_verdicts([], cache=[replace(entry, text="later")]) == 0
    assert store.cached(["judge-key"])["judge-key"].text == '{"verdict": "pass"}'
