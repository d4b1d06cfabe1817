"""`aduan chat`: be the citizen in a terminal; answers and later status messages are printed."""

from __future__ import annotations

import asyncio
import sys

from aduan.runtime import Runtime
from aduan.serve import _channel_sender
from channels.console import ConsoleAdapter, ConsoleConfig
from dispatch.outbox import OutboxWorker

BANNER = "Aduan chat: tulis keluhan Anda (Ctrl-D untuk keluar). Type your complaint (Ctrl-D quits)."


async def chat(runtime: Runtime, user: str) -> None:
    adapter = ConsoleAdapter(ConsoleConfig(), out=sys.stdout)
    # Only this user's messages: another console user's wait until they chat again.
    worker = OutboxWorker(
        runtime.engine,
        {"console": _channel_sender(adapter)},
        runtime.ctx.settings,
        recipient=adapter.address(user),
        clock=runtime.ctx.clock,  # the clock the outbox rows were stamped with
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.3))
    print(BANNER, flush=True)
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            if line.strip():
                await asyncio.to_thread(
                    runtime.pipeline.handle, adapter.message_from_line(user, line)
                )
                await worker.run_once()
    finally:
        stop.set()
        await task
