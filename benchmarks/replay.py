"""Replay throughput and memory against a fast local stub server, side by side in one run.

One stub (``tests/replay/fault_server.py`` answering ``ok``, in a process of its own) serves
every contender the same prompts:

- the bare ``openai`` async SDK with a semaphore: the ceiling;
- Baton's replay engine with the cache off (store, limits, retries and bookkeeping on);
- the engine with the cache on: first calling (and writing the cache), then answering every
  response from the cache;
- Inspect AI (``inspect-ai``, installed in its own virtual environment under
  ``~/.cache/baton/bench``, outside the repository), same prompts, same concurrency;

then the native providers (Bedrock, Gemini, Azure OpenAI) against the stub of their wire
protocols, each beside its bare official SDK (``benchmarks/_replay_native.py``); and, in a
process of its own, the engine's peak RSS replaying ``--memory-items`` items
(100,000 by default) to two models asking the same thing (one call and one cache entry
answer both), sampled along the way to show it stays flat.

Run: ``make bench-replay`` (``python -m benchmarks.replay``; ``--help`` for the sizes).
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openai import AsyncOpenAI

from baton.domain import Item
from baton.providers import close_providers, create_providers
from baton.replay import ReplayOptions, ReplaySummary, replay_responses
from baton.storage import open_store
from baton.study import Study, parse_study
from benchmarks._replay_native import native_report

SYSTEM = "You are the support assistant of Example Corp. Answer briefly."
INSPECT_VENV = Path.home() / ".cache" / "baton" / "bench" / "inspect-venv"
INSPECT_PACKAGES = ["inspect-ai==0.3.285", "openai"]


def prompt(i: int) -> str:
    return f"Question {i}: where is my order number {i}, and when will it arrive?"


@dataclass(frozen=True)
class Result:
    name: str
    responses: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.responses / self.seconds


@contextmanager
def stub_server() -> Iterator[str]:
    """The stub in a process of its own; yields its base URL."""
    command = [sys.executable, "-m", "tests.replay.fault_server"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(10)


async def bare_sdk(base_url: str, n: int, concurrency: int) -> Result:
    client = AsyncOpenAI(api_key="bench", base_url=base_url, max_retries=0)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str | None:
        async with gate:
            reply = await client.chat.completions.create(
                model="stub-model",
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": prompt(i)},
                ],
                max_tokens=32,
            )
            return reply.choices[0].message.content

    await asyncio.gather(*(one(i) for i in range(min(n, 200))))  # warm the connections
    started = time.perf_counter()
    answers = await asyncio.gather(*(one(i) for i in range(n)))
    seconds = time.perf_counter() - started
    await client.close()
    assert all(answers)
    return Result("bare openai SDK (asyncio.gather + semaphore)", n, seconds)


def bench_study(
    base_url: str,
    names: tuple[str, str] = ("incumbent", "candidate"),
    model_ids: tuple[str, str] = ("stub-a", "stub-b"),
) -> Study:
    def model(name: str, model_id: str) -> dict[str, Any]:
        return {
            "name": name,
            "provider": "openai",
            "model": model_id,
            "base_url": base_url,
            "price_per_mtok_input": 0.15,
            "price_per_mtok_output": 0.6,
        }

    return parse_study(
        {
            "name": "bench",
            "service": {"system_prompt": SYSTEM, "parameters": {"max_tokens": 32}},
            "incumbent": model(names[0], model_ids[0]),
            "candidates": [model(names[1], model_ids[1])],
            "regions": [{"name": "eu", "traffic_share": 1.0}],
            "dimensions": [{"name": "ok", "judge": {"name": "j"}, "rubric": "ok?", "margin": 0.05}],
            "labels": {"budget": 0},
        }
    )


def items(n: int) -> list[Item]:
    return [Item(f"item-{i:07d}", "eu", prompt(i)) for i in range(n)]


async def engine(
    study: Study, store_url: str, options: ReplayOptions, progress: Any = None
) -> ReplaySummary:
    store = open_store(store_url)
    providers = create_providers(study)
    try:
        stored = store.items()
        return await replay_responses(
            study, stored, providers, store, options=options, progress=progress
        )
    finally:
        await close_providers(providers)
        store.close()


def engine_results(base_url: str, n: int, concurrency: int, folder: Path) -> list[Result]:
    """Cache off; cache on, calling; cache on, every response a hit (same store)."""
    results = []
    for name, cache in [("cache off", False), ("cache on, calling", True)]:
        url = f"sqlite:///{folder / name.replace(' ', '-').replace(',', '')}.db"
        store = open_store(url)
        store.add_items(items(n // 2))
        store.close()
        summary = asyncio.run(
            engine(bench_study(base_url), url, ReplayOptions(concurrency=concurrency, cache=cache))
        )
        assert summary.written == summary.called == 2 * (n // 2), summary
        results.append(Result(f"Baton replay engine, {name}", summary.written, summary.elapsed_s))
    renamed = bench_study(base_url, ("incumbent-again", "candidate-again"))
    summary = asyncio.run(engine(renamed, url, ReplayOptions(concurrency=concurrency)))
    assert summary.written == summary.cached == 2 * (n // 2), summary
    results.append(Result("Baton replay engine, cache hits", summary.written, summary.elapsed_s))
    return results


def inspect_result(base_url: str, n: int, concurrency: int) -> Result | str:
    """Inspect AI on the same prompts, in its own environment (installed on first use)."""
    python = INSPECT_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(INSPECT_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", *INSPECT_PACKAGES]
        subprocess.run(pip, check=True)
    version = subprocess.run(
        [str(python), "-c", "import inspect_ai; print(inspect_ai.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    script = Path(__file__).with_name("_replay_inspect.py")
    env = {**os.environ, "STUB_BASE_URL": base_url, "STUB_API_KEY": "bench"}
    ran = subprocess.run(
        [str(python), str(script), str(n), str(concurrency)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if ran.returncode != 0:
        return f"Inspect AI {version} failed: {ran.stderr.strip().splitlines()[-1:]}"
    outcome = json.loads(ran.stdout.strip().splitlines()[-1])
    if outcome["samples"] != n:
        return f"Inspect AI {version} completed {outcome['samples']} of {n} samples"
    return Result(f"Inspect AI {version} (eval, generate())", n, outcome["seconds"])


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class RssSampler:
    """A replay progress that samples the process's RSS every ``every`` responses."""

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


