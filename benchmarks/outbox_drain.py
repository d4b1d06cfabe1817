"""Outbox drain: webhook deliveries per second from the outbox worker to a local OPD endpoint.

Queues `--items` dispatch rows for `--destinations` webhook destinations (one local receiver,
`benchmarks.bare_app`, under `aduan serve`'s uvicorn settings), then runs one `OutboxWorker`
with the shipped dispatch settings until every row is sent, `--rounds` times, printing
items/s, the worker's CPU per item and the load average (the machine may be shared).
SQLite by default; ADUAN_DATABASE_URL (e.g. PostgreSQL) is used when set, emptied of outbox
rows first.

    .venv/bin/python -m benchmarks.outbox_drain [--items 2000] [--rounds 3] [--loop auto]

`--loop auto` runs the worker on uvloop when it is installed, as `aduan serve` does.
`--workers N` (N > 1) runs N worker processes side by side on the one queue (PostgreSQL); CPU
per item is then theirs together.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from aduan.runtime import build_runtime
from aduan.serve import LOOPS
from benchmarks.intake import ROOT
from benchmarks.servers import load_average, start
from dispatch.outbox import OutboxWorker
from dispatch.senders import destination_senders
from storage.engine import transaction
from storage.models import OutboxItem, OutboxStatus
from storage.outbox import insert_item

SECRET_ENV = "BENCH_OPD_SECRET"


def queue(engine: Engine, url: str, items: int, destinations: int, tag: str) -> None:
    now = datetime.now(UTC)
    with transaction(engine) as session:
        for n in range(items):
            destination = {
                "kind": "webhook",
                "url": f"{url}/opd/{n % destinations}",
                "secret_env": SECRET_ENV,
                "timeout_seconds": 10.0,
            }
            document = {"event": "complaint.created", "code": f"ADU-{n:05d}", "text": "x" * 200}
            insert_item(
                session,
                kind="dispatch",
                target="webhook",
                payload={"destination": destination, "document": document},
                idempotency_key=f"bench:{tag}:{n}",
                complaint_id=None,
                message_id=None,
                status=OutboxStatus.pending,
                attempts=0,
                next_attempt_at=now,
                locked_until=None,
                last_error=None,
                created_at=now,
                sent_at=None,
            )


def pending(engine: Engine) -> int:
    with transaction(engine) as session:
        query = select(func.count()).where(OutboxItem.status == OutboxStatus.pending)
        return session.connection().execute(query).scalar_one()


async def drain(worker: OutboxWorker, engine: Engine) -> float:
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(worker.run_forever(stop, idle_seconds=0.05))
    while await asyncio.to_thread(pending, engine):
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    stop.set()
    await running
    return elapsed


def loop_factory(loop: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop for "uvloop" (and "auto" when installed), else asyncio's own (None)."""
    if loop == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if loop == "uvloop":
            raise
        return None
    return uvloop.new_event_loop


def worker_process(url: str, env: dict[str, str], loop: str, ready: Any, go: Any) -> None:
    """One worker process: set up, say ready, drain once told to go, report its CPU seconds."""
    runtime = build_runtime(ROOT / "config.yaml", url)
    worker = OutboxWorker(runtime.engine, destination_senders(env), runtime.ctx.settings)
    ready.put(None)
    go.wait()
    cpu = time.process_time()
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        runner.run(drain(worker, runtime.engine))
    ready.put(time.process_time() - cpu)


def drain_in_processes(
    url: str, env: dict[str, str], loop: str, workers: int
) -> tuple[float, float]:
    """Seconds until `workers` processes have drained the queue, and their CPU seconds."""
    context = multiprocessing.get_context("spawn")
    ready, go = context.Queue(), context.Event()
    processes = [
        context.Process(target=worker_process, args=(url, env, loop, ready, go))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get()
    started = time.perf_counter()
    go.set()
    cpu = sum(ready.get() for _ in processes)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--destinations", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loop", choices=LOOPS, default="auto")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("ADUAN_DATABASE_URL") or f"sqlite:///{tmp}/outbox.db"
        runtime = build_runtime(ROOT / "config.yaml", url, migrate=True)
        engine = runtime.engine
        with transaction(engine) as session:
            session.connection().execute(delete(OutboxItem))
        env = {**os.environ, SECRET_ENV: "bench-secret"}
        receiver, receiver_url = start([sys.executable, "-m", "benchmarks.bare_app"], env, ROOT)
        settings = runtime.ctx.settings
        print(
            f"database: {engine.dialect.name}, cores: {os.cpu_count()}, {args.items} items to "
            f"{args.destinations} destinations, concurrency {settings.concurrency}, "
            f"{settings.per_destination} per destination, loop {args.loop}, {args.workers} "
            "worker process(es); the machine may "
            "be shared"
        )
        rates = []
        try:
            for round_ in range(args.rounds):
                queue(engine, receiver_url, args.items, args.destinations, f"{time.time()}")
                load = load_average()
                if args.workers > 1:
                    elapsed, cpu = drain_in_processes(url, env, args.loop, args.workers)
                else:
                    worker = OutboxWorker(engine, destination_senders(env), settings)
                    cpu = time.process_time()
                    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
                        elapsed = runner.run(drain(worker, engine))
                    cpu = time.process_time() - cpu
                cpu_ms = cpu / args.items * 1000
                rates.append(args.items / elapsed)
                print(
                    f"round {round_ + 1}: {rates[-1]:7.0f} items/s, {cpu_ms:.2f} ms worker CPU "
                    f"per item (load {load})",
                    flush=True,
                )
        finally:
            receiver.terminate()
            receiver.wait()
    print(
        f"median {statistics.median(rates):.0f} items/s (min {min(rates):.0f}, "
        f"max {max(rates):.0f})"
    )


if __name__ == "__main__":
    main()
