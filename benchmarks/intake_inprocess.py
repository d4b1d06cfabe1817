"""In-process intake cost: milliseconds per web complaint through `Pipeline.handle` on SQLite.

No HTTP: isolates the pipeline and the database from the server, for profiling. CPU time is
printed too: it is steadier than wall time on a shared machine.

    .venv/bin/python -m benchmarks.intake_inprocess [--messages 500] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from aduan.runtime import build_runtime
from channels.message import InboundMessage

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Lampu jalan mati di gang mawar nomor {n} sudah tiga malam, kode {n}"


def inbound(n: int, tag: str) -> InboundMessage:
    return InboundMessage(
        channel="web", external_id=f"{tag}-{n}", sender=f"web:{tag}-{n}", text=TEXT.format(n=n)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build_runtime(ROOT / "config.yaml", f"sqlite:///{tmp}/bench.db", migrate=True)
        for n in range(50):  # warm caches
            runtime.pipeline.handle(inbound(n, "warm"))
        messages = [inbound(n, "run") for n in range(args.messages)]
        profiler = cProfile.Profile() if args.profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for message in messages:
            runtime.pipeline.handle(message)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        print(
            f"{elapsed / args.messages * 1000:.2f} ms per message, "
            f"{cpu / args.messages * 1000:.2f} ms CPU ({args.messages} messages)"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
