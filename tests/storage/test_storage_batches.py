"""Provider batches in the store, on every backend: recorded as an intent, then with the
provider's id, then stored or failed with stamps; ``open_only`` lists what a resumed run
must poll, oldest first."""

from __future__ import annotations

from baton.storage import BatchRecord, Store


def test_a_batch_moves_from_intent_to_stored(store: Store) -> None:
    store.add_batch(BatchRecord("baton-replay-a", "replay", "openai", "old", ("k1", "k2")))
    store.add_batch(BatchRecord("baton-replay-b", "replay", "anthropic", "new", ("k3",)))
    store.add_batch(BatchRecord("baton-judge-c", "judge", "openai", "judge", ("k4",)))

    first, _second = store.batches("replay", open_only=True)
    assert (first.batch_key, first.state, first.external_id) == ("baton-replay-a", "intent", None)
    assert first.custom_ids == ("k1", "k2")
    assert first.created_at is not None
    assert first.submitted_at is None
    assert first.stored_at is None

    store.update_batch("baton-replay-a", state="submitted", external_id="batch_1")
    store.update_batch("baton-replay-b", state="failed", error="refused: bad file")
    (opened,) = store.batches("replay", open_only=True)
    assert (opened.external_id, opened.state) == ("batch_1", "submitted")
    assert opened.submitted_at is not None

    store.update_batch("baton-replay-a", state="stored")
    assert store.batches("replay", open_only=True) == []
    done, failed = store.batches("replay")
    assert done.external_id == "batch_1"  # kept when the state moves on
    assert done.stored_at is not None
    assert done.finished_at is not None
    assert (failed.state, failed.error) == ("failed", "refused: bad file")
    assert [b.batch_key for b in store.batches("judge")] == ["baton-judge-c"]
