"""`aduan serve --role worker`: the outbox worker, SLA timer and pollers, with no HTTP listener.

It says it is alive in its log: a line when it starts, then one every `heartbeat_seconds`
with what waits in the outbox. SIGTERM or SIGINT stops it cleanly: the sends still running
are cancelled and their items freed for the next worker (see `OutboxWorker.run_forever`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Sequence

from sqlalchemy.engine import Engine

from aduan.api.app import Background
from aduan.runtime import Runtime
from storage.outbox import outbox_waiting

log = logging.getLogger("aduan.worker")

HEARTBEAT_SECONDS = 60.0


async def _heartbeat(engine: Engine, stop: asyncio.Event, every: float) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if stop.is_set():
            return
        try:
            pending, dead = await asyncio.to_thread(outbox_waiting, engine)
        except Exception:  # the database is away: say so, keep running
            log.exception("worker %s alive; the outbox cannot be read now", os.getpid())
            continue
        log.info("worker %s alive; outbox: %s pending, %s dead", os.getpid(), pending, dead)


async def work(
    runtime: Runtime, jobs: Sequence[Background], heartbeat_seconds: float = HEARTBEAT_SECONDS
) -> None:
    """Run `jobs` until SIGTERM or SIGINT, then stop them and the pipeline's writer."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, stop.set)
    tasks = [asyncio.create_task(job(stop)) for job in jobs]
    tasks.append(asyncio.create_task(_heartbeat(runtime.engine, stop, heartbeat_seconds)))
    log.info("worker %s running; stop it with SIGTERM", os.getpid())
    try:
        await stop.wait()
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(runtime.pipeline.close)
    log.info("worker %s stopped", os.getpid())


def run_worker(
    runtime: Runtime,
    jobs: Sequence[Background],
    echo: Callable[[str], None] = print,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> None:
    """Run the worker role in this process, on `loop_factory`'s loop (default asyncio's)."""
    echo(f"Worker running (pid {os.getpid()}); no HTTP listener; stop with SIGTERM")
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(work(runtime, jobs, heartbeat_seconds))
