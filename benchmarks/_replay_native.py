"""Replay throughput of the native providers (Bedrock, Gemini, Azure OpenAI) against the stub
of their wire protocols (``tests/providers/native_stub.py``, in a process of its own): for
each platform, its bare official SDK driven the same way Baton drives it (boto3 on a thread
pool sized to the concurrency; the async clients of google-genai and openai under a
semaphore), then Baton's replay engine (cache off) through the provider, alternating for a
few rounds in the same run; the medians of the rates (and of this process's CPU time per
response, which a loaded machine disturbs less).

Run: ``python -m benchmarks._replay_native`` (or as part of ``make bench-replay``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import boto3
from botocore.config import Config
from google import genai
from google.genai import types
from openai import AsyncAzureOpenAI

from baton.domain import Item
from baton.providers import close_providers, create_providers
from baton.replay import ReplayOptions, replay_responses
from baton.storage import open_store
from baton.study import Study, parse_study

SYSTEM = "You are the support assistant of Example Corp. Answer briefly."
TARGET = 0.80
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIABENCHBENCHBENCH0",
    "AWS_SECRET_ACCESS_KEY": "bench-secret-access-key-0123456789",
    "AWS_EC2_METADATA_DISABLED": "true",
    "GEMINI_API_KEY": "bench-gemini-key-0123456789",
    "AZURE_OPENAI_API_KEY": "bench-azure-key-0123456789",
}
MODELS = {
    "bedrock": ("eu.anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-lite-v1:0"),
    "gemini": ("gemini-2.5-flash", "gemini-2.5-pro"),
    "azure": ("gpt4o-prod", "gpt4o-mini-prod"),
}


def prompt(i: int) -> str:
    return f"Question {i}: where is my order number {i}, and when will it arrive?"


@dataclass(frozen=True)
class Run:
    """One contender's run: responses, wall seconds, CPU seconds of this process."""

    responses: int
    seconds: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.responses / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_s / self.responses


