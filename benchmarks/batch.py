"""Batch replay at scale against the batch stub: 100,000 requests submitted, polled and
stored, with peak memory and how many times the store was written per result.

The stub (``tests/replay/batch_server.py``, in a process of its own) speaks OpenAI's files
and batches API and Anthropic's message batches; a batch ends on its second look. In a child
process (so its peak RSS is the engine's alone) ``--items`` items are replayed with
``replay_in_batches`` to two models, the incumbent on OpenAI and the candidate on Anthropic
(``2 * items`` distinct requests: by default 50,000 each, one batch per API at its own
limit), through a store that counts every response and cache entry handed to it and every
transaction. Targets: peak RSS at most 500 MB; every result written once (responses written
== responses stored == requests, one cache entry each).

Run: ``make bench-batch`` (``python -m benchmarks.batch``; ``--help`` for the sizes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from baton.domain import Item, Response
from baton.providers import create_batch_client
from baton.replay import BatchMode, replay_in_batches
from baton.storage import CacheEntry, Store, open_store
from baton.study import Study, parse_study

KEY_ENV = "BATON_BENCH_BATCH_KEY"
TARGET_MB = 500


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def stub_server() -> Iterator[str]:
    """The stub in a process of its own; yields its OpenAI base URL."""
    command = [sys.executable, "-m", "tests.replay.batch_server", "--polls-to-finish", "2"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(10)


class CountingStore:
    """The store, counting what replay writes: responses and cache entries handed in, and
    transactions (``add_responses`` calls)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.responses = self.entries = self.transactions = 0

    def add_responses(
        self, responses: Sequence[Response], *, cache: Sequence[CacheEntry] = ()
    ) -> int:
        self.responses += len(responses)
        self.entries += len(cache)
        self.transactions += 1
        return self._store.add_responses(responses, cache=cache)

    def cached(self, keys: Collection[str]) -> dict[str, CacheEntry]:
        return self._store.cached(keys)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class RssSampler:
    """A replay progress that samples RSS every ``every`` responses stored."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.done = 0
        self.samples: list[tuple[int, float]] = []

    def start(self, total: int) -> None:
        self.samples.append((0, rss_mb()))

    def advance(self, responses: int, errors: int) -> None:
        before, self.done = self.done, self.done + responses
        if before // self.every != self.done // self.every:
            self.samples.append((self.done, rss_mb()))


def bench_study(base_url: str) -> Study:
    def model(name: str, provider: str, url: str) -> dict[str, Any]:
        return {
            "name": name,
            "provider": provider,
            "model": f"stub-{name}",
            "base_url": url,
            "api_key_env": KEY_ENV,
            "price_per_mtok_input": 2.0,
            "price_per_mtok_output": 8.0,
        }

    root = base_url.removesuffix("/v1")
    return parse_study(
        {
            "name": "batch-bench",
            "service": {"system_prompt": "You are the support assistant. Answer briefly."},
            "incumbent": model("old", "openai", base_url),
            "candidates": [model("new", "anthropic", root)],
            "regions": [{"name": "eu", "traffic_share": 1.0}],
            "dimensions": [{"name": "correctness", "rubric": "Correct?", "margin": 0.05}],
            "labels": {"budget": 100},
        }
    )


def child(base_url: str, n: int) -> None:
    """Replay ``n`` items to both models in batches; print the figures as JSON."""
    os.environ.setdefault(KEY_ENV, "sk-bench")
    study = bench_study(base_url)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'batch.db'}"
        store = open_store(url)
        items = [
            Item(f"item-{i:07d}", "eu", f"Question {i}: where is order {i}?") for i in range(n)
        ]
        store.add_items(items)
        baseline = rss_mb()
        counting = CountingStore(store)
        sampler = RssSampler(every=max(1, n // 5))
        clients = {spec.name: create_batch_client(spec) for spec in study.models}
        mode = BatchMode(poll_interval_s=0.2)
        started = time.perf_counter()
        summary, tally = asyncio.run(
            replay_in_batches(study, items, clients, counting, mode=mode, progress=sampler)  # type: ignore[arg-type]
        )
        seconds = time.perf_counter() - started
        stored = len(store.responses())
        store.close()
    figures = {
        "items": n,
        "requests": tally.requests,
        "batches": tally.submitted,
        "polls": tally.polls,
        "stored": stored,
        "errors": summary.errors,
        "responses_written": counting.responses,
        "cache_entries_written": counting.entries,
        "transactions": counting.transactions,
        "seconds": seconds,
        "baseline_mb": baseline,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "samples": sampler.samples,
        "cost_usd": summary.cost_usd,
    }
    print(json.dumps(figures))


def report(figures: dict[str, Any]) -> None:
    trail = ", ".join(f"{done:,}: {mb:.0f} MB" for done, mb in figures["samples"])
    once = figures["responses_written"] == figures["stored"] == figures["requests"]
    print(f"\nBatch replay against the local stub, {os.cpu_count()} CPUs")
    print("| figure | value | target |")
    print("|---|---:|---|")
    rows = [
        ("items x models (requests)", f"{figures['requests']:,}", ""),
        ("batches submitted", f"{figures['batches']:,}", "within each API's limits"),
        ("looks at a batch", f"{figures['polls']:,}", ""),
        ("responses stored", f"{figures['stored']:,}", "every request"),
        ("failed", f"{figures['errors']:,}", "0"),
        ("responses written", f"{figures['responses_written']:,}", "once per result"),
        ("cache entries written", f"{figures['cache_entries_written']:,}", "once per result"),
        ("store transactions", f"{figures['transactions']:,}", ""),
        ("seconds, submit to stored", f"{figures['seconds']:.1f}", ""),
        ("peak RSS", f"{figures['peak_mb']:.0f} MB", f"<= {TARGET_MB} MB"),
        ("RSS with the items loaded", f"{figures['baseline_mb']:.0f} MB", ""),
    ]
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")
    print(f"\nRSS by responses stored: {trail}")
    verdict = "met" if once and figures["peak_mb"] <= TARGET_MB else "MISSED"
    print(f"targets {verdict}: written once per result: {once}; peak {figures['peak_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000, help="items (two models each)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stub", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.stub, args.child)
        return
    with stub_server() as base_url:
        command = [sys.executable, "-m", "benchmarks.batch", "--child", str(args.items)]
        command += ["--stub", base_url]
        ran = subprocess.run(command, capture_output=True, text=True, check=True)
    report(json.loads(ran.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
