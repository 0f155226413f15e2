"""Review app throughput: label submissions per second and latency percentiles with N
concurrent simulated raters, on SQLite and on PostgreSQL.

Run: ``make bench-review`` (or ``python -m benchmarks.review``). For each backend it builds a
study (items, two models' responses, judge verdicts; no labels), starts ``baton review
serve`` as its own process (``--workers N``: N server processes on one socket) on a free
loopback port, and lets each rater thread log in with its link, load its first screen
(GET /rate: the first claim) and then send its answers (POST: the labels, answered with the
next screen, claimed in the same request) and read the next form from that answer. Bounded:
a fixed number of submissions per rater and a time limit.

Two modes, named in the table. Saturation (the default, closed loop): each rater sends its
next answer as soon as the previous one came back, so "per s" is the most the server
manages, and the latency is mostly queueing (its median is about raters ÷ throughput).
Paced (``--rate R``, open loop): R submissions per second in all, each rater at R ÷ raters
per second on an evenly spaced schedule (the raters' schedules staggered so the sends, all
together, are evenly spaced); a rater that falls behind sends at once, and its latency still
runs from the actual send. So ``--rate 200`` tells whether the latency holds at 200
submissions per second, and the table shows the rate achieved (from the first target time
to the last answer) and how far behind schedule the sends were (p50/max): a large lag means
the server did not keep up with R.

One POST is one submission, so the POST's latency is the latency per submission (there is
no GET between two submissions any more); the table shows its p50 and p99, and the first
GET of each rater apart (median and maximum over the raters). Client and server share the
machine's cores, so the raters use the standard library's light ``http.client``, and the
table shows the CPU time of each side per submission (the server's: all its processes, with
the share of each of the busiest ``--workers`` of them: a rater's kept-alive connection
stays with the process that accepted it, so this shows how evenly the raters were spread),
how many times the refiller computed the allocation from labels during the run (each one
costs the server CPU), and the load average around each backend's run. PostgreSQL runs when
``BATON_TEST_POSTGRES_URL`` (or ``--postgres``) names a server; it gets a fresh database,
dropped afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.pool import ThreadPool
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import httpx
import numpy as np
import yaml
from sqlalchemy import create_engine, text

from baton.domain import Item, Response, Verdict
from baton.steps import open_study
from baton.storage._engine import parse_store_url

MODELS = ("incumbent", "candidate")
DIMENSIONS = ("correctness", "style")
LAUNCH = "from baton.cli.main import run; run()"
_FORM = re.compile(r'action="(/rate/\d+)"')
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SAVED = 'role="status">Saved.<'
PACE_LEAD_S = 0.5
"""Paced: time from the first screens' GET to the first answers' target times."""


@dataclass
class Timings:
    """What the raters measured."""

    post_s: list[float] = field(default_factory=list)
    """Each submission's POST (which answers with the next screen)."""
    get_s: list[float] = field(default_factory=list)
    """The first screen's GET."""
    late_s: list[float] = field(default_factory=list)
    """Paced: how far behind its target time each POST was sent (0 when on time)."""
    span: tuple[float, float] | None = None
    """Paced: the first POST's target time and the last POST's end (``time.time()``)."""
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RaterJob:
    """What one rater thread does: log in with ``link``, load its first screen at
    ``start_at``, then send up to ``submissions`` answers until ``stop_at`` (both
    ``time.time()``). ``interval_s`` 0: each as soon as the previous one's answer came back
    (saturation); else paced: the k-th at ``start_at + PACE_LEAD_S + offset_s + k *
    interval_s``, or at once when behind."""

    link: str
    submissions: int
    start_at: float
    stop_at: float
    seed: int
    interval_s: float = 0.0
    offset_s: float = 0.0