@contextmanager
def native_stub() -> Iterator[str]:
    """The stub in a process of its own; yields its base URL."""
    command = [sys.executable, "-m", "tests.providers.native_stub"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(10)


async def gathered(call: Callable[[int], Awaitable[str]], n: int, concurrency: int) -> Run:
    """``n`` calls, ``concurrency`` at a time (after a warm-up): wall and CPU seconds."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            return await call(i)

    await asyncio.gather(*(one(i) for i in range(min(n, 2 * concurrency))))
    started, cpu = time.perf_counter(), time.process_time()
    answers = await asyncio.gather(*(one(i) for i in range(n)))
    run = Run(n, time.perf_counter() - started, time.process_time() - cpu)
    assert all(answers)
    return run


async def bare_bedrock(base_url: str, n: int, concurrency: int) -> Run:

    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=concurrency
    )
    client = boto3.Session(region_name="eu-west-1").client(
        "bedrock-runtime", endpoint_url=base_url, config=config
    )
    pool = ThreadPoolExecutor(concurrency)
    loop = asyncio.get_running_loop()

    def converse(i: int) -> str:
        reply = client.converse(
            modelId=MODELS["bedrock"][0],
            system=[{"text": SYSTEM}],
            messages=[{"role": "user", "content": [{"text": prompt(i)}]}],
            inferenceConfig={"maxTokens": 32},
        )
        return str(reply["output"]["message"]["content"][0]["text"])

    async def call(i: int) -> str:
        return await loop.run_in_executor(pool, converse, i)

    try:
        return await gathered(call, n, concurrency)
    finally:
        pool.shutdown()
        client.close()


async def bare_gemini(base_url: str, n: int, concurrency: int) -> Run:

    options = types.HttpOptions(base_url=base_url, retry_options=types.HttpRetryOptions(attempts=1))
    client = genai.Client(api_key=CREDENTIALS["GEMINI_API_KEY"], http_options=options)
    config = types.GenerateContentConfig(system_instruction=SYSTEM, max_output_tokens=32)

    async def call(i: int) -> str:
        reply = await client.aio.models.generate_content(
            model=MODELS["gemini"][0], contents=prompt(i), config=config
        )
        return reply.text or ""

    try:
        return await gathered(call, n, concurrency)
    finally:
        await client.aio.aclose()


async def bare_azure(base_url: str, n: int, concurrency: int) -> Run:

    client = AsyncAzureOpenAI(
        azure_endpoint=base_url,
        api_key=CREDENTIALS["AZURE_OPENAI_API_KEY"],
        api_version="2024-10-21",
        max_retries=0,
    )

    async def call(i: int) -> str:
        reply = await client.chat.completions.create(
            model=MODELS["azure"][0],
            messages=[
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": prompt(i)},
            ],
            max_tokens=32,
        )
        return reply.choices[0].message.content or ""

    try:
        return await gathered(call, n, concurrency)
    finally:
        await client.close()


BARE = {"bedrock": bare_bedrock, "gemini": bare_gemini, "azure": bare_azure}


def platform_study(platform: str, base_url: str) -> Study:
    def model(name: str, model_id: str) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": name,
            "provider": platform,
            "model": model_id,
            "base_url": base_url,
        }
        if platform == "bedrock":
            spec["region"] = "eu-west-1"
        return spec

    first, second = MODELS[platform]
    return parse_study(
        {
            "name": f"bench-{platform}",
            "service": {"system_prompt": SYSTEM, "parameters": {"max_tokens": 32}},
            "incumbent": model("incumbent", first),
            "candidates": [model("candidate", second)],
            "regions": [{"name": "eu", "traffic_share": 1.0}],
            "dimensions": [{"name": "ok", "judge": {"name": "j"}, "rubric": "ok?", "margin": 0.05}],
            "labels": {"budget": 0},
        }
    )


async def engine(study: Study, url: str, concurrency: int) -> Run:
    store = open_store(url)
    providers = create_providers(study)
    cpu = time.process_time()
    try:
        summary = await replay_responses(
            study,
            store.items(),
            providers,
            store,
            options=ReplayOptions(concurrency=concurrency, cache=False),
        )
    finally:
        await close_providers(providers)
        store.close()
    assert summary.written == summary.called, summary
    assert not summary.errors, summary
    return Run(summary.written, summary.elapsed_s, time.process_time() - cpu)


def engine_run(platform: str, base_url: str, n: int, concurrency: int, url: str) -> Run:
    store = open_store(url)
    store.add_items([Item(f"item-{i:07d}", "eu", prompt(i)) for i in range(n // 2)])
    store.close()
    return asyncio.run(engine(platform_study(platform, base_url), url, concurrency))


def platform_rows(base_url: str, n: int, concurrency: int, rounds: int, folder: Path) -> list[str]:
    """Per platform, ``rounds`` pairs of runs (bare SDK, then engine, alternating, so both
    see the same load); the medians."""
    rows = []
    for platform, bare in BARE.items():
        bares, engines = [], []
        for round_ in range(rounds):
            bares.append(asyncio.run(bare(base_url, n, concurrency)))
            url = f"sqlite:///{folder / platform}-{round_}.db"
            engines.append(engine_run(platform, base_url, n, concurrency, url))
        bare_rate = median(r.rate for r in bares)
        engine_rate = median(r.rate for r in engines)
        share = engine_rate / bare_rate
        verdict = "met" if share >= TARGET else "missed"
        rows.append(
            f"| {platform} | {rounds} x {n:,} | {bare_rate:,.0f} | {engine_rate:,.0f} | "
            f"{share:.0%} | {verdict} | {median(r.cpu_ms for r in bares):.2f} | "
            f"{median(r.cpu_ms for r in engines):.2f} |"
        )
    return rows


def native_report(n: int, concurrency: int, rounds: int = 3) -> list[str]:
    """The table's lines: per platform, the bare SDK's and the engine's responses/s."""
    os.environ.update(CREDENTIALS)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    with native_stub() as base_url, tempfile.TemporaryDirectory() as folder:
        rows = platform_rows(base_url, n, concurrency, rounds, Path(folder))
    return [
        f"\nNative providers against their stub, concurrency {concurrency}, "
        f"{os.cpu_count()} CPUs (target: engine >= {TARGET:.0%} of the bare SDK)",
        "| platform | runs x responses | bare SDK responses/s | engine responses/s | "
        "engine vs bare | target | bare SDK CPU ms/response | engine CPU ms/response |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
        *rows,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000, help="calls per contender and run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each contender")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    print("\n".join(native_report(args.items, args.concurrency, args.rounds)))


if __name__ == "__main__":
    main()
