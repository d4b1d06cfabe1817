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

from channels.message import InboundMessage

log = logging.getLogger("aduan.complaints.group_commit")

MAX_BATCH = 64  # messages per commit at most: bounds the wait of the first in the batch


@dataclass
class _Waiting:
    inbound: InboundMessage
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


def _settle(future: asyncio.Future, result: object) -> None:
    if future.done():  # the request went away (client disconnected)
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class GroupCommit:
    """Queue messages for `handle_batch`, which returns one outcome or exception per message."""

    def __init__(
        self,
        handle_batch: Callable[[Sequence[InboundMessage]], Sequence[object]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._handle_batch = handle_batch
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None

    async def handle(self, inbound: InboundMessage) -> object:
        """The message's outcome, once the transaction holding it has committed."""
        self._ensure_started()
        future = asyncio.get_running_loop().create_future()
        self._queue.put(_Waiting(inbound, asyncio.get_running_loop(), future))
        return await future

    def _ensure_started(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="aduan-group-commit", daemon=True
                )
                self._thread.start()

    def _next_batch(self) -> list[_Waiting]:
        batch = [self._queue.get()]
        while len(batch) < self._max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                results = self._handle_batch([waiting.inbound for waiting in batch])
            except Exception as exc:  # the commit failed: no message of the batch is stored
                log.exception("group commit of %d messages failed", len(batch))
                results = [exc] * len(batch)
            for waiting, result in zip(batch, results, strict=True):
                with contextlib.suppress(RuntimeError):  # that request's loop has closed
                    waiting.loop.call_soon_threadsafe(_settle, waiting.future, result)