class Clock(Protocol):
    """Where a rater reads the time and waits: the wall clock, or a test's own."""

    def time(self) -> float: ...

    def perf_counter(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class WallClock:
    """The real clock (``time.time``, ``time.perf_counter``, ``time.sleep``)."""

    def time(self) -> float:
        return time.time()

    def perf_counter(self) -> float:
        return time.perf_counter()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


WALL_CLOCK = WallClock()


def write_study(folder: Path, *, items_per_region: int, store: str | None) -> Path:
    """A study of three regions, two models and two dimensions, judged, not labelled."""
    regions = ("eu", "us", "apac")
    document = {
        "name": "bench-review",
        "service": {"system_prompt": "Be helpful."},
        "incumbent": {"name": MODELS[0], "provider": "fake", "model": "a"},
        "candidates": [{"name": MODELS[1], "provider": "fake", "model": "b"}],
        "regions": [{"name": r, "traffic_share": 1 / 3} for r in regions],
        "dimensions": [
            {"name": d, "judge": {"name": "sim"}, "rubric": f"Good on {d}?", "margin": 0.05}
            for d in DIMENSIONS
        ],
        "labels": {"budget": 1_000_000},
        **({"store": store} if store else {}),
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    rng = np.random.default_rng(0)
    answer = "A paragraph of **Markdown** with a list:\n\n- one\n- two\n\n" + "word " * 120
    items = [
        Item(f"{r}-{i:05d}", r, f"Question {i}? " + "context " * 40)
        for r in regions
        for i in range(items_per_region)
    ]
    opened = open_study(path)
    try:
        opened.store.add_items(items)
        opened.store.add_responses(
            [Response(i.item_id, m, f"{m[0]}{i.item_id}: {answer}") for i in items for m in MODELS]
        )
        opened.store.add_verdicts(
            [
                Verdict(i.item_id, m, d, "sim", "v1", int(rng.random() < 0.8))
                for i in items
                for m in MODELS
                for d in DIMENSIONS
            ]
        )
    finally:
        opened.store.close()
    return path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux), or NaN."""
    fields = _stat(pid)
    if fields is None:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time so far of process ``pid`` and of each of its descendants (Linux)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None:
            parents[int(entry.name)] = int(fields[1])
    tree, grown = {pid}, True
    while grown:
        below = {child for child, parent in parents.items() if parent in tree}
        grown = not below <= tree
        tree |= below
    return {p: cpu_seconds(p) for p in sorted(tree)}


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state is field 0)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def cpu_used(before: dict[int, float], after: dict[int, float]) -> dict[int, float]:
    """CPU time each process used between two ``tree_cpu_seconds`` (ones alive at both)."""
    return {p: after[p] - before[p] for p in before.keys() & after.keys()}


@contextmanager
def serving(
    study: Path, raters: int, batch_labels: int, workers: int = 1
) -> Iterator[tuple[dict[str, str], int]]:
    """``baton review serve`` in its own process(es); yields each rater's link and the pid of
    the process started (with ``workers`` above 1, the parent of the server processes)."""
    names = [f"r{i}" for i in range(raters)]
    command = [sys.executable, "-c", LAUNCH, "review", "serve", str(study), "--port", "0"]
    command += [f"--rater={n}" for n in names] + ["--quota", "10000000", "--double", "0.1"]
    command += ["--batch", str(batch_labels), "--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    links: dict[str, str] = {}
    try:
        for line in process.stdout:
            who, _, link = line.strip().partition(": ")
            links[who.removeprefix("rater ")] = link
            if who == "admin":
                break
        _wait_until_ready(links["admin"])
        yield {n: links[n] for n in names}, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_ready(link: str, timeout_s: float = 120.0) -> None:
    """Wait until the server answers (it fills the queue before it accepts requests)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(link, timeout=10)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def rater(job: RaterJob, clock: Clock = WALL_CLOCK) -> Timings:
    """One rater (see ``RaterJob``): log in, wait for ``start_at``, load the first screen,
    then send answers, each to the form of the screen the previous POST answered with.

    A browser does this from its own machine; here the raters share the server's cores, so
    each speaks HTTP/1.1 over one kept-alive connection with the standard library's
    ``http.client``, which costs a fraction of the CPU of a full client such as httpx (the
    table shows what the raters used). A POST's latency runs from its actual send, so a
    paced rater that fell behind its schedule does not count the time it was behind. Times
    come from ``clock``: a test's own clock checks the schedule without waiting for it."""
    rng, timings = random.Random(job.seed), Timings()
    url = urlsplit(job.link)
    connection = http.client.HTTPConnection(url.netloc, timeout=30)
    try:
        status, headers, _ = _request(connection, "GET", f"{url.path}?{url.query}", {})
        cookie = {"Cookie": headers["set-cookie"].partition(";")[0]}
        clock.sleep(max(job.start_at - clock.time(), 0))
        connection.close()  # idle past the server's keep-alive: the next request reconnects
        started = clock.perf_counter()
        status, _, page = _request(connection, "GET", "/rate", cookie)
        timings.get_s.append(clock.perf_counter() - started)
        form = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
        first_at = job.start_at + PACE_LEAD_S + job.offset_s
        for k in range(job.submissions):
            if clock.time() > job.stop_at:
                break
            action, csrf = _FORM.search(page), _CSRF.search(page)
            if status != 200 or not action or not csrf:
                timings.errors.append(f"no form to send (status {status})")
                break
            answers = {f"answer-{i}": str(rng.randint(0, 1)) for i in range(len(MODELS))}
            body = urlencode({"csrf": csrf.group(1), **answers})
            if job.interval_s:
                target = first_at + k * job.interval_s
                clock.sleep(max(target - clock.time(), 0))
                timings.late_s.append(max(clock.time() - target, 0.0))
            started = clock.perf_counter()
            status, headers, page = _request(connection, "POST", action.group(1), form, body)
            timings.post_s.append(clock.perf_counter() - started)
            if status != 200 or _SAVED not in page:
                timings.errors.append(f"POST {status} {headers.get('location', '')}".rstrip())
                break
        if job.interval_s and timings.post_s:
            timings.span = (first_at, clock.time())
    finally:
        connection.close()
    return timings


def _request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | None = None,
) -> tuple[int, dict[str, str], str]:
    """One request on a kept-alive connection: status, headers (lower-case names), body."""
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8")
    return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def run_backend(name: str, store: str | None, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        study = write_study(Path(folder), items_per_region=args.items, store=store)
        batch = 3 * args.items * len(DIMENSIONS) * len(MODELS)  # every unit, in one refill
        with serving(study, args.raters, batch, args.workers) as (links, pid):
            pools: dict[str, Callable[[int], Any]] = {
                "processes": multiprocessing.get_context("spawn").Pool,
                "threads": ThreadPool,
            }
            with pools[args.clients](len(links)) as pool:
                # every rater logs in, then waits for the same instant to start
                start_at = time.time() + 10 + 0.5 * len(links)
                stop_at = start_at + args.seconds
                # paced: each rater at rate / raters per second, the raters' schedules
                # staggered so that the sends, all together, are evenly spaced
                interval = len(links) / args.rate if args.rate else 0.0
                jobs = [
                    RaterJob(link, args.submissions, start_at, stop_at, i, interval, i / args.rate)
                    if args.rate
                    else RaterJob(link, args.submissions, start_at, stop_at, i)
                    for i, link in enumerate(links.values())
                ]
                pending = pool.map_async(rater, jobs)
                time.sleep(max(start_at - time.time(), 0))
                load_before = os.getloadavg()[0]
                cpu_before, started = tree_cpu_seconds(pid), time.perf_counter()
                client_before = time.process_time()
                done = pending.get(timeout=args.seconds + 120)
                wall = time.perf_counter() - started
                per_process = cpu_used(cpu_before, tree_cpu_seconds(pid))
                server_cpu = sum(per_process.values())
                client_cpu = time.process_time() - client_before  # the rater threads
                if args.clients == "processes":
                    client_cpu = float("nan")
                load_after = os.getloadavg()[0]
            timings = Timings(
                post_s=[x for t in done for x in t.post_s],
                get_s=[x for t in done for x in t.get_s],
                late_s=[x for t in done for x in t.late_s],
                errors=[x for t in done for x in t.errors],
            )
            spans = [t.span for t in done if t.span is not None]
            if spans:  # paced: from the first target time to the last answer
                wall = max(end for _, end in spans) - min(begin for begin, _ in spans)
        labels, recomputes = _stored_labels(study)
    post, get = np.array(timings.post_s) * 1000, np.array(timings.get_s) * 1000
    late = np.array(timings.late_s or [float("nan")]) * 1000
    busiest = sorted(per_process.values(), reverse=True)[: args.workers]
    return {
        "backend": name,  # type: ignore[dict-item]
        "submissions": len(post),
        "per_s": len(post) / wall,
        "late_p50": float(np.percentile(late, 50)),
        "late_max": float(np.max(late)),
        "post_p50": float(np.percentile(post, 50)),
        "post_p99": float(np.percentile(post, 99)),
        "get_p50": float(np.percentile(get, 50)),
        "get_max": float(np.max(get)),
        "server_cpu_ms": server_cpu * 1000 / max(len(post), 1),
        "split": "/".join(f"{100 * c / max(server_cpu, 1e-9):.0f}" for c in busiest),  # type: ignore[dict-item]
        "client_cpu_ms": client_cpu * 1000 / max(len(post), 1),
        "errors": len(timings.errors),
        "labels": labels,
        "recomputes": recomputes,
        "load": f"{load_before:.1f}–{load_after:.1f}",  # type: ignore[dict-item]
        "first_error": timings.errors[0] if timings.errors else "",  # type: ignore[dict-item]
    }


def _stored_labels(study: Path) -> tuple[int, int]:
    """Labels stored, and how many times the allocation was computed from some labels (each
    such computation records a look of the decision rule in the store, at the share of the
    budget spent then: one per distinct share)."""
    opened = open_study(study)
    try:
        return len(opened.store.labels()), len({look.time for look in opened.store.looks()})
    finally:
        opened.store.close()


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A fresh database on the server of ``url``, dropped afterwards."""
    name = f"baton_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(parse_store_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield parse_store_url(url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raters", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (baton review serve --workers)"
    )
    parser.add_argument("--submissions", type=int, default=200, help="per rater")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per backend")
    parser.add_argument("--items", type=int, default=400, help="items per region (3 regions)")
    parser.add_argument(
        "--clients",
        choices=["threads", "processes"],
        default="threads",
        help="raters as threads of one process (lighter on the shared cores) or as processes",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="paced (open loop): this many submissions per second in all, evenly spaced "
        "(each rater at rate/raters per second); default: saturation (each rater sends as "
        "soon as its previous answer came back)",
    )
    parser.add_argument("--postgres", default=os.environ.get("BATON_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")
    results = [run_backend("sqlite", None, args)]
    if args.postgres:
        with postgres_database(args.postgres) as url:
            results.append(run_backend("postgresql", url, args))
    else:
        print("PostgreSQL skipped: set BATON_TEST_POSTGRES_URL or --postgres")
    mode = f"paced at {args.rate:g}/s" if args.rate else "saturation"
    print(
        f"{args.raters} concurrent raters ({args.clients}), {args.workers} server "
        f"process(es) (--workers {args.workers}), {len(MODELS)} answers per screen, "
        f"{os.cpu_count()} cores; mode: {mode} "
        + (
            f"(each rater sends at {args.rate / args.raters:g}/s on an evenly spaced "
            "schedule, at once when behind it; per s: achieved, from the first target time "
            "to the last answer; behind: how late the sends were, p50/max)"
            if args.rate
            else "(each rater sends as soon as its previous answer came back)"
        )
        + "; one POST per submission (it answers with the next screen), so POST p50/p99 is "
        "the latency per submission, from the request's actual send; first GET: each "
        "rater's first screen, median/max; CPU split: the busiest server processes' shares "
        "of the server's CPU, in %; recomputes: allocations computed from labels during the "
        "run (the refiller's); load: the 1-minute load average as each backend's run began "
        "and ended"
    )
    print(
        "backend     mode              submissions  per s   POST p50/p99 ms  "
        "behind p50/max ms  first GET p50/max ms  CPU ms/submission: server, raters  "
        "CPU split  errors  labels stored  recomputes  load"
    )
    for r in results:
        if r["first_error"]:
            print(f"{r['backend']}: first error: {r['first_error']}")
        behind = (
            f"{r['late_p50']:>7.1f} / {r['late_max']:<7.1f}" if args.rate else f"{'—':>7}   {'':<7}"
        )
        print(
            f"{r['backend']:<11} {mode:<17} {r['submissions']:>11.0f}  {r['per_s']:>5.0f}  "
            f"{r['post_p50']:>6.1f} / {r['post_p99']:<6.1f}  {behind}  "
            f"{r['get_p50']:>9.1f} / {r['get_max']:<8.1f}  "
            f"{r['server_cpu_ms']:>25.1f}, {r['client_cpu_ms']:<6.1f}  {r['split']:>9}  "
            f"{r['errors']:>6.0f}  {r['labels']:>13.0f}  {r['recomputes']:>10.0f}  {r['load']}"
        )


if __name__ == "__main__":
    main()
