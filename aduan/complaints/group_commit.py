"""Group commit: one writer thread per process handles queued messages and commits them together.

A web request hands its message over and waits; the writer takes every message waiting, runs
each through the pipeline in a savepoint of one transaction, commits once, and only then
answers each request. A message that fails rolls back its own savepoint and fails its own
request; the rest of the batch commits. A commit that fails fails every request of the batch:
nothing is acknowledged that is not on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger("aduan.complaints.group_commit")

MAX_BATCH = 64  # messages per commit at most: bounds the wait of the first in the batch
IDLE_SECONDS = 5.0  # an idle writer thread ends; the next message starts another

Item = TypeVar("Item")


@dataclass
class _Waiting(Generic[Item]):
    item: Item
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


def _settle(future: asyncio.Future, result: object) -> None:
    if future.done():  # the request went away (client disconnected)
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class GroupCommit(Generic[Item]):
    """Queue items for `handle_batch`, which returns one outcome or exception per item.

    Up to `writers` threads take batches (one for SQLite, which has one writer anyway; more
    for PostgreSQL, whose transactions run side by side). A thread starts with work, ends
    after `idle_seconds` without any (or at `close`), and starts again with the next item.
    """

    def __init__(
        self,
        handle_batch: Callable[[Sequence[Item]], Sequence[object]],
        max_batch: int = MAX_BATCH,
        idle_seconds: float = IDLE_SECONDS,
        writers: int = 1,
    ) -> None:
        self._handle_batch = handle_batch
        self._max_batch = max_batch
        self._idle_seconds = idle_seconds
        self._writers = writers
        self._queue: queue.SimpleQueue[_Waiting[Item] | None] = queue.SimpleQueue()
        # Guards `_threads` and the queue's emptiness when a thread decides to end.
        self._start = threading.Lock()
        self._threads: set[threading.Thread] = set()

    @property
    def running(self) -> int:
        """How many writer threads are running now."""
        with self._start:
            return len(self._threads)

    async def handle(self, item: Item) -> object:
        """The item's outcome, once the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._start:
            self._queue.put(_Waiting(item, loop, future))
            if len(self._threads) < self._writers:
                thread = threading.Thread(target=self._run, name="aduan-group-commit", daemon=True)
                self._threads.add(thread)
                thread.start()
        return await future

    def close(self, timeout: float = 10.0) -> None:
        """Stop the writer threads once they have handled what is queued (they may start
        again)."""
        with self._start:
            threads = list(self._threads)
            for _ in threads:
                self._queue.put(None)
        for thread in threads:
            thread.join(timeout)

    def _first(self) -> _Waiting[Item] | None:
        """The next item, or None when the thread should end (idle, or told to stop)."""
        while True:
            try:
                first = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                first = None
            with self._start:
                if first is None and self._queue.empty():
                    self._threads.discard(threading.current_thread())  # `handle` starts more
                    return None
            if first is not None:
                return first

    def _next_batch(self, first: _Waiting[Item]) -> list[_Waiting[Item]]:
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                waiting = self._queue.get_nowait()
            except queue.Empty:
                break
            if waiting is None:  # a stop request behind new work: honour it after this batch
                self._queue.put(None)
                break
            batch.append(waiting)
        return batch

    def _run(self) -> None:
        while (first := self._first()) is not None:
            batch = self._next_batch(first)
            try:
                results = self._handle_batch([waiting.item for waiting in batch])
            except Exception as exc:  # the commit failed: no item of the batch is stored
                log.exception("group commit of %d messages failed", len(batch))
                results = [exc] * len(batch)
            for waiting, result in zip(batch, results, strict=True):
                with contextlib.suppress(RuntimeError):  # that request's loop has closed
                    waiting.loop.call_soon_threadsafe(_settle, waiting.future, result)
