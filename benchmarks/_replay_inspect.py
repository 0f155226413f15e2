"""The Inspect AI side of ``benchmarks.replay``: run in Inspect's own environment.

Usage: ``python _replay_inspect.py N CONCURRENCY`` with ``STUB_BASE_URL`` and
``STUB_API_KEY`` set; prints one JSON line with the wall time of ``eval``. This file is
copied out and run by another interpreter; it imports nothing from Baton.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

from inspect_ai import Task, eval  # type: ignore[import-not-found]
from inspect_ai.dataset import Sample  # type: ignore[import-not-found]
from inspect_ai.solver import generate, system_message  # type: ignore[import-not-found]

SYSTEM = "You are the support assistant of Example Corp. Answer briefly."


def prompt(i: int) -> str:
    return f"Question {i}: where is my order number {i}, and when will it arrive?"


def main() -> None:
    n, concurrency = int(sys.argv[1]), int(sys.argv[2])
    task = Task(
        dataset=[Sample(input=prompt(i), id=i) for i in range(n)],
        solver=[system_message(SYSTEM), generate()],
    )
    with tempfile.TemporaryDirectory() as logs:
        started = time.perf_counter()
        results = eval(
            task,
            model="openai-api/stub/stub-model",
            max_connections=concurrency,
            max_tokens=32,
            log_dir=logs,
            display="none",
        )
        seconds = time.perf_counter() - started
    samples = results[0].results.completed_samples if results[0].results else 0
    print(json.dumps({"seconds": seconds, "status": results[0].status, "samples": samples}))


if __name__ == "__main__":
    main()
