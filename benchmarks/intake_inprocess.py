"""In-process intake cost: web complaints through the pipeline on SQLite, without HTTP.

Isolates the pipeline and the database from the server, for profiling: every message a new
complaint (varied texts and places, a location scattered wide), handled one transaction each
(`Pipeline.handle`) or `--batch` per commit (`Pipeline.handle_batch`, the group commit the web
channel uses, the reply stored as sent as the web channel without a callback does). Prints wall
and CPU time per message (CPU is steadier on a shared machine) and the SQL statements per
message. `--open N` first files N open complaints of one category, to
show what the same-problem search costs with a backlog: the run's messages are then all of
that category (damaged roads); the backlog is a few filed through the pipeline, cloned in SQL.

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

from sqlalchemy import event, text

from aduan.complaints.submission import Submission
from aduan.runtime import Runtime, build_runtime
from benchmarks.complaint_texts import complaint_text
from channels.message import InboundMessage, Location

ROOT = Path(__file__).resolve().parents[1]


ROAD = "Jalan berlubang besar"
CLONE = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO complaint (code, contact_id, channel, text, category, opd, confidence, explanation,
  status, language, location_lat, location_lon, location_address, attachments, due_at,
  duplicate_of_id, created_at, updated_at)
SELECT 'BK-' || i, c.contact_id, c.channel, c.text || ' ' || i, c.category, c.opd, c.confidence,
  c.explanation, c.status, c.language, c.location_lat + (i % 997) * 0.0003,
  c.location_lon + (i % 991) * 0.0003, c.location_address, c.attachments, c.due_at, NULL,
  c.created_at, c.updated_at
FROM n JOIN complaint AS c ON c.id = 1 + i % :originals
"""


def file_backlog(runtime: Runtime, rng: random.Random, count: int, tag: str) -> None:
    """`count` open damaged-road complaints: 20 through the pipeline, the rest cloned."""
    first = [inbound(rng, n, f"{tag}-open", subject=ROAD) for n in range(min(count, 20))]
    for message in first:
        runtime.pipeline.handle(message)
    if count > len(first):
        with runtime.engine.begin() as connection:
            params = {"count": count - len(first), "originals": len(first)}
            connection.execute(text(CLONE), params)


def inbound(rng: random.Random, n: int, tag: str, subject: str | None = None) -> InboundMessage:
    key = f"{tag}-{n}"
    location = Location(lat=-7.35 + rng.random() * 0.7, lon=107.2 + rng.random() * 0.8)
    return InboundMessage(
        channel="web",
        external_id=key,
        sender=f"web:anon-{key}",
        text=complaint_text(rng, key, subject),
        location=location,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--batch", type=int, default=1, help="messages per commit")
    parser.add_argument(
        "--open", type=int, default=None, help="open damaged-road complaints filed first"
    )
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    rng = random.Random(os.getpid() ^ time.time_ns())
    tag = f"{rng.randrange(10**9)}"
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(ROOT / "config.yaml", f"sqlite:///{tmp}/bench.db", migrate=True)
        pipeline = runtime.pipeline
        subject = None
        if args.open is not None:
            file_backlog(runtime, rng, args.open, tag)
            subject = ROAD
        for n in range(50):  # warm caches
            pipeline.handle(inbound(rng, n, f"{tag}-warm"))
        messages = [inbound(rng, n, f"{tag}-run", subject) for n in range(args.messages)]
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
                batch = messages[start : start + args.batch]
                pipeline.handle_batch([Submission(m, reply_shown=True) for m in batch])
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        with runtime.engine.connect() as connection:
            linked = connection.execute(
                text("SELECT count(duplicate_of_id) FROM complaint")
            ).scalar_one()
        print(
            f"{elapsed / args.messages * 1000:.2f} ms per message, "
            f"{cpu / args.messages * 1000:.2f} ms CPU, {statements / args.messages:.1f} "
            f"statements ({args.messages} messages, {args.batch} per commit, "
            f"{args.open} open before, {linked} linked as the same problem; "
            f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())})"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