def memory_child(base_url: str, n: int, concurrency: int) -> None:
    """Replay ``n`` items to two models asking the same thing (one call answers both, its
    answer also written to the cache), then again under new model names (every response a
    cache hit); print RSS figures and the cache-hit rate as JSON."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'memory.db'}"
        store = open_store(url)
        store.add_items(items(n))
        store.close()
        baseline = rss_mb()
        sampler = RssSampler(every=max(1, n // 5))
        study = bench_study(base_url, model_ids=("stub-a", "stub-a"))
        options = ReplayOptions(concurrency=concurrency)
        summary = asyncio.run(engine(study, url, options, sampler))
        calls_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        renamed = bench_study(base_url, ("again-a", "again-b"), model_ids=("stub-a", "stub-a"))
        hits = asyncio.run(engine(renamed, url, options))
        assert hits.cached == hits.written == 2 * n, hits
    figures = {
        "items": n,
        "responses": summary.written,
        "calls": summary.called,
        "seconds": summary.elapsed_s,
        "baseline_mb": baseline,
        "peak_mb": calls_peak,
        "samples": sampler.samples,
        "hits": hits.written,
        "hits_seconds": hits.elapsed_s,
        "hits_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(figures))


def memory_result(base_url: str, n: int, concurrency: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.replay", "--memory-child", str(n)]
    command += ["--stub", base_url, "--concurrency", str(concurrency)]
    ran = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(ran.stdout.strip().splitlines()[-1])
    return figures


def report(results: list[Result | str], memory: dict[str, Any] | None, concurrency: int) -> None:
    bare = next(r for r in results if isinstance(r, Result) and r.name.startswith("bare"))
    print(f"\nReplay against a local stub server, concurrency {concurrency}, {os.cpu_count()} CPUs")
    print("| contender | responses | seconds | responses/s | vs bare SDK |")
    print("|---|---:|---:|---:|---:|")
    for result in results:
        if isinstance(result, str):
            print(f"| {result} | | | | |")
            continue
        share = result.rate / bare.rate
        print(
            f"| {result.name} | {result.responses:,} | {result.seconds:.2f} | "
            f"{result.rate:,.0f} | {share:.0%} |"
        )
    if memory is not None:
        trail = ", ".join(f"{done:,}: {mb:.0f} MB" for done, mb in memory["samples"])
        print(
            f"\nMemory, {memory['items']:,} items to two models asking the same thing "
            f"({memory['calls']:,} calls, {memory['responses']:,} responses, "
            f"{memory['calls'] / memory['seconds']:,.0f} calls/s): peak RSS "
            f"{memory['peak_mb']:.0f} MB (before loading the items: "
            f"{memory['baseline_mb']:.0f} MB); RSS by responses stored (0: items loaded): {trail}"
        )
        print(
            f"Then the same {memory['hits']:,} responses under new model names, every one a "
            f"cache hit: {memory['hits'] / memory['hits_seconds']:,.0f} responses/s "
            f"({memory['hits_seconds']:.1f} s), peak RSS {memory['hits_peak_mb']:.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=6000, help="responses per contender")
    parser.add_argument("--memory-items", type=int, default=100_000, help="0 to skip")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--skip-inspect", action="store_true")
    parser.add_argument(
        "--native-items", type=int, default=1000, help="per native provider and run; 0 to skip"
    )
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stub", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.stub, args.memory_child, args.concurrency)
        return
    with stub_server() as base_url, tempfile.TemporaryDirectory() as folder:
        results: list[Result | str] = [
            asyncio.run(bare_sdk(base_url, args.items, args.concurrency))
        ]
        results += engine_results(base_url, args.items, args.concurrency, Path(folder))
        if not args.skip_inspect:
            results.append(inspect_result(base_url, args.items, args.concurrency))
        memory = None
        if args.memory_items:
            memory = memory_result(base_url, args.memory_items, args.concurrency)
    report(results, memory, args.concurrency)
    if args.native_items:
        print("\n".join(native_report(args.native_items, args.concurrency)))


if __name__ == "__main__":
    main()
