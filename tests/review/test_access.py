"""Rater and admin tokens (stored hashed) and CSRF tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from baton.errors import InputError
from baton.review import (
    ADMIN_NAME,
    check_csrf,
    csrf_token,
    enrol_raters,
    hash_token,
    issue_admin,
)
from baton.storage import Rater, Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'baton.db'}")
    yield opened
    opened.close()


def test_new_raters_get_a_token_whose_hash_alone_is_stored(store: Store) -> None:
    issued = enrol_raters(store.review, ["ann", "bob", "ann"], quota=40)
    assert [link.rater.name for link in issued] == ["ann", "bob"]
    token = issued[0].token
    assert token is not None
    assert len(token) >= 40
    assert store.review.rater_for_token(hash_token(token)) == Rater("ann", "rater", 40)
    assert store.review.rater_for_token(token) is None  # the token itself is not stored


def test_enrolled_raters_keep_their_link_unless_reissued(store: Store) -> None:
    (first,) = enrol_raters(store.review, ["ann"], quota=40)
    (again,) = enrol_raters(store.review, ["ann"], quota=60)
    assert again.token is None
    assert first.token is not None
    assert store.review.rater_for_token(hash_token(first.token)) == Rater("ann", "rater", 60)
    (renewed,) = enrol_raters(store.review, ["ann"], quota=60, reissue=True)
    assert renewed.token is not None
    assert store.review.rater_for_token(hash_token(first.token)) is None
    assert store.review.rater_for_token(hash_token(renewed.token)) is not None


def test_the_admin_token_is_new_each_time(store: Store) -> None:
    first, second = issue_admin(store.review), issue_admin(store.review)
    assert store.review.rater_for_token(hash_token(first)) is None
    assert store.review.rater_for_token(hash_token(second)) == Rater(ADMIN_NAME, "admin", 0)


@pytest.mark.parametrize("name", ["admin", "", "a b", "<script>", "x" * 65])
def test_bad_or_reserved_rater_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(InputError, match="--rater"):
        enrol_raters(store.review, [name], quota=1)


def test_csrf_tokens_are_bound_to_the_holder_and_the_secret() -> None:
    token = csrf_token(b"s" * 32, "hash-a")
    assert check_csrf(b"s" * 32, "hash-a", token)
    assert not check_csrf(b"s" * 32, "hash-b", token)
    assert not check_csrf(b"t" * 32, "hash-a", token)
    assert not check_csrf(b"s" * 32, "hash-a", "")
