"""The parts of the ``Store`` contract an edited study relies on, on every backend: the
study versions seen, and responses and verdicts that are replaced, never piled up."""

from __future__ import annotations

from baton.domain import Response, Verdict
from baton.storage import CacheEntry, Store


def test_a_new_store_has_seen_no_version(store: Store) -> None:
    assert store.study_versions() == []


def test_versions_are_recorded_once_and_the_latest_used_comes_last(store: Store) -> None:
    assert store.add_study_version("d1", "f1", {"name": "study", "margin": 0.02})
    assert store.add_study_version("d2", "f2", {"name": "study", "margin": 0.05})
    assert [v.digest for v in store.study_versions()] == ["d1", "d2"]
    assert not store.add_study_version("d1", "f1", {"name": "study", "margin": 0.02})
    versions = store.study_versions()
    assert [v.digest for v in versions] == ["d2", "d1"]
    assert versions[1].study == {"name": "study", "margin": 0.02}
    assert versions[1].fingerprint == "f1"
    assert versions[1].last_seen >= versions[1].first_seen
    assert versions[1].first_seen <= versions[0].first_seen


def test_a_response_to_another_request_replaces_the_stored_one_and_its_verdicts(
    store: Store,
) -> None:
    old = Response("i1", "cand", "old answer", request_key="k-old")
    kept = Response("i2", "cand", "other", request_key="k2")
    store.add_responses([old, kept])
    store.add_verdicts(
        [
            Verdict("i1", "cand", "quality", "j", "v1", 1, ""),
            Verdict("i2", "cand", "quality", "j", "v1", 1, ""),
        ]
    )
    assert store.response_keys("cand") == {"i1": "k-old", "i2": "k2"}
    new = Response("i1", "cand", "new answer", request_key="k-new")
    same = Response("i2", "cand", "again", request_key="k2")
    assert store.add_responses([new, same]) == 1
    assert store.responses() == [new, kept]
    assert [(v.item_id, v.model) for v in store.verdicts()] == [("i2", "cand")]
    assert store.response_keys("cand") == {"i1": "k-new", "i2": "k2"}


def test_an_unkeyed_response_is_never_replaced_by_a_keyed_one(store: Store) -> None:
    logged = Response("i1", "inc", "logged", source="logged")
    store.add_responses([logged])
    assert store.add_responses([Response("i1", "inc", "replayed", request_key="k")]) == 0
    assert store.responses() == [logged]
    assert store.response_keys("inc") == {"i1": None}


def test_a_failure_replacing_a_stale_answer_keeps_the_answer_in_the_cache(store: Store) -> None:
    entry = CacheEntry("k-old", "fake", "m", "old answer", 1, 1, 0.0)
    store.add_responses([Response("i1", "cand", "old answer", request_key="k-old")], cache=[entry])
    failed = Response("i1", "cand", None, error="connection: refused", request_key="k-new")
    assert store.add_responses([failed]) == 1
    assert store.responses() == [failed]
    assert store.response_keys("cand") == {}
    assert store.failed("cand") == {"i1"}
    assert store.failed("other") == set()
    assert store.cached(["k-old"]) == {"k-old": entry}


def test_an_abstention_is_replaced_by_a_verdict_of_the_same_version(store: Store) -> None:
    abstained = Verdict("i1", "m", "quality", "j", "v1", None, "", abstention="unparseable twice")
    store.add_verdicts([abstained])
    judged = Verdict("i1", "m", "quality", "j", "v1", 1, "fine")
    assert store.add_verdicts([judged]) == 1
    assert store.verdicts() == [judged]
    assert store.add_verdicts([Verdict("i1", "m", "quality", "j", "v1", 0, "again")]) == 0
    assert store.verdicts() == [judged]


def test_a_verdict_on_other_answers_replaces_the_stored_one(store: Store) -> None:
    old = Verdict("i1", "m", "quality", "j", "v1", 1, "", case_key="answers-a")
    store.add_verdicts([old])
    assert (
        store.add_verdicts([Verdict("i1", "m", "quality", "j", "v1", 0, "", case_key="answers-a")])
        == 0
    )
    assert store.add_verdicts([Verdict("i1", "m", "quality", "j", "v1", 0, "")]) == 0
    assert store.verdicts() == [old]
    new = Verdict("i1", "m", "quality", "j", "v1", 0, "worse now", case_key="answers-b")
    assert store.add_verdicts([new]) == 1
    assert store.verdicts() == [new]
