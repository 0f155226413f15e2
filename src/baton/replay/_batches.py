"""Run many async calls with a concurrency cap, committing results batch by batch.

Replay and judging share this: a crash loses at most the batch in flight, and every
committed batch is one store transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["BatchOptions", "run_in_batches"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class BatchOptions:
    """How much runs at once and how much is committed together."""

    concurrency: int = 16
    batch_size: int = 200

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.batch_size < 1:
            raise ValueError("concurrency and batch_size must be at least 1")


async def run_in_batches(
    tasks: Sequence[T],
    work: Callable[[T], Awaitable[R]],
    commit: Callable[[list[R]], int],
    *,
    options: BatchOptions,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Run ``work`` on every task; ``commit`` each batch's results; return rows committed."""
    semaphore = asyncio.Semaphore(options.concurrency)

    async def guarded(task: T) -> R:
        async with semaphore:
            return await work(task)

    written = 0
    for start in range(0, len(tasks), options.batch_size):
        batch = tasks[start : start + options.batch_size]
        results = await asyncio.gather(*(guarded(task) for task in batch))
        written += commit(list(results))
        if on_batch is not None:
            on_batch(len(batch))
    return written
