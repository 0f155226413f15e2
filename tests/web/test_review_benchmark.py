"""The review benchmark's simulated rater, at toy size against a served app: it logs in,
labels, and every submission it counts is stored; paced, it keeps to its schedule, and
when behind it sends at once and says by how much."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from benchmarks.review import PACE_LEAD_S, RaterJob, cpu_used, rater, tree_cpu_seconds

from baton.web import ReviewServer
from tests.web.conftest import App


def test_the_benchmarks_rater_labels_and_counts_what_it_sent(
    server: ReviewServer, app: App
) -> None:
    link = f"{server.url}/login?token={app.tokens['ann']}"
    timings = rater(RaterJob(link, 4, time.time(), time.time() + 60, 0))
    assert timings.errors == []
    assert len(timings.post_s) == 4  # one request per submission
    assert len(timings.get_s) == 1  # the first screen
    assert timings.late_s == []
    assert timings.span is None
    assert len(app.opened.store.labels()) == 4 * 2


def test_a_paced_rater_keeps_to_its_schedule(server: ReviewServer, app: App) -> None:
    link = f"{server.url}/login?token={app.tokens['ann']}"
    start_at = time.time() + 0.2
    timings = rater(RaterJob(link, 3, start_at, start_at + 60, 0, interval_s=0.3, offset_s=0.1))
    assert timings.errors == []
    assert len(timings.post_s) == 3
    assert timings.span is not None
    first_target, ended = timings.span
    assert first_target == start_at + PACE_LEAD_S + 0.1
    assert ended - first_target >= 2 * 0.3  # the third waited for its time
    assert len(timings.late_s) == 3
    assert max(timings.late_s) < 0.3  # on time, give or take the previous answer


def test_a_paced_rater_behind_its_schedule_sends_at_once_and_says_how_late(
    server: ReviewServer, app: App
) -> None:
    link = f"{server.url}/login?token={app.tokens['ann']}"
    start_at = time.time() - 30  # every target time is past
    began = time.time()
    timings = rater(RaterJob(link, 3, start_at, time.time() + 60, 0, interval_s=1.0))
    assert timings.errors == []
    assert len(timings.post_s) == 3
    assert time.time() - began < 10  # no waiting
    assert min(timings.late_s) > 25  # about 30 − 0.5 − k s behind
    assert max(timings.post_s) < 10  # the latency runs from the send, not from the target


def test_the_benchmark_counts_the_cpu_of_every_server_process() -> None:
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    waiter = "import subprocess, sys; subprocess.run([sys.executable, '-c', sys.argv[1]])"
    parent = subprocess.Popen([sys.executable, "-c", waiter, f"{burn}\ntime.sleep(30)"])
    try:
        deadline = time.monotonic() + 30
        while len(before := tree_cpu_seconds(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the grandchild burns its 0.3 s of CPU
        used = cpu_used(before, tree_cpu_seconds(parent.pid))
    finally:
        parent.kill()
        parent.wait(timeout=10)
    assert os.getpid() not in used
    assert len(used) == 2  # the process started, and the one it started
    assert max(used.values()) >= 0.1
