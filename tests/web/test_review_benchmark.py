"""The review benchmark's simulated rater, at toy size against a served app: it logs in,
labels, and every submission it counts is stored; paced, it keeps to its schedule, and
when behind it sends at once and says by how much. The schedule is checked on a clock of
the test's own, which moves only when the rater waits: nothing here depends on how fast
the machine is (the benchmark measures that)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from benchmarks.review import PACE_LEAD_S, RaterJob, cpu_used, rater, tree_cpu_seconds

from baton.web import ReviewServer
from tests.web.conftest import App


class StillClock:
    """Time that passes only when someone sleeps; requests take none of it."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_benchmarks_rater_labels_and_counts_what_it_sent(
    server: ReviewServer, app: App
) -> None:
    link = f"{server.url}/login?token={app.tokens['ann']}"
    clock = StillClock()
    timings = rater(RaterJob(link, 4, clock.now, clock.now + 60, 0), clock)
    assert timings.errors == []
    assert len(timings.post_s) == 4  # one request per submission
    assert len(timings.get_s) == 1  # the first screen
    assert timings.late_s == []
    assert timings.span is None
    assert sum(clock.slept) == 0  # unpaced: no waiting
    assert len(app.opened.store.labels()) == 4 * 2


def test_a_paced_rater_keeps_to_its_schedule(server: ReviewServer, app: App) -> None:
    link = f"{server.url}/login?token={app.tokens['ann']}"
    clock = StillClock()
    start_at = clock.now + 0.2
    job = RaterJob(link, 3, start_at, start_at + 60, 0, interval_s=0.3, offset_s=0.1)
    timings = rater(job, clock)
    assert timings.errors == []
    assert len(timings.post_s) == 3
    first_target = start_at + PACE_LEAD_S + 0.1
    assert timings.span == pytest.approx((first_target, first_target + 2 * 0.3))
    assert timings.late_s == pytest.approx([0.0, 0.0, 0.0])  # each sent at its time
    assert sum(clock.slept) == pytest.approx(first_target + 2 * 0.3 - (start_at - 0.2))


def test_a_paced_rater_behind_its_schedule_sends_at_once_and_says_how_late(
    server: ReviewServer, app: App
) -> None:
    link = f"{server.url}/login?token={app.tokens['ann']}"
    clock = StillClock()
    start_at = clock.now - 30  # every target time is past
    timings = rater(RaterJob(link, 3, start_at, clock.now + 60, 0, interval_s=1.0), clock)
    assert timings.errors == []
    assert sum(clock.slept) == 0  # no waiting
    behind = 30 - PACE_LEAD_S
    assert timings.late_s == pytest.approx([behind, behind - 1, behind - 2])
    assert timings.post_s == [0.0, 0.0, 0.0]  # the latency runs from the send, not the target


BURN = """
import sys, time
from pathlib import Path
go, done = Path(sys.argv[1]), Path(sys.argv[2])
while not go.exists():
    time.sleep(0.01)
end = time.process_time() + 0.3
while time.process_time() < end:
    pass
done.touch()
time.sleep(60)
"""
WAITER = "import subprocess, sys; subprocess.run([sys.executable, '-c', *sys.argv[1:]])"


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60  # a bound on a hung child, not a claim about speed
    while not condition():
        assert time.monotonic() < deadline, f"waited a minute for {what}"
        time.sleep(0.02)


def test_the_benchmark_counts_the_cpu_of_every_server_process(tmp_path: Path) -> None:
    go, done = tmp_path / "go", tmp_path / "done"
    parent = subprocess.Popen([sys.executable, "-c", WAITER, BURN, str(go), str(done)])
    try:
        _wait_for(lambda: len(tree_cpu_seconds(parent.pid)) == 2, "the grandchild")
        before = tree_cpu_seconds(parent.pid)
        go.touch()  # the grandchild burns 0.3 s of CPU, then says so
        _wait_for(done.exists, "the grandchild's 0.3 s of CPU")
        used = cpu_used(before, tree_cpu_seconds(parent.pid))
    finally:
        for pid in sorted(tree_cpu_seconds(parent.pid), reverse=True):
            if pid != parent.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # the grandchild, which this test started
        parent.kill()
        parent.wait(timeout=10)
    assert os.getpid() not in used
    assert len(used) == 2  # the process started, and the one it started
    assert max(used.values()) >= 0.25  # the burn, counted at the clock tick's resolution
