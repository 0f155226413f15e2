"""The review benchmark's simulated rater, at toy size against a served app: it logs in,
labels, and every submission it counts is stored."""

from __future__ import annotations

import time

from benchmarks.review import rater

from baton.web import ReviewServer
from tests.web.conftest import App


def test_the_benchmarks_rater_labels_and_counts_what_it_sent(
    server: ReviewServer, app: App
) -> None:
    link = f"{server.url}/login?token={app.tokens['ann']}"
    timings = rater((link, 4, time.time(), time.time() + 60, 0))
    assert timings.errors == []
    assert len(timings.post_s) == len(timings.get_s) == 4
    assert len(app.opened.store.labels()) == 4 * 2
