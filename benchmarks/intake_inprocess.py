"""In-process intake cost: web complaints through the pipeline on SQLite, without HTTP.

Isolates the pipeline and the database from the server, for profiling: every message a new
complaint (varied texts and places, a location scattered wide), handled one transaction each
(`Pipeline.handle`) or `--batch` per commit (`Pipeline.handle_batch`, the group commit the web
channel uses). Prints wall and CPU time per message (CPU is steadier on a shared machine) and
the SQL statements per message. `--open N` first files N open complaints of one category, to
show what the same-problem search costs with a backlog.

    .venv/bin/python -m benchmarks.intake_inprocess [--messages 500] [--batch 32] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from aduan.runtime import build_runtime
from benchmarks.complaint_texts import complaint_text
from channels.message import InboundMessage, Location

ROOT = Path(__file__).resolve().parents[1]


def inbound(rng: random.Random, n: int, tag: str, text: str | None = None) -> InboundMessage:
    key = f"{tag}-{n}"
    location = Location(lat=-7.35 + rng.random() * 0.7, lon=107.2 + rng.random() * 0.8)
    return InboundMessage(
        channel="web",
        external_id=key,
        sender=f"web:anon-{key}",
        text=text or complaint_text(rng, key),
        location=location,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--batch", type=int, default=1, help="messages per commit")
    parser.add_argument("--open", type=int, default=0, help="open complaints filed first")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    rng = random.Random(os.getpid() ^ time.time_ns())
    tag = f"{rng.randrange(10**9)}"
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(ROOT / "config.yaml", f"sqlite:///{tmp}/bench.db", migrate=True)
        pipeline = runtime.pipeline
        backlog = [inbound(rng, n, f"{tag}-open") for n in range(args.open)]
        for start in range(0, len(backlog), 200):
            pipeline.handle_batch(backlog[start : start + 200])
        for n in range(50):  # warm caches
            pipeline.handle(inbound(rng, n, f"{tag}-warm"))
        messages = [inbound(rng, n, f"{tag}-run") for n in range(args.messages)]
        statements = 0

        @event.listens_for(runtime.engine, "before_cursor_execute")
        def _count(*_: object) -> None:
            nonlocal statements
            statements += 1

        profiler = cProfile.Profile() if args.profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        if args.batch == 1:
            for message in messages:
                pipeline.handle(message)
        else:
            for start in range(0, len(messages), args.batch):
                pipeline.handle_batch(messages[start : start + args.batch])
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        print(
            f"{elapsed / args.messages * 1000:.2f} ms per message, "
            f"{cpu / args.messages * 1000:.2f} ms CPU, {statements / args.messages:.1f} "
            f"statements ({args.messages} messages, {args.batch} per commit, "
            f"{args.open} open before; load {' '.join(f'{x:.2f}' for x in os.getloadavg())})"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
