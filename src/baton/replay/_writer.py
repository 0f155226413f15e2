"""Group commit: responses are stored as soon as they are ready, many per transaction.

Every store call runs on one thread of its own, in order, so the event loop never waits on
the database and the store is never used from two threads at once. A caller of ``commit``
resumes once its responses are stored, so the replay engine counts a call as in flight
until its answer is safe: a killed run loses at most the calls in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from baton.domain import Response
from baton.storage import CacheEntry, Store

__all__ = ["StoreWriter"]

T = TypeVar("T")
Committed = Callable[[Sequence[Response], int], None]


class StoreWriter:
    """Stores responses (and cache entries) in groups, in the order they were handed in.

    ``on_commit(responses, written)`` is called after each transaction. Use as an async
    context manager: leaving it stores whatever was handed in, even when leaving on an error.
    """

    def __init__(self, store: Store, on_commit: Committed) -> None:
        self._store = store
        self._on_commit = on_commit
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="baton-store")
        self._responses: list[Response] = []
        self._entries: list[CacheEntry] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StoreWriter:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True
        self._wake.set()
        try:
            if self._task is not None:
                await self._task
        finally:
            self._executor.shutdown(wait=True)

    async def read(self, function: Callable[..., T], *args: object) -> T:
        """Run a store read on the store's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args))

    def submit(
        self, responses: Sequence[Response], entries: Sequence[CacheEntry]
    ) -> asyncio.Future[None]:
        """Hand in responses and cache entries; the future is done once they are stored."""
        waiter = asyncio.get_running_loop().create_future()
        self._responses.extend(responses)
        self._entries.extend(entries)
        self._waiters.append(waiter)
        self._wake.set()
        return waiter

    async def commit(self, responses: Sequence[Response], entries: Sequence[CacheEntry]) -> None:
        """Hand in responses and cache entries; return once they are stored."""
        await self.submit(responses, entries)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._waiters:
                if self._closing:
                    return
                continue
            responses, entries, waiters = self._responses, self._entries, self._waiters
            self._responses, self._entries, self._waiters = [], [], []
            add = partial(self._store.add_responses, responses, cache=entries)
            try:
                written = await loop.run_in_executor(self._executor, add)
                self._on_commit(responses, written)
            except Exception as error:
                _settle(waiters, error)
                continue
            _settle(waiters, None)
            self._wake.set()  # what arrived during the transaction goes next


def _settle(waiters: list[asyncio.Future[None]], error: Exception | None) -> None:
    for waiter in waiters:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)
